package dtype

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestParseTypestring(t *testing.T) {
	tests := []struct {
		in   string
		want DType
		size int
		v2   string
	}{
		{"<f4", DType{Kind: Float32}, 4, "<f4"},
		{">f8", DType{Kind: Float64, BigEndian: true}, 8, ">f8"},
		{">i2", DType{Kind: Int16, BigEndian: true}, 2, ">i2"},
		{"|u1", DType{Kind: Uint8}, 1, "|u1"},
		{">u1", DType{Kind: Uint8}, 1, "|u1"},
		{"|b1", DType{Kind: Bool}, 1, "|b1"},
		{"|i1", DType{Kind: Int8}, 1, "|i1"},
		{"<f2", DType{Kind: Float16}, 2, "<f2"},
		{"<c8", DType{Kind: Complex64}, 8, "<c8"},
		{"<M8[ns]", DType{Kind: Datetime64, Unit: "ns", UnitScale: 1}, 8, "<M8[ns]"},
		{"<m8[10s]", DType{Kind: Timedelta64, Unit: "s", UnitScale: 10}, 8, "<m8[10s]"},
		{"<U10", DType{Kind: FixedUTF32, Length: 40}, 40, "<U10"},
		{">U2", DType{Kind: FixedUTF32, Length: 8, BigEndian: true}, 8, ">U2"},
	}
	for _, tt := range tests {
		got, err := ParseTypestring(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got != tt.want || got.Size() != tt.size || got.V2String() != tt.v2 {
			t.Errorf("%s: %+v size %d %s, want %+v size %d %s", tt.in, got, got.Size(), got.V2String(), tt.want, tt.size, tt.v2)
		}
	}
	for _, bad := range []string{"", "f4", "<x4", "<M8", "|O", "<U0", "<Ux", "|S12", "<f4[ns]", "<M8[parsec]"} {
		if _, err := ParseTypestring(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := ParseV2(json.RawMessage(`[["a","<f4"]]`)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("structured dtype: %v", err)
	}
}

func TestParseV3(t *testing.T) {
	tests := []struct {
		in   string
		want DType
	}{
		{`"float32"`, DType{Kind: Float32}},
		{`"bool"`, DType{Kind: Bool}},
		{`"uint64"`, DType{Kind: Uint64}},
		{`{"name":"int16"}`, DType{Kind: Int16}},
		{`{"name":"numpy.datetime64","configuration":{"unit":"s","scale_factor":1}}`, DType{Kind: Datetime64, Unit: "s", UnitScale: 1}},
		{`{"name":"numpy.datetime64","configuration":{"unit":"ms","scale_factor":10}}`, DType{Kind: Datetime64, Unit: "ms", UnitScale: 10}},
	}
	for _, tt := range tests {
		got, err := ParseV3(json.RawMessage(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`"string"`, `"r16"`, `{"name":"numpy.datetime64"}`, `42`, `{}`} {
		if _, err := ParseV3(json.RawMessage(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestFillValues(t *testing.T) {
	f32 := func(f Fill) uint32 { return math.Float32bits(float32(f.Float64())) }
	tests := []struct {
		dt      DType
		v3      bool
		in      string
		check   func(Fill) bool
		jsonOut any
	}{
		{Float32Type, false, `"NaN"`, func(f Fill) bool { return f32(f) == 0x7fc00000 }, "NaN"},
		{Float64Type, false, `"Infinity"`, func(f Fill) bool { return math.IsInf(f.Float64(), 1) }, "Infinity"},
		{Float64Type, false, `"-Infinity"`, func(f Fill) bool { return math.IsInf(f.Float64(), -1) }, "-Infinity"},
		{Float64Type, false, `9.969209968386869e+36`, func(f Fill) bool { return f.Float64() == 9.969209968386869e36 }, 9.969209968386869e36},
		{Float32Type, false, `null`, func(f Fill) bool { return f.IsNull() && f.Float64() == 0 }, nil},
		{Int16Type, false, `-9999`, func(f Fill) bool { return f.Value() == int64(-9999) }, int64(-9999)},
		{Uint64Type, false, `18446744073709551615`, func(f Fill) bool { return f.Value() == uint64(math.MaxUint64) }, uint64(math.MaxUint64)},
		{Int64Type, false, `-9223372036854775808`, func(f Fill) bool { return f.Value() == int64(math.MinInt64) }, int64(math.MinInt64)},
		{BoolType, false, `true`, func(f Fill) bool { return f.Value() == true }, true},
		{Float32Type, true, `"0x7fc00001"`, func(f Fill) bool {
			return math.Float32bits(math.Float32frombits(0x7fc00001)) == 0x7fc00001 && f.Bytes()[0] == 1
		}, "0x7fc00001"},
		{Float64Type, true, `"0x3ff0000000000000"`, func(f Fill) bool { return f.Float64() == 1 }, 1.0},
		{Float32Type, false, `"AADAfw=="`, func(f Fill) bool { return f32(f) == 0x7fc00000 }, "NaN"},
		{DType{Kind: Datetime64, Unit: "ns"}, false, `"NaT"`, func(f Fill) bool { return f.Value() == int64(math.MinInt64) }, int64(math.MinInt64)},
		{DType{Kind: Complex64}, true, `[1.5, "NaN"]`, func(f Fill) bool { c := f.Value().(complex128); return real(c) == 1.5 && math.IsNaN(imag(c)) }, nil},
		{Float16Type, true, `"NaN"`, func(f Fill) bool { return math.IsNaN(f.Float64()) }, "NaN"},
		{Int8Type, false, `1.0`, func(f Fill) bool { return f.Value() == int64(1) }, int64(1)},
	}
	for _, tt := range tests {
		parse := ParseFillV2
		if tt.v3 {
			parse = ParseFillV3
		}
		f, err := parse(tt.dt, json.RawMessage(tt.in))
		if err != nil {
			t.Errorf("%s %s: %v", tt.dt, tt.in, err)
			continue
		}
		if !tt.check(f) {
			t.Errorf("%s %s: got %v (%x)", tt.dt, tt.in, f.Value(), f.Bytes())
		}
		if tt.jsonOut != nil {
			out := f.JSONV2()
			if tt.v3 {
				out = f.JSONV3()
			}
			if out != tt.jsonOut {
				t.Errorf("%s %s: JSON %v (%T), want %v", tt.dt, tt.in, out, out, tt.jsonOut)
			}
		}
	}
	bad := []struct {
		dt DType
		in string
		v3 bool
	}{
		{Int8Type, `300`, false}, {Uint8Type, `-1`, false}, {Int16Type, `"NaN"`, false}, {Int16Type, `1.5`, false},
		{Float32Type, `null`, true}, {Float32Type, `"0x7fc0"`, true}, {Float32Type, `"0x7fc00000"`, false},
		{BoolType, `2`, false}, {Float32Type, `{}`, false}, {Float32Type, `[1,2]`, false},
	}
	for _, tt := range bad {
		parse := ParseFillV2
		if tt.v3 {
			parse = ParseFillV3
		}
		if f, err := parse(tt.dt, json.RawMessage(tt.in)); err == nil {
			t.Errorf("%s %s: no error, got %v", tt.dt, tt.in, f.Value())
		}
	}
}

func TestFloat16(t *testing.T) {
	for _, tt := range []struct {
		h uint16
		f float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.960464477539063e-08}, {0x0400, 6.103515625e-05},
		{0x7c00, float32(math.Inf(1))}, {0x8000, float32(math.Copysign(0, -1))}, {0x3555, 0.333251953125},
	} {
		if got := Float16ToFloat32(tt.h); got != tt.f && !(math.IsInf(float64(got), 1) && math.IsInf(float64(tt.f), 1)) {
			t.Errorf("%#04x → %v, want %v", tt.h, got, tt.f)
		}
		if got := Float32ToFloat16(tt.f); got != tt.h {
			t.Errorf("%v → %#04x, want %#04x", tt.f, got, tt.h)
		}
	}
	// Every finite half survives the round trip.
	for h := 0; h < 1<<16; h++ {
		f := Float16ToFloat32(uint16(h))
		if f != f {
			continue
		}
		if back := Float32ToFloat16(f); back != uint16(h) {
			t.Fatalf("%#04x → %v → %#04x", h, f, back)
		}
	}
	// Round half to even: 1 + 2^-11 lies halfway between 1 and 1+2^-10.
	if got := Float32ToFloat16(1 + 1.0/2048); got != 0x3c00 {
		t.Errorf("1+2^-11 → %#04x, want 0x3c00", got)
	}
	if got := Float32ToFloat16(70000); got != 0x7c00 {
		t.Errorf("overflow → %#04x, want inf", got)
	}
}
