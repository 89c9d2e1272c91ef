package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// process is one entry of the catalogue: its OGC description, how its
// inputs are checked, and how a job of it runs.
type process struct {
	desc ProcessDescription
	// dedupe: an identical request (same canonical inputs) while a job runs
	// or after it succeeded is answered by that job (see Submit).
	dedupe bool
	// check validates inputs beyond their schemas (which Submit checks
	// first) and returns them normalized, with the version of the data they
	// name ("" when none) for the dedupe fingerprint; errors are
	// *InputError, ErrForbidden or ErrLimit. It may open the dataset.
	check func(ctx context.Context, e *env, inputs map[string]any) (in map[string]any, dataVersion string, err error)
	// writesOutput: a job writes the store <ResultsURL>/<jobID>.zarr.
	writesOutput bool
	// open rebuilds a job's work from its record; every task of the job
	// calls it, on whatever worker takes the task.
	open func(ctx context.Context, e *env, rec *record) (work, error)
}

// work is one job's work as the tasks see it. Every method is idempotent:
// asynq delivers a task at least once, and a task may run again on another
// worker after a crash.
type work interface {
	// NumTiles is the number of tile tasks; 1 runs the job as one task.
	NumTiles() int
	// Layout is how the work is cut into tiles where that depends on the
	// worker's configuration (the engine's memory budget), "" otherwise.
	// The plan task records it, and every later open of the job, on any
	// worker, gets it back in record.Layout, so tile i is the same
	// everywhere.
	Layout() string
	// Start prepares the output (creates the store's arrays).
	Start(ctx context.Context) error
	// RunTile computes tile i and returns what it cost (JSON-encodable, or
	// nil); it may call report with the fraction of the tile done.
	RunTile(ctx context.Context, i int, report func(fraction float64)) (any, error)
	// Finish completes the output once every tile is done and returns the
	// job's outputs; tileStats holds each tile's RunTile cost as JSON.
	Finish(ctx context.Context, tileStats map[string]string) (map[string]any, error)
}

// catalogue holds the processes by ID.
type catalogue map[string]*process

func newCatalogue() catalogue {
	c := catalogue{}
	for _, p := range []*process{echoProcess(), temporalAggregateProcess()} {
		c[p.desc.ID] = p
	}
	return c
}

func (c catalogue) descriptions() []ProcessDescription {
	out := make([]ProcessDescription, 0, len(c))
	for _, p := range c {
		out = append(out, p.desc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (c catalogue) get(id string) (*process, error) {
	p, ok := c[id]
	if !ok {
		return nil, fmt.Errorf("process %q: %w", id, ErrNoSuchProcess)
	}
	return p, nil
}

// checkInputs checks inputs against the description: unknown inputs,
// missing required ones, and each value against its schema. A qualified
// value ({"value": v}) is unwrapped for inputs whose schema is not an
// object. It returns the inputs with those unwrapped.
func checkInputs(d ProcessDescription, inputs map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(inputs))
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		desc, ok := d.Inputs[name]
		if !ok {
			return nil, &InputError{Input: name, Reason: "unknown input (the process takes " + strings.Join(inputNames(d), ", ") + ")"}
		}
		v := inputs[name]
		if q, ok := v.(map[string]any); ok && desc.Schema["type"] != "object" {
			if inner, ok := q["value"]; ok {
				v = inner
			}
		}
		if err := checkSchema(desc.Schema, v); err != nil {
			return nil, &InputError{Input: name, Reason: err.Error()}
		}
		out[name] = v
	}
	for _, name := range inputNames(d) {
		if _, ok := out[name]; !ok && d.Inputs[name].MinOccurs > 0 {
			return nil, &InputError{Input: name, Reason: "required"}
		}
	}
	return out, nil
}

func inputNames(d ProcessDescription) []string {
	names := make([]string, 0, len(d.Inputs))
	for n := range d.Inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkSchema checks v (decoded JSON) against the subset of JSON Schema
// the catalogue's descriptions use: type, enum, minimum, maximum, items,
// minItems, maxItems, properties, required.
func checkSchema(schema map[string]any, v any) error {
	if alts, ok := schema["oneOf"].([]map[string]any); ok {
		var first error
		for _, alt := range alts {
			err := checkSchema(alt, v)
			if err == nil {
				return nil
			}
			if first == nil {
				first = err
			}
		}
		return first
	}
	switch t, _ := schema["type"].(string); t {
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("want a string, got %s", jsonKind(v))
		}
	case "number", "integer":
		f, ok := number(v)
		if !ok {
			return fmt.Errorf("want a %s, got %s", t, jsonKind(v))
		}
		if t == "integer" && f != math.Trunc(f) {
			return fmt.Errorf("want an integer, got %v", f)
		}
		if lo, ok := number(schema["minimum"]); ok && f < lo {
			return fmt.Errorf("%v is below the minimum %v", f, lo)
		}
		if hi, ok := number(schema["maximum"]); ok && f > hi {
			return fmt.Errorf("%v is above the maximum %v", f, hi)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want true or false, got %s", jsonKind(v))
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want an array, got %s", jsonKind(v))
		}
		if n, ok := number(schema["minItems"]); ok && float64(len(arr)) < n {
			return fmt.Errorf("want at least %v items, got %d", n, len(arr))
		}
		if n, ok := number(schema["maxItems"]); ok && float64(len(arr)) > n {
			return fmt.Errorf("want at most %v items, got %d", n, len(arr))
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range arr {
				if err := checkSchema(items, it); err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
			}
		}
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("want an object, got %s", jsonKind(v))
		}
		req, _ := schema["required"].([]string)
		for _, r := range req {
			if _, ok := obj[r]; !ok {
				return fmt.Errorf("missing member %q", r)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for name, ps := range props {
			sub, ok := obj[name]
			if !ok {
				continue
			}
			if err := checkSchema(ps.(map[string]any), sub); err != nil {
				return fmt.Errorf("member %q: %w", name, err)
			}
		}
	}
	if enum, ok := schema["enum"].([]string); ok {
		s, _ := v.(string)
		if !slices.Contains(enum, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(enum, ", "))
		}
	}
	return nil
}

// number returns v as a float64 when it is a JSON number (float64 from
// encoding/json, json.Number, or a Go integer from callers building inputs).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if _, ok := number(v); ok {
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// fingerprint identifies a request: the process, its canonical inputs
// (encoding/json writes map keys sorted, so equal inputs encode equally) and
// the version of the data they name.
func fingerprint(processID string, inputs map[string]any, dataVersion string) (string, error) {
	b, err := json.Marshal(inputs)
	if err != nil {
		return "", err
	}
	return hashHex(processID + "\x00" + string(b) + "\x00" + dataVersion), nil
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
