package zarr

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

const v3Array = `{"zarr_format":3,"node_type":"array","shape":[10,20],"data_type":"float32",
 "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,5]}},
 "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},
 "fill_value":"NaN","codecs":[{"name":"bytes","configuration":{"endian":"little"}}],
 "attributes":{"units":"K","missing":NaN},"dimension_names":["lat",null]%s}`

func TestParseArrayV3(t *testing.T) {
	n, err := parseNodeV3([]byte(strings.Replace(v3Array, "%s", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	m := n.array
	if !reflect.DeepEqual(m.shape, []int{10, 20}) || !reflect.DeepEqual(m.chunkShape, []int{4, 5}) || m.dtype != dtype.Float32Type {
		t.Errorf("%+v", m)
	}
	if !m.fill.IsNaN() || m.attrs["units"] != "K" || m.attrs["missing"] != "NaN" {
		t.Errorf("fill %v attrs %v", m.fill.Value(), m.attrs)
	}
	if !reflect.DeepEqual(m.dimNames, []string{"lat", ""}) {
		t.Errorf("dimension names %q", m.dimNames)
	}
}

func TestV3MustUnderstand(t *testing.T) {
	tests := []struct {
		extra string
		want  string // "" means accepted
	}{
		{`,"zarrproc_ext":{"must_understand":false,"x":1}`, ""},
		{`,"zarrproc_ext":{"x":1}`, `unknown field "zarrproc_ext"`},
		{`,"zarrproc_ext":3`, `unknown field "zarrproc_ext"`},
		{`,"storage_transformers":[{"name":"zarrproc_st"}]`, `storage transformer "zarrproc_st"`},
		{`,"storage_transformers":[{"name":"zarrproc_st","must_understand":false}]`, ""},
		{`,"storage_transformers":[]`, ""},
	}
	for _, tt := range tests {
		_, err := parseNodeV3([]byte(strings.Replace(v3Array, "%s", tt.extra, 1)))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.extra, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrUnsupported)):
			t.Errorf("%s: error %v, want one naming %s", tt.extra, err, tt.want)
		}
	}
	grid := strings.Replace(strings.Replace(v3Array, "%s", "", 1), `"regular"`, `"rectilinear"`, 1)
	if _, err := parseNodeV3([]byte(grid)); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "rectilinear") {
		t.Errorf("rectilinear grid: %v", err)
	}
}

func TestChunkKeys(t *testing.T) {
	tests := []struct {
		enc  string
		idx  []int
		want string
	}{
		{`{"name":"default"}`, []int{1, 23, 45}, "c/1/23/45"},
		{`{"name":"default","configuration":{"separator":"."}}`, []int{1, 2}, "c.1.2"},
		{`{"name":"default"}`, []int{}, "c"},
		{`"default"`, []int{0, 1}, "c/0/1"},
		{`{"name":"v2"}`, []int{1, 2}, "1.2"},
		{`{"name":"v2","configuration":{"separator":"/"}}`, []int{1, 2}, "1/2"},
		{`{"name":"v2"}`, []int{}, "0"},
	}
	for _, tt := range tests {
		e, err := parseKeyEncodingV3([]byte(tt.enc))
		if err != nil {
			t.Errorf("%s: %v", tt.enc, err)
			continue
		}
		if got := e.key(tt.idx); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.enc, tt.idx, got, tt.want)
		}
	}
	if _, err := parseKeyEncodingV3([]byte(`{"name":"zarrproc_keys"}`)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown encoding: %v", err)
	}
	if got := (keyEncoding{sep: "."}).key([]int{3, 0}); got != "3.0" {
		t.Errorf("v2 key %q", got)
	}
}

func TestParseArrayV2(t *testing.T) {
	zarray := `{"zarr_format":2,"shape":[3,4],"chunks":[2,2],"dtype":">i2","compressor":null,"fill_value":-9999,
		"order":"F","filters":null,"dimension_separator":"/"}`
	m, err := parseArrayV2([]byte(zarray), []byte(`{"_ARRAY_DIMENSIONS":["y","x"],"units":"m","bad":NaN}`))
	if err != nil {
		t.Fatal(err)
	}
	if !m.dtype.BigEndian || m.fill.Value() != int64(-9999) || m.keys.sep != "/" || m.codecs[0].Name != "transpose" {
		t.Errorf("%+v", m)
	}
	if !reflect.DeepEqual(m.dimNames, []string{"y", "x"}) || m.attrs["_ARRAY_DIMENSIONS"] != nil || m.attrs["bad"] != "NaN" {
		t.Errorf("dims %v attrs %v", m.dimNames, m.attrs)
	}
	for _, bad := range []string{
		`{"zarr_format":3,"shape":[3],"chunks":[2],"dtype":"<f4","compressor":null,"fill_value":0,"order":"C","filters":null}`,
		`{"zarr_format":2,"shape":[3],"chunks":[0],"dtype":"<f4","compressor":null,"fill_value":0,"order":"C","filters":null}`,
		`{"zarr_format":2,"shape":[3,3],"chunks":[2],"dtype":"<f4","compressor":null,"fill_value":0,"order":"C","filters":null}`,
		`{"zarr_format":2,"shape":[3],"chunks":[2],"dtype":"|O","compressor":null,"fill_value":0,"order":"C","filters":null}`,
		`{"zarr_format":2,"shape":[3],"chunks":[2],"dtype":"<f4","compressor":null,"fill_value":0,"order":"C","filters":null,"dimension_separator":"-"}`,
		`[]`,
	} {
		if _, err := parseArrayV2([]byte(bad), nil); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestZeroDimensionalArray(t *testing.T) {
	ctx := context.Background()
	for _, format := range []int{2, 3} {
		s := store.NewMem(t.Name())
		a, err := CreateArray(ctx, s, "scalar", ArraySpec{Format: format, Shape: []int{}, ChunkShape: []int{}, DType: dtype.Float64Type, FillValue: 1.5})
		if err != nil {
			t.Fatal(err)
		}
		wantKey := map[int]string{2: "scalar/0", 3: "scalar/c"}[format]
		if got := a.ChunkStoreKey(nil); got != wantKey {
			t.Errorf("v%d: key %q, want %q", format, got, wantKey)
		}
		if v, err := ReadAll[float64](ctx, a); err != nil || len(v) != 1 || v[0] != 1.5 {
			t.Fatalf("v%d unwritten: %v %v", format, v, err)
		}
		if err := Write(ctx, a, nil, nil, []float64{42}); err != nil {
			t.Fatal(err)
		}
		a, _ = OpenArray(ctx, s, "scalar")
		if v, err := ReadAll[float64](ctx, a); err != nil || v[0] != 42 {
			t.Fatalf("v%d written: %v %v", format, v, err)
		}
	}
}

func TestOpenMissing(t *testing.T) {
	ctx := context.Background()
	s := store.NewMem(t.Name())
	if _, err := OpenArray(ctx, s, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("array: %v", err)
	}
	if _, err := OpenGroup(ctx, s, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("group: %v", err)
	}
	if _, err := CreateGroup(ctx, s, "g", 3, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenArray(ctx, s, "g"); !errors.Is(err, ErrNotFound) {
		t.Errorf("group as array: %v", err)
	}
	if _, err := OpenArray(ctx, s, "../x"); err == nil {
		t.Error("path with ..: no error")
	}
}

func TestGroupListingWithoutConsolidation(t *testing.T) {
	ctx := context.Background()
	for _, format := range []int{2, 3} {
		s := store.NewMem(t.Name())
		for _, p := range []string{"a", "b/c"} {
			if _, err := CreateArray(ctx, s, p, ArraySpec{Format: format, Shape: []int{2}, ChunkShape: []int{2}, DType: dtype.Uint8Type}); err != nil {
				t.Fatal(err)
			}
		}
		g, err := OpenGroup(ctx, s, "")
		if err != nil {
			t.Fatal(err)
		}
		ms, err := g.Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []Member{{"a", true}, {"b", false}}; g.Consolidated() || !reflect.DeepEqual(ms, want) {
			t.Errorf("v%d: members %v", format, ms)
		}
		b, err := g.OpenGroup(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		if names, _ := b.ArrayNames(ctx); !reflect.DeepEqual(names, []string{"c"}) {
			t.Errorf("v%d: b arrays %v", format, names)
		}
	}
}

// One string variable must not make a consolidated dataset unreadable.
func TestConsolidatedGroupWithUnsupportedArray(t *testing.T) {
	ctx := context.Background()
	for _, format := range []int{2, 3} {
		s := store.NewMem(t.Name())
		if _, err := CreateArray(ctx, s, "precip", ArraySpec{Format: format, Shape: []int{2}, ChunkShape: []int{2}, DType: dtype.Float32Type}); err != nil {
			t.Fatal(err)
		}
		if format == 2 {
			_ = s.Put(ctx, "names/.zarray", []byte(`{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"|O","compressor":null,"fill_value":null,"order":"C","filters":[{"id":"vlen-utf8"}]}`))
		} else {
			_ = s.Put(ctx, "names/zarr.json", []byte(`{"zarr_format":3,"node_type":"array","shape":[2],"data_type":"string","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},"chunk_key_encoding":{"name":"default"},"fill_value":"","codecs":[{"name":"vlen-utf8"}]}`))
		}
		if err := Consolidate(ctx, s, ""); err != nil {
			t.Fatal(err)
		}
		g, err := OpenGroup(ctx, s, "")
		if err != nil {
			t.Fatalf("v%d: %v", format, err)
		}
		if names, _ := g.ArrayNames(ctx); !reflect.DeepEqual(names, []string{"names", "precip"}) {
			t.Errorf("v%d: arrays %v", format, names)
		}
		if _, err := g.OpenArray(ctx, "precip"); err != nil {
			t.Errorf("v%d: precip: %v", format, err)
		}
		if _, err := g.OpenArray(ctx, "names"); !errors.Is(err, ErrUnsupported) {
			t.Errorf("v%d: names: %v", format, err)
		}
		if _, err := OpenArray(ctx, s, "names"); !errors.Is(err, ErrUnsupported) {
			t.Errorf("v%d: names without consolidation: %v", format, err)
		}
	}
}

func TestConsolidatedV2ImplicitGroup(t *testing.T) {
	ctx := context.Background()
	s := store.NewMem(t.Name())
	_ = s.Put(ctx, ".zmetadata", []byte(`{"zarr_consolidated_format":1,"metadata":{
		".zgroup":{"zarr_format":2},".zattrs":{"title":"x","nan":NaN},
		"a/b/.zarray":{"zarr_format":2,"shape":[2],"chunks":[2],"dtype":"<f4","compressor":null,"fill_value":"NaN","order":"C","filters":null},
		"a/b/.zattrs":{"_ARRAY_DIMENSIONS":["t"]}}}`))
	g, err := OpenGroup(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	if g.Attributes["title"] != "x" || g.Attributes["nan"] != "NaN" {
		t.Errorf("attrs %v", g.Attributes)
	}
	ms, _ := g.Members(ctx)
	if !reflect.DeepEqual(ms, []Member{{"a", false}}) {
		t.Fatalf("members %v", ms)
	}
	sub, err := g.OpenGroup(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := sub.OpenArray(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if b.Path != "a/b" || !reflect.DeepEqual(b.DimensionNames, []string{"t"}) {
		t.Errorf("array %q dims %v", b.Path, b.DimensionNames)
	}
	if v, err := ReadAll[float32](ctx, b); err != nil || v[0] == v[0] {
		t.Errorf("missing chunk should read NaN: %v %v", v, err)
	}
}
