package zarr

import (
	"context"
	"fmt"

	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// ReadStrings reads a whole 1-D fixed-length string array (FixedUTF32, as
// xarray writes string coordinates).
func ReadStrings(ctx context.Context, a *Array) ([]string, error) {
	if a.DType.Kind != dtype.FixedUTF32 || len(a.Shape) != 1 {
		return nil, arrayError(a.Path, "", fmt.Errorf("%w: ReadStrings wants a 1-D string array, have %s %v", ErrUnsupported, a.DType, a.Shape))
	}
	out := make([]string, 0, a.Shape[0])
	size := a.DType.Size()
	for c := 0; c < a.NumChunks()[0]; c++ {
		ch, err := a.ReadChunk(ctx, []int{c})
		if err != nil {
			return nil, err
		}
		n := min(a.ChunkShape[0], a.Shape[0]-c*a.ChunkShape[0])
		for i := 0; i < n; i++ {
			out = append(out, dtype.DecodeUTF32(ch.Data[i*size:(i+1)*size]))
		}
	}
	return out, nil
}

// WriteStrings writes a whole 1-D fixed-length string array; strings longer
// than the type's length are an error, not silently cut.
func WriteStrings(ctx context.Context, a *Array, vals []string) error {
	if a.DType.Kind != dtype.FixedUTF32 || len(a.Shape) != 1 {
		return arrayError(a.Path, "", fmt.Errorf("%w: WriteStrings wants a 1-D string array, have %s %v", ErrUnsupported, a.DType, a.Shape))
	}
	if len(vals) != a.Shape[0] {
		return arrayError(a.Path, "", fmt.Errorf("%d strings for shape %v", len(vals), a.Shape))
	}
	size, chunk := a.DType.Size(), a.ChunkShape[0]
	for _, v := range vals {
		if n := len([]rune(v)); n > size/4 {
			return arrayError(a.Path, "", fmt.Errorf("string %q has %d characters, the type holds %d", v, n, size/4))
		}
	}
	for c := 0; c < a.NumChunks()[0]; c++ {
		buf := make([]byte, chunk*size)
		for i := 0; i < chunk && c*chunk+i < len(vals); i++ {
			dtype.EncodeUTF32(buf[i*size:(i+1)*size], vals[c*chunk+i])
		}
		if err := a.WriteChunk(ctx, []int{c}, buf); err != nil {
			return err
		}
	}
	return nil
}
