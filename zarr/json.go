package zarr

import (
	"bytes"
	"encoding/json"
	"math"
)

// Python's json module, which zarr-python and xarray write metadata with,
// emits the bare tokens NaN, Infinity and -Infinity for non-finite floats
// (in attributes, and in old fill values). Go's encoding/json rejects them,
// so documents are read through readJSON, which turns those tokens into the
// strings "NaN", "Infinity", "-Infinity" (what the Zarr specs use), and
// written through writeJSON, which emits the bare tokens Python reads back
// as floats.

// pythonJSON rewrites bare NaN/Infinity/-Infinity tokens outside strings as
// JSON strings. Documents without them are returned unchanged.
func pythonJSON(b []byte) []byte {
	if !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")) {
		return b
	}
	var out bytes.Buffer
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			out.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			out.WriteByte(c)
			continue
		}
		matched := false
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if bytes.HasPrefix(b[i:], []byte(tok)) {
				out.WriteString(`"` + tok + `"`)
				i += len(tok) - 1
				matched = true
				break
			}
		}
		if !matched {
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}

// nonFinite marks non-finite floats while marshalling; the marker is
// replaced by the bare token afterwards.
const nonFinitePrefix = "\x00zarrproc-nonfinite:"

// writeJSON marshals v indented as zarr-python does, writing non-finite
// floats as bare NaN/Infinity/-Infinity tokens.
func writeJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(markNonFinite(v), "", "  ")
	if err != nil {
		return nil, err
	}
	for _, tok := range []string{"NaN", "Infinity", "-Infinity"} {
		marker, _ := json.Marshal(nonFinitePrefix + tok)
		b = bytes.ReplaceAll(b, marker, []byte(tok))
	}
	return b, nil
}

// markNonFinite copies maps and slices of v, replacing non-finite floats
// with marker strings.
func markNonFinite(v any) any {
	switch x := v.(type) {
	case float64:
		return markFloat(x, v)
	case float32:
		return markFloat(float64(x), v)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = markNonFinite(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = markNonFinite(e)
		}
		return s
	case []float64:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = markFloat(e, e)
		}
		return s
	case []float32:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = markFloat(float64(e), e)
		}
		return s
	}
	return v
}

func markFloat(f float64, orig any) any {
	switch {
	case math.IsNaN(f):
		return nonFinitePrefix + "NaN"
	case math.IsInf(f, 1):
		return nonFinitePrefix + "Infinity"
	case math.IsInf(f, -1):
		return nonFinitePrefix + "-Infinity"
	}
	return orig
}

func nan() float64      { return math.NaN() }
func inf(s int) float64 { return math.Inf(s) }
