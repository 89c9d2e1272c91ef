// Package jobs is zarrproc's job system on Redis with asynq: the process
// catalogue (descriptions, input validation, execution), job records,
// fan-out of a job into tile tasks and fan-in, progress, cancellation,
// callbacks and crash recovery. It drives the engine (package chunks) tile
// by tile and knows nothing about HTTP: package ogcapi serves it.
//
// How a job runs: Queue.Submit validates the inputs (the engine plans the
// request, so bad inputs are *InputError before any job exists), writes the
// job record and enqueues one plan task, on the interactive queue for sync
// requests and the batch queue for async ones. A Worker's plan task creates
// the output and either runs a one-tile job itself or enqueues one task per
// tile; each tile task adds its index to the job's done-set, and the one
// that completes the set enqueues the finalization, which moves the job to
// successful under a SET NX guard. Task payloads carry only the job ID and
// tile index; every task rebuilds its work from the record, so any worker
// can take any task, and a task delivered twice (asynq is at-least-once)
// writes the same bytes and counts once. A worker killed mid-task loses its
// asynq lease and the task runs again elsewhere 1–2 minutes later. Dismiss
// sets a cancel flag running tasks poll, deletes queued tasks and removes
// the output (records.go, worker.go, service.go say more).
package jobs

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors callers branch on (ogcapi maps them to OGC exception types
// in one place).
var (
	ErrNoSuchProcess  = errors.New("no such process")
	ErrNoSuchJob      = errors.New("no such job")
	ErrResultNotReady = errors.New("result not ready")
	// ErrJobFailed is returned by Results for a failed or dismissed job.
	ErrJobFailed = errors.New("job failed")
	// ErrLimit is wrapped by errors for a request over a configured limit
	// (output cells, bytes read, jobs per client).
	ErrLimit = errors.New("limit exceeded")
	// ErrForbidden is wrapped when a dataset URL is outside the allowlist.
	ErrForbidden = errors.New("dataset not allowed")
)

// InputError names the process input that is invalid and why.
type InputError struct {
	Input  string
	Reason string
}

func (e *InputError) Error() string { return "input " + e.Input + ": " + e.Reason }

// Status is a job's state, with the OGC API – Processes status codes.
type Status string

const (
	StatusAccepted   Status = "accepted"
	StatusRunning    Status = "running"
	StatusSuccessful Status = "successful"
	StatusFailed     Status = "failed"
	StatusDismissed  Status = "dismissed"
)

// Done reports whether the status is final.
func (s Status) Done() bool {
	return s == StatusSuccessful || s == StatusFailed || s == StatusDismissed
}

// Subscriber holds the callback URLs of a job (OGC "subscriber").
type Subscriber struct {
	SuccessURI    string `json:"successUri,omitempty"`
	InProgressURI string `json:"inProgressUri,omitempty"`
	FailedURI     string `json:"failedUri,omitempty"`
}

// Job is a job record.
type Job struct {
	ID        string         `json:"jobID"`
	ProcessID string         `json:"processID"`
	Status    Status         `json:"status"`
	Message   string         `json:"message,omitempty"`
	Created   time.Time      `json:"created"`
	Started   time.Time      `json:"started,omitzero"`
	Finished  time.Time      `json:"finished,omitzero"`
	Updated   time.Time      `json:"updated"`
	Progress  int            `json:"progress"` // percent, 0–100
	Done      int            `json:"tilesDone"`
	Total     int            `json:"tilesTotal"`
	Inputs    map[string]any `json:"inputs,omitempty"`
	// Outputs maps output IDs to values once the job is successful.
	Outputs    map[string]any `json:"outputs,omitempty"`
	Subscriber *Subscriber    `json:"subscriber,omitempty"`
	// Client identifies who submitted the job (token name or address), for
	// per-client limits.
	Client string `json:"client,omitempty"`
}

// ProcessSummary and ProcessDescription follow OGC API – Processes 1.0
// (process.yaml, processSummary.yaml); ogcapi adds the links.
type ProcessSummary struct {
	ID                 string   `json:"id"`
	Title              string   `json:"title"`
	Description        string   `json:"description,omitempty"`
	Version            string   `json:"version"`
	Keywords           []string `json:"keywords,omitempty"`
	JobControlOptions  []string `json:"jobControlOptions"`  // "sync-execute", "async-execute", "dismiss"
	OutputTransmission []string `json:"outputTransmission"` // "value", "reference"
}

// ProcessDescription is a process summary plus its inputs and outputs.
type ProcessDescription struct {
	ProcessSummary
	Inputs  map[string]InputDescription  `json:"inputs"`
	Outputs map[string]OutputDescription `json:"outputs"`
}

// InputDescription describes one input with a JSON schema.
type InputDescription struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Schema      map[string]any `json:"schema"`
	MinOccurs   int            `json:"minOccurs"`
	MaxOccurs   any            `json:"maxOccurs,omitempty"` // int or "unbounded"
}

// OutputDescription describes one output with a JSON schema.
type OutputDescription struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Schema      map[string]any `json:"schema"`
}

// SubmitOptions say how a job is run.
type SubmitOptions struct {
	// Async puts the job's tasks on the batch queue; sync ones go to the
	// interactive queue.
	Async      bool
	Subscriber *Subscriber
	Client     string
}

// ListFilter selects jobs (OGC job-list parameters).
type ListFilter struct {
	ProcessIDs []string
	Statuses   []Status
	// Created within [From, To]; zero means open.
	From, To    time.Time
	MinDuration time.Duration // 0 = no bound
	MaxDuration time.Duration // 0 = no bound
	Limit       int
	// Offset pages through the list (ogcapi builds next/prev links from it).
	Offset int
}

// Service is what the HTTP front end needs of the job system.
type Service interface {
	Processes() []ProcessDescription
	Process(id string) (ProcessDescription, error)
	// Submit validates inputs (errors: *InputError, ErrForbidden, ErrLimit,
	// ErrNoSuchProcess), records the job and enqueues its work.
	Submit(ctx context.Context, processID string, inputs map[string]any, opts SubmitOptions) (*Job, error)
	Job(ctx context.Context, id string) (*Job, error)
	// List returns one page of jobs, newest first, and the total matching.
	List(ctx context.Context, f ListFilter) (jobs []*Job, total int, err error)
	// Wait blocks until the job is done or timeout passes, and returns it.
	Wait(ctx context.Context, id string, timeout time.Duration) (*Job, error)
	// Dismiss cancels a running job (or deletes a finished one's record and
	// outputs) and returns it with status dismissed.
	Dismiss(ctx context.Context, id string) (*Job, error)
	// Results returns a successful job's outputs; ErrResultNotReady while it
	// runs, ErrJobFailed (wrapped with its message) when it failed.
	Results(ctx context.Context, id string) (map[string]any, error)
}

// ErrNoCache is returned by the CacheAdmin methods when no cache Redis is
// configured.
var ErrNoCache = errors.New("no memo cache configured")

// CacheAdmin is what the front end's cache endpoints need of the job
// system's memo cache (the engine's per-chunk partial results). *Queue
// implements it; ogcapi may type-assert a Service to it.
type CacheAdmin interface {
	// CacheStats describes the cache (a JSON object: connection, memory,
	// entries, and this process's hit/miss counters).
	CacheStats(ctx context.Context) (any, error)
	// ClearCache deletes every memo entry (never FLUSHALL) and returns how
	// many it deleted.
	ClearCache(ctx context.Context) (int64, error)
	// InvalidateCache makes every entry of one dataset unreachable in O(1)
	// and returns the dataset's new generation.
	InvalidateCache(ctx context.Context, dataset string) (int64, error)
}
