// Package dtype is Zarr's data type model for both format versions: the
// element kinds, their sizes, parsing of v2 NumPy typestrings ("<f4",
// ">i2", "|b1", "<M8[ns]") and v3 data type names ("float32",
// {"name": "numpy.datetime64", ...}), and fill values.
//
// A DType describes stored elements. Decoded chunk data handed around by the
// zarr and codec packages is always little-endian; BigEndian only records how
// a v2 array stores its bytes, so the codec pipeline knows to swap them.
// The package knows nothing about stores, codecs or metadata files.
package dtype

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsupported is wrapped by errors for data types zarrproc does not read
// (strings, structured types, objects).
var ErrUnsupported = errors.New("unsupported data type")

// Kind is the element kind.
type Kind uint8

// The element kinds. Datetime64 and Timedelta64 are stored as int64 counts of
// Unit.
const (
	Invalid Kind = iota
	Bool
	Int8
	Int16
	Int32
	Int64
	Uint8
	Uint16
	Uint32
	Uint64
	Float16
	Float32
	Float64
	Complex64
	Complex128
	Datetime64
	Timedelta64
	// FixedUTF32 is a fixed-length Unicode string of Length/4 UTF-32 code
	// points, zero-padded: NumPy's "<U6", Zarr v3's fixed_length_utf32
	// (what xarray writes for string coordinates).
	FixedUTF32
)

var kindInfo = [...]struct {
	v3   string
	v2   string // kind letter and size, without byte order
	size int
}{
	Invalid:     {"invalid", "", 0},
	Bool:        {"bool", "b1", 1},
	Int8:        {"int8", "i1", 1},
	Int16:       {"int16", "i2", 2},
	Int32:       {"int32", "i4", 4},
	Int64:       {"int64", "i8", 8},
	Uint8:       {"uint8", "u1", 1},
	Uint16:      {"uint16", "u2", 2},
	Uint32:      {"uint32", "u4", 4},
	Uint64:      {"uint64", "u8", 8},
	Float16:     {"float16", "f2", 2},
	Float32:     {"float32", "f4", 4},
	Float64:     {"float64", "f8", 8},
	Complex64:   {"complex64", "c8", 8},
	Complex128:  {"complex128", "c16", 16},
	Datetime64:  {"numpy.datetime64", "M8", 8},
	Timedelta64: {"numpy.timedelta64", "m8", 8},
	FixedUTF32:  {"fixed_length_utf32", "U", 0},
}

// String returns the v3 name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindInfo) {
		return kindInfo[k].v3
	}
	return "invalid"
}

// IsFloat reports whether k is a real floating-point kind.
func (k Kind) IsFloat() bool { return k == Float16 || k == Float32 || k == Float64 }

// IsInt reports whether k is a signed integer kind (datetimes included:
// they are int64 counts).
func (k Kind) IsInt() bool {
	return k == Int8 || k == Int16 || k == Int32 || k == Int64 || k == Datetime64 || k == Timedelta64
}

// IsUint reports whether k is an unsigned integer kind.
func (k Kind) IsUint() bool { return k == Uint8 || k == Uint16 || k == Uint32 || k == Uint64 }

// IsComplex reports whether k is a complex kind.
func (k Kind) IsComplex() bool { return k == Complex64 || k == Complex128 }

// DType is a Zarr data type.
type DType struct {
	Kind Kind
	// Unit is the datetime64/timedelta64 unit ("s", "ms", "ns", "D", ...).
	Unit string
	// UnitScale is the count of Units per step (numpy's "10s"); 1 when absent.
	UnitScale int
	// BigEndian is set for v2 typestrings starting with ">": how the bytes
	// are stored, not how decoded data is laid out (always little-endian).
	BigEndian bool
	// Length is the item size in bytes of a fixed-length string kind.
	Length int
}

// FixedUTF32Type returns the type of strings of up to chars characters.
func FixedUTF32Type(chars int) DType { return DType{Kind: FixedUTF32, Length: 4 * chars} }

// Common data types.
var (
	BoolType    = DType{Kind: Bool}
	Int8Type    = DType{Kind: Int8}
	Int16Type   = DType{Kind: Int16}
	Int32Type   = DType{Kind: Int32}
	Int64Type   = DType{Kind: Int64}
	Uint8Type   = DType{Kind: Uint8}
	Uint16Type  = DType{Kind: Uint16}
	Uint32Type  = DType{Kind: Uint32}
	Uint64Type  = DType{Kind: Uint64}
	Float16Type = DType{Kind: Float16}
	Float32Type = DType{Kind: Float32}
	Float64Type = DType{Kind: Float64}
)

// Size is the item size in bytes.
func (d DType) Size() int {
	if d.Kind == FixedUTF32 {
		return d.Length
	}
	if int(d.Kind) < len(kindInfo) {
		return kindInfo[d.Kind].size
	}
	return 0
}

// Native returns d with little-endian storage: the layout of decoded data.
func (d DType) Native() DType {
	d.BigEndian = false
	return d
}

// Equal reports whether d and o describe the same values (byte order ignored).
func (d DType) Equal(o DType) bool {
	return d.Kind == o.Kind && d.Unit == o.Unit && d.scale() == o.scale() && d.Length == o.Length
}

func (d DType) scale() int {
	if d.UnitScale == 0 {
		return 1
	}
	return d.UnitScale
}

// String returns the v3 name, with the unit for datetimes
// ("numpy.datetime64[ns]").
func (d DType) String() string {
	s := d.Kind.String()
	if d.Unit != "" {
		s += "[" + d.unitString() + "]"
	}
	return s
}

func (d DType) unitString() string {
	if d.scale() != 1 {
		return strconv.Itoa(d.scale()) + d.Unit
	}
	return d.Unit
}

// V2String returns the v2 NumPy typestring, e.g. "<f4", "|u1", "<M8[ns]".
func (d DType) V2String() string {
	info := kindInfo[d.Kind]
	order := "<"
	switch {
	case d.Size() == 1:
		order = "|"
	case d.BigEndian:
		order = ">"
	}
	s := order + info.v2
	if d.Kind == FixedUTF32 {
		s += strconv.Itoa(d.Length / 4)
	}
	if d.Kind == Datetime64 || d.Kind == Timedelta64 {
		s += "[" + d.unitString() + "]"
	}
	return s
}

// ParseV2 parses a v2 dtype: a NumPy typestring. Structured (list) dtypes,
// strings and objects are refused with ErrUnsupported.
func ParseV2(raw json.RawMessage) (DType, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return DType{}, fmt.Errorf("%w: structured dtype %s", ErrUnsupported, truncate(raw))
	}
	return ParseTypestring(s)
}

// ParseTypestring parses a NumPy typestring such as "<f4" or ">M8[s]".
func ParseTypestring(s string) (DType, error) {
	if len(s) < 2 {
		return DType{}, fmt.Errorf("dtype %q: too short for a typestring", s)
	}
	var d DType
	switch s[0] {
	case '<', '|', '=':
	case '>':
		d.BigEndian = true
	default:
		return DType{}, fmt.Errorf("dtype %q: byte order must be <, > or |", s)
	}
	body := s[1:]
	unit := ""
	if i := strings.IndexByte(body, '['); i >= 0 {
		if !strings.HasSuffix(body, "]") {
			return DType{}, fmt.Errorf("dtype %q: unterminated unit", s)
		}
		unit = body[i+1 : len(body)-1]
		body = body[:i]
	}
	if body[0] == 'U' && unit == "" {
		n, err := strconv.Atoi(body[1:])
		if err != nil || n <= 0 {
			return DType{}, fmt.Errorf("dtype %q: bad string length", s)
		}
		return DType{Kind: FixedUTF32, Length: 4 * n, BigEndian: d.BigEndian}, nil
	}
	found := false
	for k := Bool; k <= Timedelta64; k++ {
		if kindInfo[k].v2 == body {
			d.Kind, found = k, true
			break
		}
	}
	if !found {
		return DType{}, fmt.Errorf("%w %q", ErrUnsupported, s)
	}
	if d.Kind == Datetime64 || d.Kind == Timedelta64 {
		if unit == "" || unit == "generic" {
			return DType{}, fmt.Errorf("%w %q: datetime without a unit", ErrUnsupported, s)
		}
		if err := d.setUnit(unit); err != nil {
			return DType{}, fmt.Errorf("dtype %q: %w", s, err)
		}
	} else if unit != "" {
		return DType{}, fmt.Errorf("dtype %q: unit on a non-time type", s)
	}
	if d.Size() == 1 {
		d.BigEndian = false
	}
	return d, nil
}

var timeUnits = map[string]bool{"Y": true, "M": true, "W": true, "D": true, "h": true, "m": true, "s": true,
	"ms": true, "us": true, "μs": true, "ns": true, "ps": true, "fs": true, "as": true}

// setUnit parses "ns" or "10s".
func (d *DType) setUnit(u string) error {
	i := 0
	for i < len(u) && u[i] >= '0' && u[i] <= '9' {
		i++
	}
	d.UnitScale = 1
	if i > 0 {
		n, err := strconv.Atoi(u[:i])
		if err != nil || n <= 0 {
			return fmt.Errorf("bad unit scale in %q", u)
		}
		d.UnitScale = n
	}
	if !timeUnits[u[i:]] {
		return fmt.Errorf("unknown time unit %q", u)
	}
	d.Unit = u[i:]
	return nil
}

// ParseV3 parses a v3 data_type: a name string, or an object
// {"name": ..., "configuration": ...} for extension types.
func ParseV3(raw json.RawMessage) (DType, error) {
	var name string
	var conf struct {
		Unit        *string `json:"unit"`
		ScaleFactor *int    `json:"scale_factor"`
		LengthBytes *int    `json:"length_bytes"`
	}
	if err := json.Unmarshal(raw, &name); err != nil {
		var obj struct {
			Name          string          `json:"name"`
			Configuration json.RawMessage `json:"configuration"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil || obj.Name == "" {
			return DType{}, fmt.Errorf("data_type %s: want a name or {\"name\": ...}", truncate(raw))
		}
		name = obj.Name
		if len(obj.Configuration) > 0 {
			if err := json.Unmarshal(obj.Configuration, &conf); err != nil {
				return DType{}, fmt.Errorf("data_type %s: configuration: %w", name, err)
			}
		}
	}
	if name == kindInfo[FixedUTF32].v3 {
		if conf.LengthBytes == nil || *conf.LengthBytes <= 0 || *conf.LengthBytes%4 != 0 {
			return DType{}, fmt.Errorf("data_type %s: configuration.length_bytes must be a positive multiple of 4", name)
		}
		return DType{Kind: FixedUTF32, Length: *conf.LengthBytes}, nil
	}
	for k := Bool; k <= Timedelta64; k++ {
		if kindInfo[k].v3 != name {
			continue
		}
		d := DType{Kind: k}
		if k == Datetime64 || k == Timedelta64 {
			if conf.Unit == nil {
				return DType{}, fmt.Errorf("data_type %s: configuration.unit is required", name)
			}
			if err := d.setUnit(*conf.Unit); err != nil {
				return DType{}, fmt.Errorf("data_type %s: %w", name, err)
			}
			if conf.ScaleFactor != nil {
				if *conf.ScaleFactor <= 0 {
					return DType{}, fmt.Errorf("data_type %s: scale_factor must be positive", name)
				}
				d.UnitScale *= *conf.ScaleFactor
			}
		}
		return d, nil
	}
	return DType{}, fmt.Errorf("%w %q", ErrUnsupported, name)
}

// V3JSON returns the v3 data_type value for d.
func (d DType) V3JSON() any {
	if d.Kind == FixedUTF32 {
		return map[string]any{"name": d.Kind.String(), "configuration": map[string]any{"length_bytes": d.Length}}
	}
	if d.Kind == Datetime64 || d.Kind == Timedelta64 {
		return map[string]any{"name": d.Kind.String(), "configuration": map[string]any{
			"unit": d.Unit, "scale_factor": d.scale()}}
	}
	return d.Kind.String()
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}
