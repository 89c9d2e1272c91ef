package zarr

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// zarrayV2 is a v2 .zarray document.
type zarrayV2 struct {
	ZarrFormat         int             `json:"zarr_format"`
	Shape              []int           `json:"shape"`
	Chunks             []int           `json:"chunks"`
	DType              json.RawMessage `json:"dtype"`
	Compressor         json.RawMessage `json:"compressor"`
	FillValue          json.RawMessage `json:"fill_value"`
	Order              string          `json:"order"`
	Filters            json.RawMessage `json:"filters"`
	DimensionSeparator string          `json:"dimension_separator,omitempty"`
}

// parseArrayV2 parses a .zarray document and its .zattrs (may be nil).
func parseArrayV2(zarray, zattrs []byte) (*arrayMeta, error) {
	var z zarrayV2
	if err := json.Unmarshal(pythonJSON(zarray), &z); err != nil {
		return nil, fmt.Errorf("%w: .zarray: %v", ErrInvalidMetadata, err)
	}
	if z.ZarrFormat != 2 {
		return nil, fmt.Errorf("%w: .zarray: zarr_format %d, want 2", ErrInvalidMetadata, z.ZarrFormat)
	}
	if z.Shape == nil || z.Chunks == nil {
		return nil, fmt.Errorf("%w: .zarray: shape and chunks are required", ErrInvalidMetadata)
	}
	if err := checkShape(z.Shape, z.Chunks); err != nil {
		return nil, fmt.Errorf("%w: .zarray: %v", ErrInvalidMetadata, err)
	}
	dt, err := dtype.ParseV2(z.DType)
	if err != nil {
		return nil, unsupported(fmt.Errorf(".zarray: %w", err))
	}
	m := &arrayMeta{format: 2, shape: z.Shape, chunkShape: z.Chunks, dtype: dt}
	if len(z.FillValue) == 0 {
		z.FillValue = json.RawMessage("null")
	}
	if m.fill, err = dtype.ParseFillV2(dt, z.FillValue); err != nil {
		return nil, fmt.Errorf("%w: .zarray: %v", ErrInvalidMetadata, err)
	}
	if m.codecs, err = codec.ParseV2(z.Filters, z.Compressor, z.Order, len(z.Shape)); err != nil {
		return nil, fmt.Errorf("%w: .zarray: %v", ErrInvalidMetadata, err)
	}
	switch z.DimensionSeparator {
	case "", ".":
		m.keys = keyEncoding{sep: "."}
	case "/":
		m.keys = keyEncoding{sep: "/"}
	default:
		return nil, fmt.Errorf("%w: .zarray: dimension_separator %q", ErrInvalidMetadata, z.DimensionSeparator)
	}
	if m.attrs, err = attrsFrom(zattrs); err != nil {
		return nil, fmt.Errorf("%w: .zattrs: %v", ErrInvalidMetadata, err)
	}
	m.dimNames = dimNamesFrom(m.attrs, len(m.shape))
	return m, nil
}

// parseGroupV2 parses a .zgroup document (may be nil for an implicit
// group) and its .zattrs.
func parseGroupV2(zgroup, zattrs []byte) (*groupMeta, error) {
	if zgroup != nil {
		var z struct {
			ZarrFormat int `json:"zarr_format"`
		}
		if err := json.Unmarshal(zgroup, &z); err != nil || z.ZarrFormat != 2 {
			return nil, fmt.Errorf("%w: .zgroup: want {\"zarr_format\": 2}", ErrInvalidMetadata)
		}
	}
	attrs, err := attrsFrom(zattrs)
	if err != nil {
		return nil, fmt.Errorf("%w: .zattrs: %v", ErrInvalidMetadata, err)
	}
	return &groupMeta{format: 2, attrs: attrs}, nil
}

// parseConsolidatedV2 parses a .zmetadata document into the nodes it
// describes, by path relative to the group holding it.
func parseConsolidatedV2(doc []byte) (*groupMeta, map[string]*nodeMeta, error) {
	var z struct {
		Format   int                        `json:"zarr_consolidated_format"`
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(pythonJSON(doc), &z); err != nil {
		return nil, nil, fmt.Errorf("%w: .zmetadata: %v", ErrInvalidMetadata, err)
	}
	if z.Format != 1 {
		return nil, nil, fmt.Errorf("%w: .zmetadata: zarr_consolidated_format %d, want 1", ErrInvalidMetadata, z.Format)
	}
	get := func(key string) []byte {
		if v, ok := z.Metadata[key]; ok && string(v) != "null" {
			return v
		}
		return nil
	}
	nodes := map[string]*nodeMeta{}
	var root *groupMeta
	for key := range z.Metadata {
		dir, base := "", key
		if i := strings.LastIndexByte(key, '/'); i >= 0 {
			dir, base = key[:i], key[i+1:]
		}
		if base != ".zgroup" && base != ".zarray" {
			continue
		}
		attrsKey := joinKey(dir, ".zattrs")
		n := &nodeMeta{}
		var err error
		if base == ".zarray" {
			n.array, n.arrayErr = parseArrayV2(get(key), get(attrsKey))
		} else if n.group, err = parseGroupV2(get(key), get(attrsKey)); err != nil {
			return nil, nil, fmt.Errorf(".zmetadata %q: %w", key, err)
		}
		if dir == "" {
			if n.isArray() {
				return nil, nil, fmt.Errorf("%w: .zmetadata describes an array at its root", ErrInvalidMetadata)
			}
			root = n.group
			continue
		}
		nodes[dir] = n
	}
	if root == nil {
		root = &groupMeta{format: 2, attrs: map[string]any{}}
	}
	return root, nodes, nil
}

// v2Documents renders an array's .zarray and .zattrs.
func (m *arrayMeta) v2Documents() (zarray, zattrs map[string]any, err error) {
	var filters []any
	var compressor any
	order := "C"
	for _, c := range m.codecs {
		obj := map[string]any{}
		if len(c.Configuration) > 0 {
			if err := json.Unmarshal(c.Configuration, &obj); err != nil {
				return nil, nil, err
			}
		}
		obj["id"] = c.Name
		switch c.Name {
		case "bytes":
		case "transpose":
			order = "F"
		default:
			if codec.IsBytes(c.Name) {
				compressor = obj
			} else {
				filters = append(filters, obj)
			}
		}
	}
	zarray = map[string]any{
		"zarr_format":         2,
		"shape":               m.shape,
		"chunks":              m.chunkShape,
		"dtype":               m.dtype.V2String(),
		"compressor":          compressor,
		"fill_value":          m.fill.JSONV2(),
		"order":               order,
		"filters":             filters,
		"dimension_separator": m.keys.sep,
	}
	zattrs = map[string]any{}
	for k, v := range m.attrs {
		zattrs[k] = v
	}
	if m.dimNames != nil {
		zattrs["_ARRAY_DIMENSIONS"] = m.dimNames
	}
	return zarray, zattrs, nil
}
