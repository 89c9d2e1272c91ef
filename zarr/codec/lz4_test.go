package codec

import (
	"encoding/binary"
	"errors"
	"testing"
)

func FuzzLZ4Decode(f *testing.F) { fuzzDecode(f, "lz4", `{}`) }

func TestLZ4Framing(t *testing.T) {
	c, _ := NewBytes("lz4", nil)
	enc, err := c.Encode([]byte("hello hello hello hello"))
	if err != nil || binary.LittleEndian.Uint32(enc) != 23 {
		t.Fatalf("Encode: % x, %v", enc, err)
	}
	// A declared size the block cannot reach, and a size of 2 GiB.
	bad := append([]byte(nil), enc...)
	binary.LittleEndian.PutUint32(bad, 24)
	if _, err := c.Decode(nil, bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("size 24: %v", err)
	}
	binary.LittleEndian.PutUint32(bad, 1<<31-1)
	if _, err := c.Decode(nil, bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("size 2 GiB: %v", err)
	}
}
