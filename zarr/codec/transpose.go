package codec

import (
	"encoding/json"
	"fmt"
	"unsafe"
)

// The "transpose" codec stores an array with its axes permuted:
// encoded.Shape[i] = decoded.Shape[order[i]]. A v2 array with order "F" is
// a transpose with the axes reversed, since F-order memory of shape S is the
// C-order memory of S reversed.
func init() { RegisterArray("transpose", newTranspose) }

type transpose struct {
	dec, enc ChunkSpec
	order    []int
}

func newTranspose(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	var conf struct {
		Order json.RawMessage `json:"order"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	n := len(spec.Shape)
	var order []int
	var named string
	if json.Unmarshal(conf.Order, &named) == nil {
		// zarr-python 3.0 betas accepted "C" and "F".
		order = make([]int, n)
		for i := range order {
			order[i] = i
			if named == "F" {
				order[i] = n - 1 - i
			}
		}
		if named != "C" && named != "F" {
			return nil, fmt.Errorf("order %q: want a permutation", named)
		}
	} else if err := json.Unmarshal(conf.Order, &order); err != nil {
		return nil, fmt.Errorf("order: want a list of axes: %w", err)
	}
	if len(order) != n {
		return nil, fmt.Errorf("order %v: want %d axes", order, n)
	}
	seen := make([]bool, n)
	enc := spec
	enc.Shape = make([]int, n)
	for i, ax := range order {
		if ax < 0 || ax >= n || seen[ax] {
			return nil, fmt.Errorf("order %v: not a permutation of 0..%d", order, n-1)
		}
		seen[ax] = true
		enc.Shape[i] = spec.Shape[ax]
	}
	return &transpose{dec: spec, enc: enc, order: order}, nil
}

func (t *transpose) Encoded() ChunkSpec { return t.enc }

func (t *transpose) Decode(src []byte) ([]byte, error) {
	if len(src) != t.enc.ByteSize() {
		return nil, fmt.Errorf("%w: transpose: got %d bytes, want %d", ErrCorrupt, len(src), t.enc.ByteSize())
	}
	// Walk the decoded array in C order; decoded axis order[i] is encoded
	// axis i, so its stride in src is the encoded stride of axis i.
	n := len(t.order)
	encStrides := cStrides(t.enc.Shape)
	strides := make([]int, n)
	for i, ax := range t.order {
		strides[ax] = encStrides[i]
	}
	out := make([]byte, len(src))
	permute(out, src, t.dec.Shape, strides, t.dec.DType.Size())
	return out, nil
}

func (t *transpose) Encode(src []byte) ([]byte, error) {
	if len(src) != t.dec.ByteSize() {
		return nil, fmt.Errorf("transpose: got %d bytes, want %d", len(src), t.dec.ByteSize())
	}
	// Walk the encoded array in C order; encoded axis i is decoded axis
	// order[i].
	decStrides := cStrides(t.dec.Shape)
	strides := make([]int, len(t.order))
	for i, ax := range t.order {
		strides[i] = decStrides[ax]
	}
	out := make([]byte, len(src))
	permute(out, src, t.enc.Shape, strides, t.dec.DType.Size())
	return out, nil
}

// cStrides returns element strides of a C-order array of shape.
func cStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// permute writes dst in C order of shape, taking element idx from src at
// sum(idx[k]*srcStrides[k]) elements. Common element sizes move as typed
// words; other sizes (and misaligned buffers) byte by byte.
func permute(dst, src []byte, shape, srcStrides []int, size int) {
	switch size {
	case 1:
		permuteTyped(dst, src, shape, srcStrides)
	case 2:
		if d, s, ok := words[uint16](dst, src); ok {
			permuteTyped(d, s, shape, srcStrides)
			return
		}
		permuteBytes(dst, src, shape, srcStrides, size)
	case 4:
		if d, s, ok := words[uint32](dst, src); ok {
			permuteTyped(d, s, shape, srcStrides)
			return
		}
		permuteBytes(dst, src, shape, srcStrides, size)
	case 8:
		if d, s, ok := words[uint64](dst, src); ok {
			permuteTyped(d, s, shape, srcStrides)
			return
		}
		permuteBytes(dst, src, shape, srcStrides, size)
	default:
		permuteBytes(dst, src, shape, srcStrides, size)
	}
}

// words views two byte slices as slices of W when both are aligned.
func words[W uint16 | uint32 | uint64](dst, src []byte) ([]W, []W, bool) {
	var w W
	size, align := int(unsafe.Sizeof(w)), uintptr(unsafe.Alignof(w))
	if len(dst) < size || len(src) < size {
		return nil, nil, false
	}
	pd, ps := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	if uintptr(pd)%align != 0 || uintptr(ps)%align != 0 {
		return nil, nil, false
	}
	return unsafe.Slice((*W)(pd), len(dst)/size), unsafe.Slice((*W)(ps), len(src)/size), true
}

func permuteTyped[W uint8 | uint16 | uint32 | uint64](dst, src []W, shape, srcStrides []int) {
	n := len(shape)
	total := 1
	for _, d := range shape {
		total *= d
	}
	if total == 0 {
		return
	}
	if n == 0 {
		dst[0] = src[0]
		return
	}
	inner, innerStride := shape[n-1], srcStrides[n-1]
	idx := make([]int, n)
	off := 0
	for o := 0; o < total; o += inner {
		s := off
		row := dst[o : o+inner]
		for j := range row {
			row[j] = src[s]
			s += innerStride
		}
		for k := n - 2; k >= 0; k-- {
			idx[k]++
			off += srcStrides[k]
			if idx[k] < shape[k] {
				break
			}
			off -= idx[k] * srcStrides[k]
			idx[k] = 0
		}
	}
}

func permuteBytes(dst, src []byte, shape, srcStrides []int, size int) {
	n := len(shape)
	total := 1
	for _, d := range shape {
		total *= d
	}
	if total == 0 {
		return
	}
	if n == 0 {
		copy(dst, src)
		return
	}
	inner, innerStride := shape[n-1], srcStrides[n-1]
	idx := make([]int, n)
	off := 0
	for o := 0; o < total; o += inner {
		s := off
		for j := 0; j < inner; j++ {
			copy(dst[(o+j)*size:(o+j+1)*size], src[s*size:(s+1)*size])
			s += innerStride
		}
		for k := n - 2; k >= 0; k-- {
			idx[k]++
			off += srcStrides[k]
			if idx[k] < shape[k] {
				break
			}
			off -= idx[k] * srcStrides[k]
			idx[k] = 0
		}
	}
}
