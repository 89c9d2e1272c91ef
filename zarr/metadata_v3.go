package zarr

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// v3 fields this implementation understands; any other field must carry
// "must_understand": false or the node is refused, as the spec requires.
var (
	v3ArrayFields = map[string]bool{"zarr_format": true, "node_type": true, "shape": true, "data_type": true,
		"chunk_grid": true, "chunk_key_encoding": true, "fill_value": true, "codecs": true, "attributes": true,
		"storage_transformers": true, "dimension_names": true}
	v3GroupFields = map[string]bool{"zarr_format": true, "node_type": true, "attributes": true,
		"consolidated_metadata": true}
)

// parseNodeV3 parses a zarr.json document into an array or a group.
func parseNodeV3(doc []byte) (*nodeMeta, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(pythonJSON(doc), &fields); err != nil {
		return nil, fmt.Errorf("%w: zarr.json: %v", ErrInvalidMetadata, err)
	}
	var format int
	if err := json.Unmarshal(fields["zarr_format"], &format); err != nil || format != 3 {
		return nil, fmt.Errorf("%w: zarr.json: zarr_format must be 3", ErrInvalidMetadata)
	}
	var nodeType string
	_ = json.Unmarshal(fields["node_type"], &nodeType)
	known := v3GroupFields
	switch nodeType {
	case "array":
		known = v3ArrayFields
	case "group":
	default:
		return nil, fmt.Errorf("%w: zarr.json: node_type %q, want \"array\" or \"group\"", ErrInvalidMetadata, nodeType)
	}
	if err := refuseUnknownFields(fields, known); err != nil {
		return nil, err
	}
	if nodeType == "group" {
		g, err := parseGroupV3(fields)
		if err != nil {
			return nil, err
		}
		return &nodeMeta{group: g}, nil
	}
	a, err := parseArrayV3(fields)
	if err != nil {
		return &nodeMeta{arrayErr: err}, err
	}
	return &nodeMeta{array: a}, nil
}

func refuseUnknownFields(fields map[string]json.RawMessage, known map[string]bool) error {
	var unknown []string
	for k, v := range fields {
		if known[k] {
			continue
		}
		var ext struct {
			MustUnderstand *bool `json:"must_understand"`
		}
		if json.Unmarshal(v, &ext) == nil && ext.MustUnderstand != nil && !*ext.MustUnderstand {
			continue
		}
		unknown = append(unknown, k)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%w: zarr.json: unknown field %q (must be understood)", ErrUnsupported, unknown[0])
	}
	return nil
}

func parseGroupV3(fields map[string]json.RawMessage) (*groupMeta, error) {
	attrs, err := attrsFrom(fields["attributes"])
	if err != nil {
		return nil, fmt.Errorf("%w: zarr.json: %v", ErrInvalidMetadata, err)
	}
	g := &groupMeta{format: 3, attrs: attrs}
	raw := fields["consolidated_metadata"]
	if len(raw) == 0 || string(raw) == "null" {
		return g, nil
	}
	var cm struct {
		Kind     string                     `json:"kind"`
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &cm); err != nil {
		return nil, fmt.Errorf("%w: zarr.json: consolidated_metadata: %v", ErrInvalidMetadata, err)
	}
	if cm.Kind != "inline" {
		// Declared must_understand: false by writers; an unknown kind is
		// simply not used.
		return g, nil
	}
	g.nodes = make(map[string]*nodeMeta, len(cm.Metadata))
	for p, doc := range cm.Metadata {
		n, err := parseNodeV3(doc)
		if err != nil && n == nil {
			return nil, fmt.Errorf("consolidated_metadata %q: %w", p, err)
		}
		if n.group != nil {
			n.group.nodes = nil // descendants are listed at this level already
		}
		g.nodes[strings.Trim(p, "/")] = n
	}
	return g, nil
}

func parseArrayV3(fields map[string]json.RawMessage) (*arrayMeta, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: zarr.json: "+format, append([]any{ErrInvalidMetadata}, args...)...)
	}
	m := &arrayMeta{format: 3}
	if err := json.Unmarshal(fields["shape"], &m.shape); err != nil || m.shape == nil {
		return nil, bad("shape: want a list of integers")
	}
	dt, err := dtype.ParseV3(fields["data_type"])
	if err != nil {
		return nil, unsupported(fmt.Errorf("zarr.json: %w", err))
	}
	m.dtype = dt

	gridName, gridConf, _, err := parseNamed(fields["chunk_grid"])
	if err != nil {
		return nil, bad("chunk_grid: %v", err)
	}
	if gridName != "regular" {
		return nil, fmt.Errorf("%w: zarr.json: chunk grid %q", ErrUnsupported, gridName)
	}
	var grid struct {
		ChunkShape []int `json:"chunk_shape"`
	}
	if err := json.Unmarshal(gridConf, &grid); err != nil || grid.ChunkShape == nil {
		return nil, bad("chunk_grid: configuration.chunk_shape is required")
	}
	m.chunkShape = grid.ChunkShape
	if err := checkShape(m.shape, m.chunkShape); err != nil {
		return nil, bad("%v", err)
	}

	if m.keys, err = parseKeyEncodingV3(fields["chunk_key_encoding"]); err != nil {
		return nil, unsupportedOrInvalid(err)
	}
	if m.fill, err = dtype.ParseFillV3(dt, fields["fill_value"]); err != nil {
		return nil, bad("%v", err)
	}
	if len(fields["codecs"]) == 0 {
		return nil, bad("codecs: required")
	}
	if m.codecs, err = codec.ParseV3(fields["codecs"]); err != nil {
		return nil, bad("%v", err)
	}
	if raw := fields["storage_transformers"]; len(raw) > 0 && string(raw) != "null" {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, bad("storage_transformers: want a list")
		}
		for _, t := range list {
			name, _, must, err := parseNamed(t)
			if err != nil {
				return nil, bad("storage_transformers: %v", err)
			}
			if must {
				return nil, fmt.Errorf("%w: zarr.json: storage transformer %q", ErrUnsupported, name)
			}
		}
	}
	if m.attrs, err = attrsFrom(fields["attributes"]); err != nil {
		return nil, bad("%v", err)
	}
	if raw := fields["dimension_names"]; len(raw) > 0 && string(raw) != "null" {
		var names []*string
		if err := json.Unmarshal(raw, &names); err != nil || len(names) != len(m.shape) {
			return nil, bad("dimension_names: want %d strings or nulls", len(m.shape))
		}
		m.dimNames = make([]string, len(names))
		for i, n := range names {
			if n != nil {
				m.dimNames[i] = *n
			}
		}
	}
	return m, nil
}

func unsupportedOrInvalid(err error) error {
	if errors.Is(err, ErrUnsupported) {
		return err
	}
	return fmt.Errorf("%w: zarr.json: %v", ErrInvalidMetadata, err)
}

// v3Document renders an array's zarr.json.
func (m *arrayMeta) v3Document() map[string]any {
	doc := map[string]any{
		"zarr_format":        3,
		"node_type":          "array",
		"shape":              m.shape,
		"data_type":          m.dtype.V3JSON(),
		"chunk_grid":         map[string]any{"name": "regular", "configuration": map[string]any{"chunk_shape": m.chunkShape}},
		"chunk_key_encoding": m.keys.v3JSON(),
		"fill_value":         m.fill.JSONV3(),
		"codecs":             codecsJSON(m.codecs),
		"attributes":         m.attrs,
	}
	if m.attrs == nil {
		doc["attributes"] = map[string]any{}
	}
	if m.dimNames != nil {
		doc["dimension_names"] = m.dimNames
	}
	return doc
}

// codecsJSON renders a v3 codecs list.
func codecsJSON(cs []codec.Config) []any {
	out := make([]any, len(cs))
	for i, c := range cs {
		e := map[string]any{"name": c.Name}
		if len(c.Configuration) > 0 {
			e["configuration"] = json.RawMessage(c.Configuration)
		}
		out[i] = e
	}
	return out
}
