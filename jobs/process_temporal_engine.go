package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/zarrproc/zarrproc/chunks"
)

// engineOptions are the engine's options under the job system's
// configuration: its memory budget, a store opener that enforces the
// allowlist, and the memo in the cache Redis. A task runs one tile, and
// MemoryBudget is what one task may hold: the engine plans for one tile in
// flight.
func (e *env) engineOptions() chunks.Options {
	opts := chunks.Options{
		Concurrency:  1,
		MemoryBudget: e.cfg.MemoryBudget,
		OpenStore:    e.openStore,
	}
	if e.memo != nil {
		opts.Memo = e.memo
	}
	return opts
}

// checkPlan plans the request without an output, which validates it against
// the dataset's metadata, and returns the plan.
func (e *env) checkPlan(ctx context.Context, req chunks.Request) (*chunks.Plan, error) {
	req.Output = ""
	plan, err := chunks.NewPlan(ctx, req, e.engineOptions())
	if err != nil {
		return nil, inputError(err)
	}
	if max := e.cfg.MaxOutputCells; max > 0 {
		cells := int64(len(plan.OutputVariables()))
		for _, n := range plan.OutputShape() {
			cells *= int64(n)
		}
		if cells > max {
			return nil, fmt.Errorf("output of %d cells (%v × %d reducers) is over the limit of %d: %w",
				cells, plan.OutputShape(), len(plan.OutputVariables()), max, ErrLimit)
		}
	}
	return plan, nil
}

// inputError turns the engine's input errors into the job system's.
func inputError(err error) error {
	var ie *chunks.InputError
	if errors.As(err, &ie) {
		return &InputError{Input: ie.Input, Reason: ie.Reason}
	}
	return err
}

func openTemporalAggregate(ctx context.Context, e *env, rec *record) (work, error) {
	req, err := temporalRequest(rec.Inputs, rec.OutputURL)
	if err != nil {
		return nil, err
	}
	w := &temporalWork{rec: rec}
	opts := e.engineOptions()
	opts.Progress = w.progress
	if rec.Layout != "" {
		var l chunks.Layout
		if err := json.Unmarshal([]byte(rec.Layout), &l); err != nil {
			return nil, fmt.Errorf("job %s: recorded layout %q: %w", rec.ID, rec.Layout, err)
		}
		opts.Layout = &l
	}
	if w.plan, err = chunks.NewPlan(ctx, req, opts); err != nil {
		return nil, inputError(err)
	}
	return w, nil
}

// temporalWork drives one chunks.Plan tile by tile.
type temporalWork struct {
	plan   *chunks.Plan
	rec    *record
	report atomic.Pointer[func(float64)] // the running tile's reporter
}

// progress receives the engine's source chunks reduced (by this Plan, so by
// the one tile a task runs) out of the whole plan's, and reports the
// running tile's share of an average tile.
func (w *temporalWork) progress(done, total int) {
	if f := w.report.Load(); f != nil && total > 0 {
		perTile := max(1, float64(total)/float64(w.plan.NumTiles()))
		(*f)(float64(done) / perTile)
	}
}

// Layout is the plan's tiling, which follows the memory budget of the
// worker that planned.
func (w *temporalWork) Layout() string {
	b, _ := json.Marshal(w.plan.Layout())
	return string(b)
}

func (w *temporalWork) NumTiles() int                   { return w.plan.NumTiles() }
func (w *temporalWork) Start(ctx context.Context) error { return w.plan.CreateOutput(ctx) }

func (w *temporalWork) RunTile(ctx context.Context, i int, report func(float64)) (any, error) {
	w.report.Store(&report)
	defer w.report.Store(nil)
	st, err := w.plan.RunTile(ctx, i)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func (w *temporalWork) Finish(ctx context.Context, tileStats map[string]string) (map[string]any, error) {
	if err := w.plan.Finalize(ctx); err != nil {
		return nil, err
	}
	s := w.plan.Summary(sumTileStats(tileStats))
	if !w.rec.Started.IsZero() {
		s.Seconds = time.Since(w.rec.Started).Seconds()
	}
	return map[string]any{"result": w.rec.OutputURL, "summary": summaryValue(s)}, nil
}
