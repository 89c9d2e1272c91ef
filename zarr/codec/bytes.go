package codec

import (
	"encoding/json"
	"fmt"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// The "bytes" codec serialises an array in C order with a chosen byte order
// ("endian" in v3). v2 arrays use it too: with no endian configured it takes
// the byte order of the dtype (">f4" is big-endian). zarr-python still
// accepts the pre-release name "endian".
func init() {
	RegisterArrayBytes("bytes", newBytesCodec)
	RegisterArrayBytes("endian", newBytesCodec)
}

type bytesCodec struct {
	spec ChunkSpec
	swap bool
}

func newBytesCodec(config json.RawMessage, spec ChunkSpec) (ArrayBytesCodec, error) {
	var conf struct {
		Endian *string `json:"endian"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	big := spec.DType.BigEndian
	if conf.Endian != nil {
		switch *conf.Endian {
		case "little":
			big = false
		case "big":
			big = true
		default:
			return nil, fmt.Errorf("endian %q: want \"little\" or \"big\"", *conf.Endian)
		}
	}
	if spec.DType.Size() == 0 {
		return nil, fmt.Errorf("data type %s has no fixed size", spec.DType)
	}
	return &bytesCodec{spec: spec, swap: big && spec.DType.Size() > 1}, nil
}

func (c *bytesCodec) Decode(src []byte) ([]byte, error) {
	if len(src) != c.spec.ByteSize() {
		return nil, fmt.Errorf("%w: bytes: got %d bytes, want %d for shape %v of %s",
			ErrCorrupt, len(src), c.spec.ByteSize(), c.spec.Shape, c.spec.DType)
	}
	if !c.swap {
		return src, nil
	}
	out := make([]byte, len(src))
	swapBytes(out, src, elemSwapSize(c.spec))
	return out, nil
}

func (c *bytesCodec) Encode(src []byte) ([]byte, error) {
	if !c.swap {
		return src, nil
	}
	out := make([]byte, len(src))
	swapBytes(out, src, elemSwapSize(c.spec))
	return out, nil
}

// elemSwapSize is the width of one swapped scalar: complex numbers swap each
// part separately.
func elemSwapSize(s ChunkSpec) int {
	if s.DType.Kind.IsComplex() {
		return s.DType.Size() / 2
	}
	if s.DType.Kind == dtype.FixedUTF32 {
		return 4 // each code point swaps on its own
	}
	return s.DType.Size()
}

// swapBytes reverses the byte order of each size-byte element of src into dst.
func swapBytes(dst, src []byte, size int) {
	switch size {
	case 1:
		copy(dst, src)
	case 2:
		for i := 0; i+1 < len(src); i += 2 {
			dst[i], dst[i+1] = src[i+1], src[i]
		}
	case 4:
		for i := 0; i+3 < len(src); i += 4 {
			dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i+3], src[i+2], src[i+1], src[i]
		}
	case 8:
		for i := 0; i+7 < len(src); i += 8 {
			dst[i], dst[i+1], dst[i+2], dst[i+3], dst[i+4], dst[i+5], dst[i+6], dst[i+7] =
				src[i+7], src[i+6], src[i+5], src[i+4], src[i+3], src[i+2], src[i+1], src[i]
		}
	default:
		for i := 0; i+size <= len(src); i += size {
			for j := 0; j < size; j++ {
				dst[i+j] = src[i+size-1-j]
			}
		}
	}
}
