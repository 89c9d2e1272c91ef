package dtype

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Fill is an array's fill value: the value of every element of a chunk that
// was never written. It holds one element in little-endian bytes; a null
// fill (v2 "fill_value": null) holds none and reads as zero.
type Fill struct {
	DType DType
	raw   []byte
}

// NewFill returns the fill value v (bool, any Go integer or float type,
// complex128, nil for null) converted to d.
func NewFill(d DType, v any) (Fill, error) {
	f := Fill{DType: d.Native()}
	switch x := v.(type) {
	case nil:
		return f, nil
	case string:
		if d.Kind != FixedUTF32 {
			return f, fmt.Errorf("fill value %q: not a %s", x, d)
		}
		f.raw = EncodeUTF32(make([]byte, d.Length), x)
		return f, nil
	case bool:
		if d.Kind != Bool {
			return f, fmt.Errorf("fill value %v: not a %s", x, d)
		}
		f.raw = []byte{0}
		if x {
			f.raw[0] = 1
		}
		return f, nil
	case float64:
		return f, f.setFloat(x)
	case float32:
		return f, f.setFloat(float64(x))
	case int:
		return f, f.setInt(int64(x))
	case int8:
		return f, f.setInt(int64(x))
	case int16:
		return f, f.setInt(int64(x))
	case int32:
		return f, f.setInt(int64(x))
	case int64:
		return f, f.setInt(x)
	case uint8:
		return f, f.setUint(uint64(x))
	case uint16:
		return f, f.setUint(uint64(x))
	case uint32:
		return f, f.setUint(uint64(x))
	case uint64:
		return f, f.setUint(x)
	case uint:
		return f, f.setUint(uint64(x))
	case complex128:
		if !d.Kind.IsComplex() {
			return f, fmt.Errorf("fill value %v: not a %s", x, d)
		}
		f.setComplex(real(x), imag(x))
		return f, nil
	}
	return f, fmt.Errorf("fill value %v (%T): unsupported Go type", v, v)
}

// IsNull reports whether the fill value is undefined (v2 null).
func (f Fill) IsNull() bool { return f.raw == nil }

// Bytes returns one element in little-endian bytes, or nil for null.
// The caller must not modify it.
func (f Fill) Bytes() []byte { return f.raw }

// Float64 returns the fill value as a float64 (0 for null; the real part of a
// complex; booleans as 0/1).
func (f Fill) Float64() float64 {
	if f.raw == nil {
		return 0
	}
	b := f.raw
	switch f.DType.Kind {
	case Bool, Uint8:
		return float64(b[0])
	case Int8:
		return float64(int8(b[0]))
	case Int16:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case Uint16:
		return float64(binary.LittleEndian.Uint16(b))
	case Int32:
		return float64(int32(binary.LittleEndian.Uint32(b)))
	case Uint32:
		return float64(binary.LittleEndian.Uint32(b))
	case Int64, Datetime64, Timedelta64:
		return float64(int64(binary.LittleEndian.Uint64(b)))
	case Uint64:
		return float64(binary.LittleEndian.Uint64(b))
	case Float16:
		return float64(Float16ToFloat32(binary.LittleEndian.Uint16(b)))
	case Float32, Complex64:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case Float64, Complex128:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return 0
}

// Value returns the fill value as a Go value: nil, bool, int64, uint64,
// float64 or complex128.
func (f Fill) Value() any {
	if f.raw == nil {
		return nil
	}
	k := f.DType.Kind
	switch {
	case k == Bool:
		return f.raw[0] != 0
	case k.IsInt():
		return f.int64()
	case k == Uint64:
		return binary.LittleEndian.Uint64(f.raw)
	case k.IsUint():
		return uint64(f.Float64())
	case k == Complex64:
		return complex(float64(math.Float32frombits(binary.LittleEndian.Uint32(f.raw))),
			float64(math.Float32frombits(binary.LittleEndian.Uint32(f.raw[4:]))))
	case k == Complex128:
		return complex(math.Float64frombits(binary.LittleEndian.Uint64(f.raw)),
			math.Float64frombits(binary.LittleEndian.Uint64(f.raw[8:])))
	}
	return f.Float64()
}

func (f Fill) int64() int64 {
	switch f.DType.Kind {
	case Int64, Datetime64, Timedelta64:
		return int64(binary.LittleEndian.Uint64(f.raw))
	}
	return int64(f.Float64())
}

// IsNaN reports whether the fill value is a floating-point NaN.
func (f Fill) IsNaN() bool {
	return f.raw != nil && f.DType.Kind.IsFloat() && math.IsNaN(f.Float64())
}

// Equal reports whether two fill values have the same type and bits.
func (f Fill) Equal(o Fill) bool {
	return f.DType.Equal(o.DType) && (f.raw == nil) == (o.raw == nil) && bytes.Equal(f.raw, o.raw)
}

func (f *Fill) setFloat(x float64) error {
	k := f.DType.Kind
	switch {
	case k.IsFloat():
		f.raw = make([]byte, f.DType.Size())
		switch k {
		case Float16:
			binary.LittleEndian.PutUint16(f.raw, Float32ToFloat16(float32(x)))
		case Float32:
			binary.LittleEndian.PutUint32(f.raw, math.Float32bits(float32(x)))
		default:
			binary.LittleEndian.PutUint64(f.raw, math.Float64bits(x))
		}
		return nil
	case k.IsComplex():
		f.setComplex(x, 0)
		return nil
	case k.IsInt() || k.IsUint() || k == Bool:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("fill value %v: not an integer for %s", x, f.DType)
		}
		if k.IsUint() || k == Bool {
			if x < 0 || x >= 1<<64 {
				return fmt.Errorf("fill value %v: out of range for %s", x, f.DType)
			}
			return f.setUint(uint64(x))
		}
		if x < -(1<<63) || x >= 1<<63 {
			return fmt.Errorf("fill value %v: out of range for %s", x, f.DType)
		}
		return f.setInt(int64(x))
	}
	return fmt.Errorf("fill value %v: not valid for %s", x, f.DType)
}

func (f *Fill) setComplex(re, im float64) {
	if f.DType.Kind == Complex64 {
		f.raw = make([]byte, 8)
		binary.LittleEndian.PutUint32(f.raw, math.Float32bits(float32(re)))
		binary.LittleEndian.PutUint32(f.raw[4:], math.Float32bits(float32(im)))
		return
	}
	f.raw = make([]byte, 16)
	binary.LittleEndian.PutUint64(f.raw, math.Float64bits(re))
	binary.LittleEndian.PutUint64(f.raw[8:], math.Float64bits(im))
}

func (f *Fill) setInt(x int64) error {
	k := f.DType.Kind
	if k.IsFloat() || k.IsComplex() {
		return f.setFloat(float64(x))
	}
	if k.IsUint() || k == Bool {
		if x < 0 {
			return fmt.Errorf("fill value %d: negative for %s", x, f.DType)
		}
		return f.setUint(uint64(x))
	}
	size := f.DType.Size()
	if size == 0 {
		return fmt.Errorf("fill value %d: not valid for %s", x, f.DType)
	}
	if bits := uint(size * 8); bits < 64 && (x < -(1<<(bits-1)) || x >= 1<<(bits-1)) {
		return fmt.Errorf("fill value %d: out of range for %s", x, f.DType)
	}
	f.raw = make([]byte, 8)
	binary.LittleEndian.PutUint64(f.raw, uint64(x))
	f.raw = f.raw[:size]
	return nil
}

func (f *Fill) setUint(x uint64) error {
	k := f.DType.Kind
	if k.IsFloat() || k.IsComplex() {
		return f.setFloat(float64(x))
	}
	if k.IsInt() {
		if x >= 1<<63 {
			return fmt.Errorf("fill value %d: out of range for %s", x, f.DType)
		}
		return f.setInt(int64(x))
	}
	size := f.DType.Size()
	if size == 0 || (k == Bool && x > 1) {
		return fmt.Errorf("fill value %d: not valid for %s", x, f.DType)
	}
	if bits := uint(size * 8); bits < 64 && x >= 1<<bits {
		return fmt.Errorf("fill value %d: out of range for %s", x, f.DType)
	}
	f.raw = make([]byte, 8)
	binary.LittleEndian.PutUint64(f.raw, x)
	f.raw = f.raw[:size]
	return nil
}

// ParseFillV2 parses a v2 .zarray fill_value for d.
func ParseFillV2(d DType, raw json.RawMessage) (Fill, error) {
	return parseFill(d, raw, 2)
}

// ParseFillV3 parses a v3 zarr.json fill_value for d. Unlike v2, hex bit
// patterns ("0x7fc00000") are allowed for floats.
func ParseFillV3(d DType, raw json.RawMessage) (Fill, error) {
	f, err := parseFill(d, raw, 3)
	if err == nil && f.raw == nil {
		return f, fmt.Errorf("fill_value: null is not allowed in v3")
	}
	return f, err
}

func parseFill(d DType, raw json.RawMessage, version int) (Fill, error) {
	f := Fill{DType: d.Native()}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return f, fmt.Errorf("fill_value %s: %w", truncate(raw), err)
	}
	var err error
	switch x := v.(type) {
	case nil:
		return f, nil
	case bool:
		if d.Kind != Bool {
			// zarr-python 2 writes fill_value false/true only for bools;
			// accept 0/1 semantics for ints defensively.
			if x {
				err = f.setInt(1)
			} else {
				err = f.setInt(0)
			}
		} else {
			f, err = NewFill(d, x)
		}
	case json.Number:
		err = f.setNumber(string(x))
	case string:
		if d.Kind == FixedUTF32 {
			f, err = NewFill(d, x)
		} else {
			err = f.setString(x, version)
		}
	case []any:
		if !d.Kind.IsComplex() || len(x) != 2 {
			return f, fmt.Errorf("fill_value %s: a list is only valid for complex types", truncate(raw))
		}
		var parts [2]float64
		for i, p := range x {
			var g Fill
			g.DType = Float64Type
			if d.Kind == Complex64 {
				g.DType = Float32Type
			}
			switch y := p.(type) {
			case json.Number:
				err = g.setNumber(string(y))
			case string:
				err = g.setString(y, version)
			default:
				err = fmt.Errorf("not a number")
			}
			if err != nil {
				return f, fmt.Errorf("fill_value %s: %w", truncate(raw), err)
			}
			parts[i] = g.Float64()
		}
		f.setComplex(parts[0], parts[1])
	default:
		err = fmt.Errorf("unsupported JSON value")
	}
	if err != nil {
		return f, fmt.Errorf("fill_value %s for %s: %w", truncate(raw), d, err)
	}
	return f, nil
}

func (f *Fill) setNumber(s string) error {
	k := f.DType.Kind
	if k.IsInt() || k.IsUint() || k == Bool {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return f.setInt(i)
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return f.setUint(u)
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	return f.setFloat(x)
}

func (f *Fill) setString(s string, version int) error {
	k := f.DType.Kind
	switch {
	case s == "NaN" || s == "Infinity" || s == "-Infinity":
		if !k.IsFloat() && !k.IsComplex() {
			return fmt.Errorf("%q is only valid for floats", s)
		}
		x := math.NaN()
		if s == "Infinity" {
			x = math.Inf(1)
		} else if s == "-Infinity" {
			x = math.Inf(-1)
		}
		if k == Float32 && s == "NaN" {
			// The canonical quiet NaN of the width, not a narrowed float64 one.
			f.raw = binary.LittleEndian.AppendUint32(nil, 0x7fc00000)
			return nil
		}
		if k == Float16 && s == "NaN" {
			f.raw = binary.LittleEndian.AppendUint16(nil, 0x7e00)
			return nil
		}
		return f.setFloat(x)
	case s == "NaT":
		if k != Datetime64 && k != Timedelta64 {
			return fmt.Errorf("%q is only valid for datetimes", s)
		}
		return f.setInt(math.MinInt64)
	case strings.HasPrefix(s, "0x") && version == 3:
		if !k.IsFloat() {
			return fmt.Errorf("hex fill %q is only valid for floats", s)
		}
		size := f.DType.Size()
		if len(s) != 2+2*size {
			return fmt.Errorf("hex fill %q: want %d hex digits", s, 2*size)
		}
		u, err := strconv.ParseUint(s[2:], 16, 64)
		if err != nil {
			return fmt.Errorf("hex fill %q: %w", s, err)
		}
		f.raw = binary.LittleEndian.AppendUint64(nil, u)[:size]
		return nil
	}
	// v2 writes base64 of the raw bytes for byte strings and structured
	// types; zarr-python also uses it for some numeric fills.
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != f.DType.Size() {
		return fmt.Errorf("string %q is not a fill value for %s", s, f.DType)
	}
	f.raw = b
	return nil
}

// JSONV2 returns the fill value as a v2 .zarray fill_value.
func (f Fill) JSONV2() any { return f.jsonValue() }

// JSONV3 returns the fill value as a v3 zarr.json fill_value. NaNs other
// than the canonical quiet NaN are written as hex bit patterns.
func (f Fill) JSONV3() any {
	k := f.DType.Kind
	if f.raw != nil && k.IsFloat() && math.IsNaN(f.Float64()) {
		var bits uint64
		switch k {
		case Float16:
			bits = uint64(binary.LittleEndian.Uint16(f.raw))
			if bits == 0x7e00 {
				return "NaN"
			}
		case Float32:
			bits = uint64(binary.LittleEndian.Uint32(f.raw))
			if bits == 0x7fc00000 {
				return "NaN"
			}
		default:
			bits = binary.LittleEndian.Uint64(f.raw)
			if bits == 0x7ff8000000000000 {
				return "NaN"
			}
		}
		return fmt.Sprintf("0x%0*x", 2*f.DType.Size(), bits)
	}
	if k == FixedUTF32 {
		if f.raw == nil {
			return ""
		}
		return DecodeUTF32(f.raw)
	}
	if f.raw == nil {
		// v3 requires a value; the zero of the type is what zarr-python picks.
		return zeroJSON(k)
	}
	return f.jsonValue()
}

func zeroJSON(k Kind) any {
	switch {
	case k == Bool:
		return false
	case k.IsComplex():
		return []any{0.0, 0.0}
	}
	return 0
}

func (f Fill) jsonValue() any {
	if f.raw == nil {
		return nil
	}
	k := f.DType.Kind
	switch {
	case k == Bool:
		return f.raw[0] != 0
	case k.IsInt():
		return f.int64()
	case k.IsUint():
		return f.Value()
	case k.IsFloat():
		return floatJSON(f.Float64())
	case k.IsComplex():
		c := f.Value().(complex128)
		return []any{floatJSON(real(c)), floatJSON(imag(c))}
	}
	return nil
}

func floatJSON(x float64) any {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	}
	return x
}

// Float16ToFloat32 converts IEEE 754 half-precision bits to float32 exactly.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN, payload kept
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal half: value is mant * 2^-24, exact in float32.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32ToFloat16 converts a float32 to half precision, rounding to nearest
// even, as numpy does.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := mant >> shift
		rem := mant & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is the right result
	}
	return sign | uint16(r)
}

// EncodeUTF32 writes s into dst as zero-padded UTF-32LE code points (the
// decoded layout of FixedUTF32), cutting it at len(dst)/4 characters.
func EncodeUTF32(dst []byte, s string) []byte {
	clear(dst)
	i := 0
	for _, r := range s {
		if i+4 > len(dst) {
			break
		}
		binary.LittleEndian.PutUint32(dst[i:], uint32(r))
		i += 4
	}
	return dst
}

// DecodeUTF32 reads one zero-padded UTF-32LE item.
func DecodeUTF32(b []byte) string {
	rs := make([]rune, 0, len(b)/4)
	for i := 0; i+4 <= len(b); i += 4 {
		r := rune(binary.LittleEndian.Uint32(b[i:]))
		if r == 0 {
			break
		}
		rs = append(rs, r)
	}
	return string(rs)
}
