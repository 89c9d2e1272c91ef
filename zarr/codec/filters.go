package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// The numcodecs filters that change values rather than bytes, as
// array→array codecs: delta, fixedscaleoffset, quantize, astype and
// bitround (v2 filter ids and v3 "numcodecs.<id>" names), plus the v3
// scale_offset extension. Decoding follows numcodecs' formulas:
//
//	delta            dec = cumsum(enc) in dtype
//	fixedscaleoffset dec = enc/scale + offset, cast to dtype
//	quantize, astype dec = cast(enc) to dtype
//	bitround         dec = enc
//	scale_offset     dec = enc/scale + offset in the array's own type
//
// Filters are rare in practice, so they favour clarity over speed: one
// element at a time through float64 or int64.
func init() {
	RegisterArray("delta", newDelta)
	RegisterArray("fixedscaleoffset", newFixedScaleOffset)
	RegisterArray("quantize", newQuantize)
	RegisterArray("astype", newAstype)
	RegisterArray("bitround", newBitround)
	RegisterArray("scale_offset", newScaleOffset)
	RegisterArray("packbits", newPackbits)
}

// filter holds what every value filter shares: the decoded spec, the
// encoded spec (same shape, maybe another dtype) and the two directions.
type filter struct {
	dec, enc ChunkSpec
	decode   func(dst, src []byte)
	encode   func(dst, src []byte)
}

func (f *filter) Encoded() ChunkSpec { return f.enc }

func (f *filter) Decode(src []byte) ([]byte, error) {
	if len(src) != f.enc.ByteSize() {
		return nil, fmt.Errorf("%w: filter: got %d bytes, want %d", ErrCorrupt, len(src), f.enc.ByteSize())
	}
	out := make([]byte, f.dec.ByteSize())
	f.decode(out, src)
	return out, nil
}

func (f *filter) Encode(src []byte) ([]byte, error) {
	if len(src) != f.dec.ByteSize() {
		return nil, fmt.Errorf("filter: got %d bytes, want %d", len(src), f.dec.ByteSize())
	}
	out := make([]byte, f.enc.ByteSize())
	f.encode(out, src)
	return out, nil
}

// filterTypes resolves a filter's decoded and encoded dtypes from its
// configuration keys, checking the decoded one against the array's.
func filterTypes(spec ChunkSpec, decRaw, encRaw json.RawMessage) (ChunkSpec, ChunkSpec, error) {
	dec, enc := spec, spec
	if len(decRaw) > 0 && string(decRaw) != "null" {
		d, err := dtype.ParseV2(decRaw)
		if err != nil {
			return dec, enc, err
		}
		if !d.Equal(spec.DType) {
			return dec, enc, fmt.Errorf("filter dtype %s does not match the array's %s", d, spec.DType)
		}
	}
	if len(encRaw) > 0 && string(encRaw) != "null" {
		d, err := dtype.ParseV2(encRaw)
		if err != nil {
			return dec, enc, err
		}
		enc.DType = d
		enc.Fill = dtype.Fill{DType: d}
	} else {
		enc.DType = spec.DType
	}
	if enc.DType.Kind.IsComplex() || dec.DType.Kind.IsComplex() {
		return dec, enc, fmt.Errorf("%w: filters on complex data", dtype.ErrUnsupported)
	}
	return dec, enc, nil
}

func newDelta(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	var conf struct {
		DType  json.RawMessage `json:"dtype"`
		AsType json.RawMessage `json:"astype"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	dec, enc, err := filterTypes(spec, conf.DType, conf.AsType)
	if err != nil {
		return nil, err
	}
	dk, ek := dec.DType.Kind, enc.DType.Kind
	n := dec.NumElements()
	f := &filter{dec: dec, enc: enc}
	if isIntKind(dk) {
		f.decode = func(dst, src []byte) {
			var acc int64
			for i := 0; i < n; i++ {
				acc += loadInt(src, ek, i)
				storeInt(dst, dk, i, acc)
			}
		}
		f.encode = func(dst, src []byte) {
			var prev int64
			for i := 0; i < n; i++ {
				v := loadInt(src, dk, i)
				storeInt(dst, ek, i, v-prev)
				prev = v
			}
		}
		return f, nil
	}
	// Floats accumulate in the dtype's own precision, as np.cumsum does.
	f.decode = func(dst, src []byte) {
		var acc float64
		for i := 0; i < n; i++ {
			acc = roundTo(dk, acc+loadFloat(src, ek, i))
			storeFloat(dst, dk, i, acc)
		}
	}
	f.encode = func(dst, src []byte) {
		var prev float64
		for i := 0; i < n; i++ {
			v := loadFloat(src, dk, i)
			storeFloat(dst, ek, i, v-prev)
			prev = v
		}
	}
	return f, nil
}

func newFixedScaleOffset(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	var conf struct {
		Offset float64         `json:"offset"`
		Scale  float64         `json:"scale"`
		DType  json.RawMessage `json:"dtype"`
		AsType json.RawMessage `json:"astype"`
	}
	conf.Scale = 1
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	if conf.Scale == 0 {
		return nil, fmt.Errorf("scale: must not be 0")
	}
	dec, enc, err := filterTypes(spec, conf.DType, conf.AsType)
	if err != nil {
		return nil, err
	}
	dk, ek := dec.DType.Kind, enc.DType.Kind
	// numpy does enc/scale in float32 when enc is float32 (NEP 50), in
	// float64 otherwise.
	work := dtype.Float64
	if ek == dtype.Float32 || ek == dtype.Float16 {
		work = dtype.Float32
	}
	n := dec.NumElements()
	return &filter{dec: dec, enc: enc,
		decode: func(dst, src []byte) {
			for i := 0; i < n; i++ {
				v := roundTo(work, roundTo(work, loadFloat(src, ek, i)/conf.Scale)+conf.Offset)
				storeFloat(dst, dk, i, v)
			}
		},
		encode: func(dst, src []byte) {
			for i := 0; i < n; i++ {
				v := math.RoundToEven((loadFloat(src, dk, i) - conf.Offset) * conf.Scale)
				storeFloat(dst, ek, i, v)
			}
		},
	}, nil
}

// castFilter decodes by casting enc to dec; used by quantize and astype.
func castFilter(dec, enc ChunkSpec) *filter {
	n := dec.NumElements()
	return &filter{dec: dec, enc: enc,
		decode: func(dst, src []byte) { castElems(dst, dec.DType.Kind, src, enc.DType.Kind, n) },
		encode: func(dst, src []byte) { castElems(dst, enc.DType.Kind, src, dec.DType.Kind, n) },
	}
}

func newQuantize(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	var conf struct {
		Digits int             `json:"digits"`
		DType  json.RawMessage `json:"dtype"`
		AsType json.RawMessage `json:"astype"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	dec, enc, err := filterTypes(spec, conf.DType, conf.AsType)
	if err != nil {
		return nil, err
	}
	if !dec.DType.Kind.IsFloat() {
		return nil, fmt.Errorf("quantize needs a float dtype, not %s", dec.DType)
	}
	f := castFilter(dec, enc)
	// numcodecs: keep enough binary digits for 10^-digits, then round.
	exp := math.Log10(math.Pow(10, -float64(conf.Digits)))
	if exp < 0 {
		exp = math.Floor(exp)
	} else {
		exp = math.Ceil(exp)
	}
	scale := math.Pow(2, math.Ceil(math.Log2(math.Pow(10, -exp))))
	n := dec.NumElements()
	dk, ek := dec.DType.Kind, enc.DType.Kind
	f.encode = func(dst, src []byte) {
		for i := 0; i < n; i++ {
			storeFloat(dst, ek, i, math.RoundToEven(scale*loadFloat(src, dk, i))/scale)
		}
	}
	return f, nil
}

func newAstype(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	var conf struct {
		EncodeDType json.RawMessage `json:"encode_dtype"`
		DecodeDType json.RawMessage `json:"decode_dtype"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	dec, enc, err := filterTypes(spec, conf.DecodeDType, conf.EncodeDType)
	if err != nil {
		return nil, err
	}
	return castFilter(dec, enc), nil
}

func newBitround(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	var conf struct {
		Keepbits int `json:"keepbits"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	k := spec.DType.Kind
	mantissa := map[dtype.Kind]int{dtype.Float32: 23, dtype.Float64: 52}[k]
	if mantissa == 0 {
		return nil, fmt.Errorf("bitround needs float32 or float64, not %s", spec.DType)
	}
	if conf.Keepbits < 0 || conf.Keepbits > mantissa {
		return nil, fmt.Errorf("keepbits %d: want 0..%d", conf.Keepbits, mantissa)
	}
	n := spec.NumElements()
	size := spec.DType.Size()
	mask := uint(mantissa - conf.Keepbits)
	return &filter{dec: spec, enc: spec,
		decode: func(dst, src []byte) { copy(dst, src) },
		encode: func(dst, src []byte) {
			copy(dst, src)
			if mask == 0 {
				return
			}
			// Round half to even on the kept mantissa bits, as numcodecs.
			for i := 0; i < n; i++ {
				if size == 4 {
					b := binary.LittleEndian.Uint32(dst[4*i:])
					b += (b>>mask)&1 + (1<<(mask-1) - 1)
					binary.LittleEndian.PutUint32(dst[4*i:], b&^(1<<mask-1))
				} else {
					b := binary.LittleEndian.Uint64(dst[8*i:])
					b += (b>>mask)&1 + (1<<(mask-1) - 1)
					binary.LittleEndian.PutUint64(dst[8*i:], b&^(1<<mask-1))
				}
			}
		},
	}, nil
}

func newScaleOffset(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	var conf struct {
		Offset float64 `json:"offset"`
		Scale  float64 `json:"scale"`
	}
	conf.Scale = 1
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	if conf.Scale == 0 {
		return nil, fmt.Errorf("scale: must not be 0")
	}
	k := spec.DType.Kind
	if !k.IsFloat() && !isIntKind(k) {
		return nil, fmt.Errorf("scale_offset on %s is not supported", spec.DType)
	}
	n := spec.NumElements()
	return &filter{dec: spec, enc: spec,
		decode: func(dst, src []byte) {
			for i := 0; i < n; i++ {
				if isIntKind(k) {
					storeInt(dst, k, i, loadInt(src, k, i)/int64(conf.Scale)+int64(conf.Offset))
					continue
				}
				storeFloat(dst, k, i, roundTo(k, roundTo(k, loadFloat(src, k, i)/conf.Scale)+conf.Offset))
			}
		},
		encode: func(dst, src []byte) {
			for i := 0; i < n; i++ {
				if isIntKind(k) {
					storeInt(dst, k, i, (loadInt(src, k, i)-int64(conf.Offset))*int64(conf.Scale))
					continue
				}
				storeFloat(dst, k, i, (loadFloat(src, k, i)-conf.Offset)*conf.Scale)
			}
		},
	}, nil
}

// newPackbits packs a bool array 8 elements per byte, most significant bit
// first (np.packbits), after one byte counting the padding bits at the end.
func newPackbits(config json.RawMessage, spec ChunkSpec) (ArrayCodec, error) {
	if spec.DType.Kind != dtype.Bool {
		return nil, fmt.Errorf("packbits needs a bool array, not %s", spec.DType)
	}
	n := spec.NumElements()
	enc := ChunkSpec{Shape: []int{1 + (n+7)/8}, DType: dtype.Uint8Type}
	enc.Fill, _ = dtype.NewFill(dtype.Uint8Type, 0)
	return &packbits{dec: spec, enc: enc, n: n}, nil
}

type packbits struct {
	dec, enc ChunkSpec
	n        int
}

func (p *packbits) Encoded() ChunkSpec { return p.enc }

func (p *packbits) Decode(src []byte) ([]byte, error) {
	if len(src) != p.enc.ByteSize() {
		return nil, fmt.Errorf("%w: packbits: got %d bytes, want %d", ErrCorrupt, len(src), p.enc.ByteSize())
	}
	if int(src[0]) != (8-p.n%8)%8 {
		return nil, fmt.Errorf("%w: packbits: %d padding bits, want %d", ErrCorrupt, src[0], (8-p.n%8)%8)
	}
	out := make([]byte, p.n)
	for i := range out {
		out[i] = (src[1+i/8] >> (7 - uint(i%8))) & 1
	}
	return out, nil
}

func (p *packbits) Encode(src []byte) ([]byte, error) {
	if len(src) != p.n {
		return nil, fmt.Errorf("packbits: got %d bytes, want %d", len(src), p.n)
	}
	out := make([]byte, p.enc.ByteSize())
	out[0] = byte((8 - p.n%8) % 8)
	for i, v := range src {
		if v != 0 {
			out[1+i/8] |= 1 << (7 - uint(i%8))
		}
	}
	return out, nil
}

func isIntKind(k dtype.Kind) bool { return k.IsInt() || k.IsUint() || k == dtype.Bool }

// roundTo rounds x to the precision of kind k.
func roundTo(k dtype.Kind, x float64) float64 {
	switch k {
	case dtype.Float32:
		return float64(float32(x))
	case dtype.Float16:
		return float64(dtype.Float16ToFloat32(dtype.Float32ToFloat16(float32(x))))
	}
	return x
}

// castElems converts n elements as numpy's astype does: integers wrap,
// floats to integers truncate toward zero.
func castElems(dst []byte, dk dtype.Kind, src []byte, sk dtype.Kind, n int) {
	if isIntKind(dk) && isIntKind(sk) {
		for i := 0; i < n; i++ {
			storeInt(dst, dk, i, loadInt(src, sk, i))
		}
		return
	}
	for i := 0; i < n; i++ {
		storeFloat(dst, dk, i, loadFloat(src, sk, i))
	}
}

func loadInt(b []byte, k dtype.Kind, i int) int64 {
	switch k {
	case dtype.Bool, dtype.Uint8:
		return int64(b[i])
	case dtype.Int8:
		return int64(int8(b[i]))
	case dtype.Int16:
		return int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
	case dtype.Uint16:
		return int64(binary.LittleEndian.Uint16(b[2*i:]))
	case dtype.Int32:
		return int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
	case dtype.Uint32:
		return int64(binary.LittleEndian.Uint32(b[4*i:]))
	case dtype.Int64, dtype.Uint64, dtype.Datetime64, dtype.Timedelta64:
		return int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return int64(loadFloat(b, k, i))
}

func storeInt(b []byte, k dtype.Kind, i int, v int64) {
	switch k {
	case dtype.Bool:
		b[i] = 0
		if v != 0 {
			b[i] = 1
		}
	case dtype.Int8, dtype.Uint8:
		b[i] = byte(v)
	case dtype.Int16, dtype.Uint16:
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	case dtype.Int32, dtype.Uint32:
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	case dtype.Int64, dtype.Uint64, dtype.Datetime64, dtype.Timedelta64:
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	default:
		storeFloat(b, k, i, float64(v))
	}
}

func loadFloat(b []byte, k dtype.Kind, i int) float64 {
	switch k {
	case dtype.Float16:
		return float64(dtype.Float16ToFloat32(binary.LittleEndian.Uint16(b[2*i:])))
	case dtype.Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	case dtype.Float64:
		return math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	case dtype.Uint64:
		return float64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return float64(loadInt(b, k, i))
}

func storeFloat(b []byte, k dtype.Kind, i int, v float64) {
	switch k {
	case dtype.Float16:
		binary.LittleEndian.PutUint16(b[2*i:], dtype.Float32ToFloat16(float32(v)))
	case dtype.Float32:
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(v)))
	case dtype.Float64:
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	case dtype.Uint64:
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	default:
		storeInt(b, k, i, int64(math.Trunc(v)))
	}
}
