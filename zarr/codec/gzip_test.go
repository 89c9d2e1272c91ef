package codec

import (
	"errors"
	"testing"
)

func FuzzGzipDecode(f *testing.F) { fuzzDecode(f, "gzip", `{}`) }

func TestGzipMultiMember(t *testing.T) {
	c, _ := NewBytes("gzip", []byte(`{"level":5}`))
	a, _ := c.Encode([]byte("first "))
	b, _ := c.Encode([]byte("second"))
	got, err := c.Decode(nil, append(a, b...))
	if err != nil || string(got) != "first second" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := c.Decode(nil, a[:len(a)-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: %v", err)
	}
}
