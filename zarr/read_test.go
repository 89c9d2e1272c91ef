package zarr

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

func newTestArray(t *testing.T, s store.Store, path string, spec ArraySpec) *Array {
	t.Helper()
	a, err := CreateArray(context.Background(), s, path, spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCorruptChunkErrorNamesArrayAndChunk(t *testing.T) {
	ctx := context.Background()
	s := store.NewMem(t.Name())
	a := newTestArray(t, s, "precip", ArraySpec{Shape: []int{4, 4, 4}, ChunkShape: []int{2, 2, 2}, DType: dtype.Float32Type, Compressor: "none"})
	if err := s.Put(ctx, "precip/c/1/0/1", []byte("short")); err != nil {
		t.Fatal(err)
	}
	_, err := ReadAll[float32](ctx, a)
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), `zarr: array "precip": chunk "c/1/0/1": `) {
		t.Fatalf("error %v", err)
	}
	_, err = a.ReadChunk(ctx, []int{1, 0, 1})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `chunk "c/1/0/1"`) {
		t.Fatalf("ReadChunk error %v", err)
	}
}

func TestReadConversionsAndEdges(t *testing.T) {
	ctx := context.Background()
	s := store.NewMem(t.Name())
	a := newTestArray(t, s, "v", ArraySpec{Format: 2, Shape: []int{5, 7}, ChunkShape: []int{2, 3}, DType: dtype.Int16Type, FillValue: -5})
	vals := make([]int16, 35)
	for i := range vals {
		vals[i] = int16(i*100 - 1000)
	}
	// Write all but the chunk row 2 (rows 4..), which stays fill.
	if err := Write(ctx, a, []int{0, 0}, []int{4, 7}, vals[:28]); err != nil {
		t.Fatal(err)
	}
	got64, err := Read[float64](ctx, a, []int{1, 2}, []int{4, 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			want := float64(-5)
			if r := 1 + i; r < 4 {
				want = float64(vals[r*7+2+j])
			}
			if got64[i*4+j] != want {
				t.Fatalf("[%d,%d] = %v, want %v", i, j, got64[i*4+j], want)
			}
		}
	}
	// A whole chunk straight into a caller buffer, edge chunk full-size.
	buf := make([]float32, 6)
	missing, err := ReadChunkInto(ctx, a, []int{0, 2}, buf)
	if err != nil || missing {
		t.Fatal(err, missing)
	}
	if buf[0] != float32(vals[6]) || buf[3] != float32(vals[13]) {
		t.Errorf("edge chunk %v", buf)
	}
	missing, err = ReadChunkInto(ctx, a, []int{2, 0}, buf)
	if err != nil || !missing || buf[0] != -5 {
		t.Errorf("missing chunk: %v %v %v", buf, missing, err)
	}
	if st, sh := a.ChunkBounds([]int{2, 2}); !equalInts(st, []int{4, 6}) || !equalInts(sh, []int{1, 1}) {
		t.Errorf("ChunkBounds: %v %v", st, sh)
	}
	c, err := a.ReadChunk(ctx, []int{0, 0})
	if err != nil || c.Key != "v/0.0" || len(c.Data) != 12 || c.Missing {
		t.Errorf("ReadChunk %+v %v", c, err)
	}
	if _, err := Read[float32](ctx, a, []int{4, 0}, []int{2, 1}); err == nil {
		t.Error("region past the edge: no error")
	}
	if _, err := ReadChunkInto(ctx, a, []int{3, 0}, buf); err == nil {
		t.Error("chunk outside the grid: no error")
	}
}

func TestReadCancelled(t *testing.T) {
	s := store.NewMem(t.Name())
	a := newTestArray(t, s, "v", ArraySpec{Shape: []int{100}, ChunkShape: []int{1}, DType: dtype.Uint8Type, FillValue: 0})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadAll[uint8](ctx, a); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkReadChunkFloat32(b *testing.B) {
	ctx := context.Background()
	s := store.NewMem(b.Name())
	a, _ := CreateArray(ctx, s, "v", ArraySpec{Shape: []int{256, 256}, ChunkShape: []int{256, 256}, DType: dtype.Int16Type, Compressor: "none"})
	vals := make([]int16, 256*256)
	for i := range vals {
		vals[i] = int16(i)
	}
	_ = Write(ctx, a, []int{0, 0}, []int{256, 256}, vals)
	dst := make([]float32, len(vals))
	b.SetBytes(int64(2 * len(vals)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadChunkInto(ctx, a, []int{0, 0}, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadChunkIntoSameLayout covers the path that decodes straight into the
// caller's slice (T's layout equals the decoded dtype's): stored, missing
// and big-endian chunks, with and without compression.
func TestReadChunkIntoSameLayout(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		spec ArraySpec
	}{
		{"v3-zstd", ArraySpec{Format: 3, DType: dtype.Float32Type}},
		{"v3-none", ArraySpec{Format: 3, DType: dtype.Float32Type, Compressor: "none"}},
		{"v2-gzip-bigendian", ArraySpec{Format: 2, DType: dtype.DType{Kind: dtype.Float32, BigEndian: true}, Compressor: "gzip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := store.NewMem(t.Name())
			spec := tc.spec
			spec.Shape, spec.ChunkShape, spec.FillValue = []int{4, 6}, []int{2, 6}, float32(-1)
			a := newTestArray(t, s, "v", spec)
			vals := make([]float32, 12)
			for i := range vals {
				vals[i] = float32(i)*1.5 - 3
			}
			if err := Write(ctx, a, []int{0, 0}, []int{2, 6}, vals); err != nil {
				t.Fatal(err)
			}
			dst := make([]float32, 12)
			missing, err := ReadChunkInto(ctx, a, []int{0, 0}, dst)
			if err != nil || missing {
				t.Fatal(err, missing)
			}
			for i := range vals {
				if dst[i] != vals[i] {
					t.Fatalf("[%d] = %v, want %v", i, dst[i], vals[i])
				}
			}
			missing, err = ReadChunkInto(ctx, a, []int{1, 0}, dst)
			if err != nil || !missing {
				t.Fatal(err, missing)
			}
			for i := range dst {
				if dst[i] != -1 {
					t.Fatalf("missing chunk [%d] = %v, want the fill -1", i, dst[i])
				}
			}
		})
	}
}
