package codec

import (
	"errors"
	"testing"
)

func FuzzCrc32cDecode(f *testing.F) { fuzzDecode(f, "crc32c", `{}`) }

func TestCrc32c(t *testing.T) {
	c, _ := NewBytes("crc32c", nil)
	enc, _ := c.Encode([]byte("abc"))
	// CRC-32C("abc") = 0x364b3fb7, stored little-endian.
	if want := "abc\xb7\x3f\x4b\x36"; string(enc) != want {
		t.Fatalf("Encode = %q, want %q", enc, want)
	}
	if got, err := c.Decode(nil, enc); err != nil || string(got) != "abc" {
		t.Fatalf("Decode = %q, %v", got, err)
	}
	enc[1] ^= 1
	if _, err := c.Decode(nil, enc); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("mismatch: %v", err)
	}
	if _, err := c.Decode(nil, []byte{1, 2, 3}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short: %v", err)
	}
}
