package zarr

import (
	"encoding/json"
	"fmt"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// arrayMeta is one array's metadata in the model both formats parse into.
type arrayMeta struct {
	format     int
	shape      []int
	chunkShape []int
	dtype      dtype.DType // as stored (v2 may be big-endian)
	fill       dtype.Fill
	codecs     []codec.Config
	keys       keyEncoding
	dimNames   []string
	attrs      map[string]any
}

// groupMeta is one group's metadata.
type groupMeta struct {
	format int
	attrs  map[string]any
	// nodes holds consolidated metadata when present: every descendant by
	// path relative to the group. nil means "not consolidated".
	nodes map[string]*nodeMeta
}

// nodeMeta is either an array or a group. An array whose metadata this
// package cannot use (a string dtype, an unknown codec) is kept with its
// error, so one such variable does not make a whole consolidated group
// unreadable: the error surfaces when that array is opened.
type nodeMeta struct {
	array    *arrayMeta
	group    *groupMeta
	arrayErr error
}

func (n *nodeMeta) isArray() bool { return n.array != nil || n.arrayErr != nil }

// parseNamed reads a v3 extension point value: a name string or
// {"name", "configuration", "must_understand"}. mustUnderstand is true
// unless the value says false.
func parseNamed(raw json.RawMessage) (name string, conf json.RawMessage, mustUnderstand bool, err error) {
	if json.Unmarshal(raw, &name) == nil {
		return name, nil, true, nil
	}
	var obj struct {
		Name           string          `json:"name"`
		Configuration  json.RawMessage `json:"configuration"`
		MustUnderstand *bool           `json:"must_understand"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Name == "" {
		return "", nil, true, fmt.Errorf("want a name or {\"name\": ...}, got %s", clip(raw))
	}
	return obj.Name, obj.Configuration, obj.MustUnderstand == nil || *obj.MustUnderstand, nil
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// checkShape validates a shape and chunk shape pair.
func checkShape(shape, chunks []int) error {
	if len(shape) != len(chunks) {
		return fmt.Errorf("chunk shape %v has %d axes, shape %v has %d", chunks, len(chunks), shape, len(shape))
	}
	total := 1
	for i := range shape {
		if shape[i] < 0 || shape[i] > 1<<52 {
			return fmt.Errorf("shape %v: lengths must be in 0..2^52", shape)
		}
		if chunks[i] <= 0 {
			return fmt.Errorf("chunk shape %v: lengths must be positive", chunks)
		}
		if chunks[i] > 1<<31 {
			return fmt.Errorf("chunk shape %v: too large", chunks)
		}
		total *= chunks[i]
		if total > 1<<40 || total < 0 {
			return fmt.Errorf("chunk shape %v: too many elements", chunks)
		}
	}
	return nil
}

// attrsFrom decodes an attributes object (absent or null → empty map).
func attrsFrom(raw json.RawMessage) (map[string]any, error) {
	attrs := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return attrs, nil
	}
	if err := json.Unmarshal(pythonJSON(raw), &attrs); err != nil {
		return nil, fmt.Errorf("attributes: want an object: %w", err)
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	return attrs, nil
}

// dimNamesFrom reads _ARRAY_DIMENSIONS (v2, xarray's convention) out of
// attrs, removing it: DimensionNames carries it.
func dimNamesFrom(attrs map[string]any, ndim int) []string {
	v, ok := attrs["_ARRAY_DIMENSIONS"]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok || len(list) != ndim {
		return nil
	}
	names := make([]string, ndim)
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil
		}
		names[i] = s
	}
	delete(attrs, "_ARRAY_DIMENSIONS")
	return names
}
