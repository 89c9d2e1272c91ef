package codec

import (
	"errors"
	"fmt"
	"testing"
)

func FuzzShuffleDecode(f *testing.F) { fuzzDecode(f, "shuffle", `{}`) }

func TestShuffle(t *testing.T) {
	c, _ := NewBytes("shuffle", []byte(`{"elementsize":4}`))
	enc, _ := c.Encode([]byte("abcdABCD"))
	if string(enc) != "aAbBcCdD" {
		t.Fatalf("Encode = %q", enc)
	}
	if _, err := c.Decode(nil, []byte("abcdABC")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("7 bytes: %v", err)
	}
	if _, err := NewBytes("shuffle", []byte(`{"elementsize":-1}`)); err == nil {
		t.Fatal("negative elementsize accepted")
	}
}

// TestUnshuffleFastPaths checks the unrolled element sizes against the
// plain definition, over lengths around the 8- and 16-element unrolls.
func TestUnshuffleFastPaths(t *testing.T) {
	for _, ts := range []int{2, 3, 4, 8} {
		for n := 0; n < 300; n++ {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(i*7 + 3)
			}
			got := make([]byte, n)
			unshuffleBytes(got, src, ts)
			want := make([]byte, n)
			k := n / ts
			for i := 0; i < k; i++ {
				for j := 0; j < ts; j++ {
					want[i*ts+j] = src[j*k+i]
				}
			}
			copy(want[k*ts:], src[k*ts:])
			if string(got) != string(want) {
				t.Fatalf("ts %d n %d: %v, want %v", ts, n, got, want)
			}
			back := make([]byte, n)
			shuffleBytes(back, got, ts)
			if string(back) != string(src) {
				t.Fatalf("ts %d n %d: shuffle does not invert", ts, n)
			}
		}
	}
}

// BenchmarkUnshuffle measures the byte unshuffle alone on a 4 MB block
// (blosc decoding's other hot loop, beside the inner codec).
func BenchmarkUnshuffle(b *testing.B) {
	src := make([]byte, 4<<20)
	for i := range src {
		src[i] = byte(i * 31)
	}
	dst := make([]byte, len(src))
	for _, ts := range []int{2, 4, 8} {
		b.Run(fmt.Sprintf("ts%d", ts), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				unshuffleBytes(dst, src, ts)
			}
		})
	}
	b.Run("bitshuffle-ts4", func(b *testing.B) {
		tmp := make([]byte, len(src))
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			bitUnshuffle(dst, src, tmp, 4)
		}
	})
}
