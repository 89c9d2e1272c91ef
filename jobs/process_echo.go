package jobs

import (
	"context"
	"time"
)

// echoProcess returns its inputs. Conformance tests use it; so do the job
// system's own tests and the queue benchmark, through its two control
// inputs: pause (seconds each tile sleeps) and tiles (how many tile tasks
// the job fans out into).
func echoProcess() *process {
	data := map[string]InputDescription{
		"stringInput":        {Title: "A string", Schema: map[string]any{"type": "string"}},
		"doubleInput":        {Title: "A number", Schema: map[string]any{"type": "number"}},
		"integerInput":       {Title: "An integer", Schema: map[string]any{"type": "integer"}},
		"booleanInput":       {Title: "A boolean", Schema: map[string]any{"type": "boolean"}},
		"arrayInput":         {Title: "An array", Schema: map[string]any{"type": "array", "items": map[string]any{}}},
		"complexObjectInput": {Title: "An object", Schema: map[string]any{"type": "object"}},
	}
	inputs := map[string]InputDescription{
		"pause": {Title: "Pause", Description: "Seconds each tile task sleeps before the job completes (for tests of progress, cancellation and crashes).",
			Schema: map[string]any{"type": "number", "minimum": 0, "maximum": 3600, "default": 0}},
		"tiles": {Title: "Tiles", Description: "Number of tile tasks the job fans out into (for tests of the queue).",
			Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 10000, "default": 1}},
	}
	outputs := map[string]OutputDescription{}
	for name, d := range data {
		d.MaxOccurs = 1
		inputs[name] = d
		outputs[name] = OutputDescription{Title: d.Title, Description: "The input " + name + ", returned.", Schema: d.Schema}
	}
	for name, d := range inputs {
		d.MaxOccurs = 1
		inputs[name] = d
	}
	return &process{
		desc: ProcessDescription{
			ProcessSummary: ProcessSummary{
				ID:                 "echo",
				Title:              "Echo",
				Description:        "Returns its inputs as outputs of the same names. pause and tiles control how long and in how many tasks it runs.",
				Version:            "1.0.0",
				Keywords:           []string{"test"},
				JobControlOptions:  []string{"sync-execute", "async-execute", "dismiss"},
				OutputTransmission: []string{"value"},
			},
			Inputs:  inputs,
			Outputs: outputs,
		},
		check: func(ctx context.Context, e *env, in map[string]any) (map[string]any, string, error) {
			return in, "", nil
		},
		open: func(ctx context.Context, e *env, rec *record) (work, error) {
			w := &echoWork{inputs: rec.Inputs, tiles: 1}
			if f, ok := number(rec.Inputs["pause"]); ok {
				w.pause = time.Duration(f * float64(time.Second))
			}
			if f, ok := number(rec.Inputs["tiles"]); ok && f >= 1 {
				w.tiles = int(f)
			}
			return w, nil
		},
	}
}

type echoWork struct {
	inputs map[string]any
	pause  time.Duration
	tiles  int
}

func (w *echoWork) Layout() string                  { return "" }
func (w *echoWork) NumTiles() int                   { return w.tiles }
func (w *echoWork) Start(ctx context.Context) error { return nil }

func (w *echoWork) RunTile(ctx context.Context, i int, report func(float64)) (any, error) {
	if w.pause <= 0 {
		return nil, ctx.Err()
	}
	start := time.Now()
	t := time.NewTimer(w.pause)
	defer t.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.C:
			return nil, nil
		case <-tick.C:
			report(float64(time.Since(start)) / float64(w.pause))
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

func (w *echoWork) Finish(ctx context.Context, _ map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(w.inputs))
	for k, v := range w.inputs {
		if k != "pause" && k != "tiles" {
			out[k] = v
		}
	}
	return out, nil
}
