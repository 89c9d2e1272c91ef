package cf

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// Coding is a variable's CF masking and packing, applied to raw values in
// xarray's order: values equal to a fill value become NaN, then
// value*Scale + Offset.
type Coding struct {
	// Missing are the raw values that mean "no data": the v2 Zarr fill_value,
	// the _FillValue and missing_value attributes. NaN is always missing
	// and is not listed.
	Missing []float64
	Scale   float64
	Offset  float64
	// Packed is set when scale_factor or add_offset is present.
	Packed bool
	// UnsignedBits is set (8, 16, 32) when _Unsigned="true" asks to read
	// signed storage as unsigned.
	UnsignedBits int
}

// codingOf derives the coding from the array's metadata. In Zarr v2 the
// array fill_value is the CF _FillValue; in v3 it only marks uninitialised
// chunks and the mask comes from the _FillValue attribute (xarray's rule).
func codingOf(a *zarr.Array) (Coding, error) {
	c := Coding{Scale: 1}
	attrs := a.Attributes
	if a.Format == 2 && !a.FillValue.IsNull() && isNumeric(a.DType.Kind) {
		c.addMissing(a.FillValue.Float64())
	}
	if raw, ok := attrs["_FillValue"]; ok {
		vals, err := attrNumbers(raw, a.DType.Kind)
		if err != nil {
			return c, fmt.Errorf("_FillValue: %w", err)
		}
		for _, v := range vals {
			c.addMissing(v)
		}
	}
	if raw, ok := attrs["missing_value"]; ok {
		vals, err := attrNumbers(raw, a.DType.Kind)
		if err != nil {
			return c, fmt.Errorf("missing_value: %w", err)
		}
		for _, v := range vals {
			c.addMissing(v)
		}
	}
	if v, ok := attrs["scale_factor"]; ok {
		f, err := attrFloat(v)
		if err != nil {
			return c, fmt.Errorf("scale_factor: %w", err)
		}
		c.Scale, c.Packed = f, true
	}
	if v, ok := attrs["add_offset"]; ok {
		f, err := attrFloat(v)
		if err != nil {
			return c, fmt.Errorf("add_offset: %w", err)
		}
		c.Offset, c.Packed = f, true
	}
	if u, _ := attrs["_Unsigned"].(string); u == "true" {
		switch a.DType.Kind {
		case dtype.Int8:
			c.UnsignedBits = 8
		case dtype.Int16:
			c.UnsignedBits = 16
		case dtype.Int32:
			c.UnsignedBits = 32
		}
	}
	return c, nil
}

func (c *Coding) addMissing(v float64) {
	if math.IsNaN(v) {
		return
	}
	for _, m := range c.Missing {
		if m == v {
			return
		}
	}
	c.Missing = append(c.Missing, v)
}

func isNumeric(k dtype.Kind) bool {
	return k.IsFloat() || k.IsInt() || k.IsUint() || k == dtype.Bool
}

// IsIdentity reports whether decoding leaves every value unchanged (no
// mask besides NaN, no packing).
func (c Coding) IsIdentity() bool {
	return len(c.Missing) == 0 && !c.Packed && c.UnsignedBits == 0
}

// NeedsFloat64 reports whether values of dt must be decoded in float64 to
// match xarray: packed data unpacks to float64 (Zarr attributes are JSON
// numbers, i.e. Python floats), and float64 or wide integers keep float64.
// Otherwise float32 represents every value exactly.
func (c Coding) NeedsFloat64(dt dtype.DType) bool {
	if c.Packed {
		return true
	}
	switch dt.Kind {
	case dtype.Float64, dtype.Int32, dtype.Int64, dtype.Uint32, dtype.Uint64:
		return true
	}
	return false
}

// DecodeFloat64 decodes raw values in place.
func (c Coding) DecodeFloat64(v []float64) {
	if c.UnsignedBits > 0 {
		wrap := math.Ldexp(1, c.UnsignedBits)
		for i, x := range v {
			if x < 0 {
				v[i] = x + wrap
			}
		}
	}
	for _, m := range c.Missing {
		nan := math.NaN()
		for i, x := range v {
			if x == m {
				v[i] = nan
			}
		}
	}
	if c.Packed {
		s, o := c.Scale, c.Offset
		for i, x := range v {
			v[i] = x*s + o
		}
	}
}

// DecodeFloat32 decodes raw values in place. The mask compares in float32,
// which is exact for the raw types NeedsFloat64 leaves to float32.
func (c Coding) DecodeFloat32(v []float32) {
	if c.UnsignedBits > 0 {
		wrap := float32(math.Ldexp(1, c.UnsignedBits))
		for i, x := range v {
			if x < 0 {
				v[i] = x + wrap
			}
		}
	}
	for _, m := range c.Missing {
		m32 := float32(m)
		nan := float32(math.NaN())
		for i, x := range v {
			if x == m32 {
				v[i] = nan
			}
		}
	}
	if c.Packed {
		s, o := float32(c.Scale), float32(c.Offset)
		for i, x := range v {
			v[i] = x*s + o
		}
	}
}

// attrNumbers reads a fill-like attribute: a number, a list of numbers, the
// strings "NaN"/"Infinity"/"-Infinity", or (xarray writing Zarr v3) the
// base64 of the value's little-endian bytes in the variable's dtype... which
// xarray always encodes as float64 for float variables.
func attrNumbers(raw any, k dtype.Kind) ([]float64, error) {
	switch v := raw.(type) {
	case float64:
		return []float64{v}, nil
	case []any:
		out := make([]float64, 0, len(v))
		for _, e := range v {
			f, err := attrNumbers(e, k)
			if err != nil {
				return nil, err
			}
			out = append(out, f...)
		}
		return out, nil
	case string:
		switch v {
		case "NaN", "nan":
			return []float64{math.NaN()}, nil
		case "Infinity", "inf":
			return []float64{math.Inf(1)}, nil
		case "-Infinity", "-inf":
			return []float64{math.Inf(-1)}, nil
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("cannot read %q as a number", v)
		}
		switch len(b) {
		case 8:
			return []float64{math.Float64frombits(binary.LittleEndian.Uint64(b))}, nil
		case 4:
			return []float64{float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))}, nil
		}
		return nil, fmt.Errorf("base64 value %q has %d bytes, want 4 or 8", v, len(b))
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("unexpected value %v (%T)", raw, raw)
}

func attrFloat(raw any) (float64, error) {
	vals, err := attrNumbers(raw, dtype.Float64)
	if err != nil {
		return 0, err
	}
	if len(vals) != 1 {
		return 0, fmt.Errorf("want one number, got %v", raw)
	}
	return vals[0], nil
}
