package codec

import (
	"errors"
	"testing"
)

func FuzzZstdDecode(f *testing.F) { fuzzDecode(f, "zstd", `{}`) }

func TestZstdForgedContentSize(t *testing.T) {
	c, _ := NewBytes("zstd", nil)
	enc, _ := c.Encode(make([]byte, 100))
	// Frame header descriptor 0xC0-ish with an 8-byte content size of
	// 1 TiB: must be refused before any allocation.
	forged := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0, 0, 0, 0, 0, 1, 0, 0, 0x01, 0, 0}
	if _, err := c.Decode(nil, forged); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("forged: %v", err)
	}
	if _, err := c.Decode(nil, enc[:len(enc)-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: %v", err)
	}
}
