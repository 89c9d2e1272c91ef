package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zarrproc/zarrproc/jobs"
)

// fakeService is an in-memory jobs.Service: jobs run in goroutines, take
// the "pause" input in seconds, and echo their inputs as outputs.
type fakeService struct {
	mu        sync.Mutex
	jobs      map[string]*fakeJob
	seq       int
	now       func() time.Time
	submitted []jobs.SubmitOptions
}

type fakeJob struct {
	job    jobs.Job
	cancel context.CancelFunc
	done   chan struct{}
}

// rateLimitError is a limit that passes with time (429).
type rateLimitError struct{}

func (rateLimitError) Error() string             { return "client has 3 jobs running: " + jobs.ErrLimit.Error() }
func (rateLimitError) Unwrap() error             { return jobs.ErrLimit }
func (rateLimitError) RetryAfter() time.Duration { return 30 * time.Second }

func newFakeService() *fakeService {
	return &fakeService{jobs: map[string]*fakeJob{}, now: time.Now}
}

var fakeProcesses = []jobs.ProcessDescription{
	{
		ProcessSummary: jobs.ProcessSummary{
			ID: "echo", Title: "Echo", Version: "1.0.0",
			Description:        "Returns its input; waits pause seconds first.",
			Keywords:           []string{"test"},
			JobControlOptions:  []string{"sync-execute", "async-execute", "dismiss"},
			OutputTransmission: []string{"value", "reference"},
		},
		Inputs: map[string]jobs.InputDescription{
			"stringInput": {Title: "A string", Schema: map[string]any{"type": "string"}, MinOccurs: 1, MaxOccurs: 1},
			"pause":       {Title: "Seconds to wait", Schema: map[string]any{"type": "number", "minimum": 0}, MinOccurs: 0, MaxOccurs: 1},
			"arrayInput":  {Title: "Integers", Schema: map[string]any{"type": "integer"}, MinOccurs: 0, MaxOccurs: 3},
			"boundingBoxInput": {Title: "A bbox", MinOccurs: 0, MaxOccurs: 1, Schema: map[string]any{
				"type": "object", "required": []any{"bbox"}, "format": "ogc-bbox",
				"properties": map[string]any{"bbox": map[string]any{"type": "array", "items": map[string]any{"type": "number"}}, "crs": map[string]any{"type": "string"}}}},
			"dataset": {Title: "A dataset URL", Schema: map[string]any{"type": "string", "format": "uri"}, MinOccurs: 0, MaxOccurs: 1},
			"fail":    {Title: "Fail the job", Schema: map[string]any{"type": "boolean"}, MinOccurs: 0, MaxOccurs: 1},
		},
		Outputs: map[string]jobs.OutputDescription{
			"stringOutput": {Title: "The string", Schema: map[string]any{"type": "string"}},
		},
	},
	{
		ProcessSummary: jobs.ProcessSummary{
			ID: "stats", Title: "Statistics", Version: "2.1.0",
			JobControlOptions:  []string{"sync-execute", "async-execute", "dismiss"},
			OutputTransmission: []string{"value", "reference"},
		},
		Inputs: map[string]jobs.InputDescription{
			"values": {Title: "Numbers", Schema: map[string]any{"type": "array", "items": map[string]any{"type": "number"}}, MinOccurs: 1, MaxOccurs: 1},
		},
		Outputs: map[string]jobs.OutputDescription{
			"mean":    {Title: "Mean", Schema: map[string]any{"type": "number"}},
			"summary": {Title: "Summary", Schema: map[string]any{"type": "object", "contentMediaType": "application/json"}},
			"store":   {Title: "Zarr store", Schema: map[string]any{"type": "string", "format": "uri", "contentMediaType": "application/vnd+zarr"}},
		},
	},
	{
		ProcessSummary: jobs.ProcessSummary{
			ID: "slow", Title: "Async only", Version: "1.0.0",
			JobControlOptions:  []string{"async-execute", "dismiss"},
			OutputTransmission: []string{"value"},
		},
		Inputs:  map[string]jobs.InputDescription{},
		Outputs: map[string]jobs.OutputDescription{"n": {Title: "n", Schema: map[string]any{"type": "integer"}}},
	},
}

func (f *fakeService) Processes() []jobs.ProcessDescription { return slices.Clone(fakeProcesses) }

func (f *fakeService) Process(id string) (jobs.ProcessDescription, error) {
	for _, p := range fakeProcesses {
		if p.ID == id {
			return p, nil
		}
	}
	return jobs.ProcessDescription{}, fmt.Errorf("process %q: %w", id, jobs.ErrNoSuchProcess)
}

func (f *fakeService) Submit(ctx context.Context, processID string, inputs map[string]any, opts jobs.SubmitOptions) (*jobs.Job, error) {
	p, err := f.Process(processID)
	if err != nil {
		return nil, err
	}
	for name := range inputs {
		if _, ok := p.Inputs[name]; !ok {
			return nil, &jobs.InputError{Input: name, Reason: "not an input of " + processID}
		}
	}
	for name, in := range p.Inputs {
		if _, ok := inputs[name]; !ok && in.MinOccurs > 0 {
			return nil, &jobs.InputError{Input: name, Reason: "required"}
		}
	}
	if d, ok := inputs["dataset"].(string); ok {
		switch {
		case strings.HasPrefix(d, "s3://forbidden/"):
			return nil, fmt.Errorf("dataset %s: %w", d, jobs.ErrForbidden)
		case strings.HasPrefix(d, "s3://huge/"):
			return nil, fmt.Errorf("dataset %s: 10^12 output cells: %w", d, jobs.ErrLimit)
		case strings.HasPrefix(d, "s3://busy/"):
			return nil, rateLimitError{}
		}
	}
	var pause time.Duration
	if v, ok := inputs["pause"].(float64); ok {
		if v < 0 {
			return nil, &jobs.InputError{Input: "pause", Reason: "must be >= 0"}
		}
		pause = time.Duration(v * float64(time.Second))
	}
	f.mu.Lock()
	f.seq++
	now := f.now()
	j := &fakeJob{done: make(chan struct{}), job: jobs.Job{
		ID: fmt.Sprintf("job-%04d", f.seq), ProcessID: processID, Status: jobs.StatusAccepted,
		Created: now, Updated: now, Inputs: inputs, Subscriber: opts.Subscriber, Client: opts.Client,
	}}
	var jctx context.Context
	jctx, j.cancel = context.WithCancel(context.Background())
	f.jobs[j.job.ID] = j
	f.submitted = append(f.submitted, opts)
	out := j.job
	f.mu.Unlock()
	go f.run(jctx, j, pause)
	return &out, nil
}

func (f *fakeService) run(ctx context.Context, j *fakeJob, pause time.Duration) {
	defer close(j.done)
	f.update(j, func(job *jobs.Job) { job.Status, job.Started, job.Progress = jobs.StatusRunning, f.now(), 10 })
	select {
	case <-time.After(pause):
	case <-ctx.Done():
		return
	}
	var outs map[string]any
	failed := false
	f.update(j, func(job *jobs.Job) {
		if job.Status != jobs.StatusRunning {
			return
		}
		in := job.Inputs
		switch job.ProcessID {
		case "echo":
			outs = map[string]any{"stringOutput": in["stringInput"]}
		case "stats":
			vals, _ := in["values"].([]any)
			sum := 0.0
			for _, v := range vals {
				n, _ := v.(float64)
				sum += n
			}
			mean := 0.0
			if len(vals) > 0 {
				mean = sum / float64(len(vals))
			}
			outs = map[string]any{
				"mean":    mean,
				"summary": map[string]any{"count": len(vals), "sum": sum},
				"store":   map[string]any{"href": "s3://results/" + job.ID + ".zarr", "type": "application/vnd+zarr"},
			}
		case "slow":
			outs = map[string]any{"n": 42}
		}
		job.Finished, job.Updated, job.Progress = f.now(), f.now(), 100
		if fail, _ := in["fail"].(bool); fail {
			job.Status, job.Message, failed = jobs.StatusFailed, "chunk precip/0.0.0 is corrupt", true
			return
		}
		job.Status, job.Outputs = jobs.StatusSuccessful, outs
	})
	if sub := j.job.Subscriber; sub != nil {
		target, body := sub.SuccessURI, any(outs)
		if failed {
			target, body = sub.FailedURI, map[string]any{"status": "failed"}
		}
		if target != "" {
			b, _ := json.Marshal(body)
			if resp, err := http.Post(target, mediaJSON, bytes.NewReader(b)); err == nil {
				resp.Body.Close()
			}
		}
	}
}

func (f *fakeService) update(j *fakeJob, fn func(*jobs.Job)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&j.job)
}

func (f *fakeService) get(id string) (*fakeJob, jobs.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, jobs.Job{}, fmt.Errorf("job %q: %w", id, jobs.ErrNoSuchJob)
	}
	return j, j.job, nil
}

func (f *fakeService) Job(ctx context.Context, id string) (*jobs.Job, error) {
	_, j, err := f.get(id)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

func (f *fakeService) List(ctx context.Context, flt jobs.ListFilter) ([]*jobs.Job, int, error) {
	f.mu.Lock()
	var all []*jobs.Job
	now := f.now()
	for _, fj := range f.jobs {
		j := fj.job
		if len(flt.ProcessIDs) > 0 && !slices.Contains(flt.ProcessIDs, j.ProcessID) {
			continue
		}
		if len(flt.Statuses) > 0 && !slices.Contains(flt.Statuses, j.Status) {
			continue
		}
		if !flt.From.IsZero() && j.Created.Before(flt.From) || !flt.To.IsZero() && j.Created.After(flt.To) {
			continue
		}
		if flt.MinDuration > 0 || flt.MaxDuration > 0 {
			if j.Started.IsZero() {
				continue
			}
			end := j.Finished
			if end.IsZero() {
				end = now
			}
			d := end.Sub(j.Started)
			if flt.MinDuration > 0 && d < flt.MinDuration || flt.MaxDuration > 0 && d > flt.MaxDuration {
				continue
			}
		}
		all = append(all, &j)
	}
	f.mu.Unlock()
	sort.Slice(all, func(a, b int) bool { return all[a].ID > all[b].ID })
	total := len(all)
	lo := min(flt.Offset, total)
	hi := total
	if flt.Limit > 0 {
		hi = min(lo+flt.Limit, total)
	}
	return all[lo:hi], total, nil
}

func (f *fakeService) Wait(ctx context.Context, id string, timeout time.Duration) (*jobs.Job, error) {
	fj, _, err := f.get(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-fj.done:
	case <-time.After(timeout):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return f.Job(ctx, id)
}

func (f *fakeService) Dismiss(ctx context.Context, id string) (*jobs.Job, error) {
	fj, _, err := f.get(id)
	if err != nil {
		return nil, err
	}
	fj.cancel()
	f.update(fj, func(j *jobs.Job) {
		j.Status, j.Updated, j.Message = jobs.StatusDismissed, f.now(), "dismissed"
		j.Outputs = nil
	})
	return f.Job(ctx, id)
}

func (f *fakeService) Results(ctx context.Context, id string) (map[string]any, error) {
	_, j, err := f.get(id)
	if err != nil {
		return nil, err
	}
	switch j.Status {
	case jobs.StatusSuccessful:
		return j.Outputs, nil
	case jobs.StatusFailed, jobs.StatusDismissed:
		return nil, fmt.Errorf("job %s: %w: %s", id, jobs.ErrJobFailed, j.Message)
	default:
		return nil, fmt.Errorf("job %s is %s: %w", id, j.Status, jobs.ErrResultNotReady)
	}
}
