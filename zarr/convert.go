package zarr

import (
	"fmt"
	"unsafe"

	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// Number is an element type Read and Write convert to and from. Conversion
// follows Go's rules (float→int truncates; int→narrower int wraps); bools
// read as 0/1, datetimes as their int64 counts.
type Number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~int | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uint | ~float32 | ~float64
}

// box is a rectangular copy between two C-order arrays: count elements per
// axis from src (shape srcShape, starting at srcStart) to dst (dstShape,
// dstStart).
type box struct {
	srcShape, srcStart []int
	dstShape, dstStart []int
	count              []int
}

func (b box) empty() bool {
	for _, c := range b.count {
		if c <= 0 {
			return true
		}
	}
	return false
}

// collapse merges trailing axes that are copied whole in both arrays, so a
// whole-chunk copy becomes one long typed loop instead of many short ones.
func (b box) collapse() box {
	n := len(b.count)
	if n <= 1 {
		return b
	}
	c := box{
		srcShape: append([]int(nil), b.srcShape...), srcStart: append([]int(nil), b.srcStart...),
		dstShape: append([]int(nil), b.dstShape...), dstStart: append([]int(nil), b.dstStart...),
		count: append([]int(nil), b.count...),
	}
	for n > 1 {
		last := n - 1
		if c.count[last] != c.srcShape[last] || c.count[last] != c.dstShape[last] {
			break
		}
		// Axis last is whole in both: fold it into axis last-1.
		k := c.count[last]
		c.srcShape[last-1] *= k
		c.dstShape[last-1] *= k
		c.srcStart[last-1] *= k
		c.dstStart[last-1] *= k
		c.count[last-1] *= k
		c.srcShape, c.srcStart = c.srcShape[:last], c.srcStart[:last]
		c.dstShape, c.dstStart = c.dstShape[:last], c.dstStart[:last]
		c.count = c.count[:last]
		n--
	}
	return c
}

// copyBox copies b from decoded little-endian bytes of kind k into dst,
// converting with one typed loop per (stored type, T) pair.
func copyBox[T Number](dst []T, src []byte, k dtype.Kind, b box) error {
	if b.empty() {
		return nil
	}
	b = b.collapse()
	switch k {
	case dtype.Bool, dtype.Uint8:
		copyBoxTyped(dst, viewAs[uint8](src), b)
	case dtype.Int8:
		copyBoxTyped(dst, viewAs[int8](src), b)
	case dtype.Int16:
		copyBoxTyped(dst, viewAs[int16](src), b)
	case dtype.Uint16:
		copyBoxTyped(dst, viewAs[uint16](src), b)
	case dtype.Int32:
		copyBoxTyped(dst, viewAs[int32](src), b)
	case dtype.Uint32:
		copyBoxTyped(dst, viewAs[uint32](src), b)
	case dtype.Int64, dtype.Datetime64, dtype.Timedelta64:
		copyBoxTyped(dst, viewAs[int64](src), b)
	case dtype.Uint64:
		copyBoxTyped(dst, viewAs[uint64](src), b)
	case dtype.Float32:
		copyBoxTyped(dst, viewAs[float32](src), b)
	case dtype.Float64:
		copyBoxTyped(dst, viewAs[float64](src), b)
	case dtype.Float16:
		copyBoxTyped(dst, float16To32(viewAs[uint16](src)), b)
	default:
		return fmt.Errorf("%w: reading %s into numbers", ErrUnsupported, k)
	}
	return nil
}

// storeBox copies b from src into decoded little-endian bytes of kind k:
// the write direction of copyBox.
func storeBox[T Number](dst []byte, k dtype.Kind, src []T, b box) error {
	if b.empty() {
		return nil
	}
	b = b.collapse()
	switch k {
	case dtype.Bool, dtype.Uint8:
		copyBoxTyped(viewAs[uint8](dst), src, b)
	case dtype.Int8:
		copyBoxTyped(viewAs[int8](dst), src, b)
	case dtype.Int16:
		copyBoxTyped(viewAs[int16](dst), src, b)
	case dtype.Uint16:
		copyBoxTyped(viewAs[uint16](dst), src, b)
	case dtype.Int32:
		copyBoxTyped(viewAs[int32](dst), src, b)
	case dtype.Uint32:
		copyBoxTyped(viewAs[uint32](dst), src, b)
	case dtype.Int64, dtype.Datetime64, dtype.Timedelta64:
		copyBoxTyped(viewAs[int64](dst), src, b)
	case dtype.Uint64:
		copyBoxTyped(viewAs[uint64](dst), src, b)
	case dtype.Float32:
		copyBoxTyped(viewAs[float32](dst), src, b)
	case dtype.Float64:
		copyBoxTyped(viewAs[float64](dst), src, b)
	case dtype.Float16:
		h := viewAs[uint16](dst)
		f := float16To32(h)
		copyBoxTyped(f, src, b)
		for i, v := range f {
			h[i] = dtype.Float32ToFloat16(v)
		}
	default:
		return fmt.Errorf("%w: writing numbers as %s", ErrUnsupported, k)
	}
	if k == dtype.Bool {
		for i, v := range dst {
			if v != 0 {
				dst[i] = 1
			}
		}
	}
	return nil
}

// copyBoxTyped is the hot loop: for each row of the box, a plain typed
// conversion loop.
func copyBoxTyped[S, T Number](dst []T, src []S, b box) {
	n := len(b.count)
	if n == 0 {
		dst[0] = T(src[0])
		return
	}
	srcStr, dstStr := strides(b.srcShape), strides(b.dstShape)
	so, do := 0, 0
	for i := range n {
		so += b.srcStart[i] * srcStr[i]
		do += b.dstStart[i] * dstStr[i]
	}
	row := b.count[n-1]
	idx := make([]int, n)
	for {
		s := src[so : so+row]
		d := dst[do : do+row]
		for j, v := range s {
			d[j] = T(v)
		}
		k := n - 2
		for ; k >= 0; k-- {
			idx[k]++
			so += srcStr[k]
			do += dstStr[k]
			if idx[k] < b.count[k] {
				break
			}
			so -= idx[k] * srcStr[k]
			do -= idx[k] * dstStr[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// fillBox sets the dst side of b to v.
func fillBox[T Number](dst []T, b box, v T) {
	if b.empty() {
		return
	}
	b = box{srcShape: b.dstShape, srcStart: b.dstStart, dstShape: b.dstShape, dstStart: b.dstStart, count: b.count}.collapse()
	n := len(b.count)
	if n == 0 {
		dst[0] = v
		return
	}
	str := strides(b.dstShape)
	do := 0
	for i := range n {
		do += b.dstStart[i] * str[i]
	}
	row := b.count[n-1]
	idx := make([]int, n)
	for {
		d := dst[do : do+row]
		for j := range d {
			d[j] = v
		}
		k := n - 2
		for ; k >= 0; k-- {
			idx[k]++
			do += str[k]
			if idx[k] < b.count[k] {
				break
			}
			do -= idx[k] * str[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// fillAs converts a fill value to T (zero for a null fill).
func fillAs[T Number](f dtype.Fill) T {
	var v [1]T
	if f.IsNull() {
		return 0
	}
	one := []int{1}
	_ = copyBox(v[:], f.Bytes(), f.DType.Kind, box{srcShape: one, srcStart: []int{0}, dstShape: one, dstStart: []int{0}, count: one})
	return v[0]
}

func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// viewAs reinterprets little-endian bytes as a slice of S without copying
// (zarrproc runs on little-endian hosts). Misaligned input, which pooled
// and freshly decoded buffers never are, is copied to an aligned slice.
func viewAs[S Number](b []byte) []S {
	var zero S
	size := int(unsafe.Sizeof(zero))
	n := len(b) / size
	if n == 0 {
		return nil
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if uintptr(p)%unsafe.Alignof(zero) != 0 {
		out := make([]S, n)
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), n*size), b)
		return out
	}
	return unsafe.Slice((*S)(p), n)
}

func float16To32(h []uint16) []float32 {
	out := make([]float32, len(h))
	for i, v := range h {
		out[i] = dtype.Float16ToFloat32(v)
	}
	return out
}
