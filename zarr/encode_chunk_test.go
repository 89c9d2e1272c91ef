package zarr

import (
	"context"
	"math"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// TestEncodeChunkPutChunk: bytes EncodeChunkFrom makes for one array are a
// chunk of any array with the same encoding, read back as the values; a
// chunk of fill values only encodes to nil, and putting nil removes a chunk
// that was there, so it reads as fill again.
func TestEncodeChunkPutChunk(t *testing.T) {
	ctx := context.Background()
	for _, format := range []int{2, 3} {
		spec := ArraySpec{Format: format, Shape: []int{4, 6}, ChunkShape: []int{2, 3},
			DType: dtype.DType{Kind: dtype.Float32}, FillValue: math.NaN()}
		src, err := CreateArray(ctx, store.NewMem(t.Name()), "a", spec)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := CreateArray(ctx, store.NewMem(t.Name()+"/dst"), "out/b", spec)
		if err != nil {
			t.Fatal(err)
		}
		vals := []float32{1, 2, 3, 4, float32(math.NaN()), 6}
		enc, err := EncodeChunkFrom(src, vals)
		if err != nil || enc == nil {
			t.Fatalf("v%d: EncodeChunkFrom = %v, %v", format, enc, err)
		}
		if err := dst.PutChunk(ctx, []int{1, 1}, enc); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, 6)
		missing, err := ReadChunkInto(ctx, dst, []int{1, 1}, got)
		if err != nil || missing {
			t.Fatalf("v%d: reading the put chunk: missing %v, %v", format, missing, err)
		}
		for i := range vals {
			if got[i] != vals[i] && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(vals[i]))) {
				t.Fatalf("v%d: read %v, put %v", format, got, vals)
			}
		}
		nan := float32(math.NaN())
		fill, err := EncodeChunkFrom(src, []float32{nan, nan, nan, nan, nan, nan})
		if err != nil || fill != nil {
			t.Fatalf("v%d: all-fill chunk encodes to %d bytes, err %v; want nil", format, len(fill), err)
		}
		if err := dst.PutChunk(ctx, []int{1, 1}, nil); err != nil {
			t.Fatal(err)
		}
		if missing, err := ReadChunkInto(ctx, dst, []int{1, 1}, got); err != nil || !missing {
			t.Fatalf("v%d: after putting nil the chunk is missing=%v (err %v), want missing", format, missing, err)
		}
		if _, err := EncodeChunkFrom(src, vals[:5]); err == nil {
			t.Fatalf("v%d: 5 values for a 6-value chunk encoded", format)
		}
		if err := dst.PutChunk(ctx, []int{2, 0}, enc); err == nil {
			t.Fatalf("v%d: chunk index out of the grid accepted", format)
		}
	}
}
