package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/zarrproc/zarrproc/chunks/memo"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// backend is what the API side (Queue) and the workers (Worker) share: the
// queue Redis, the records, asynq's client and inspector, the catalogue.
type backend struct {
	cfg       Config
	rdb       redis.UniversalClient
	ownsRedis bool
	rec       *records
	client    *asynq.Client
	insp      *asynq.Inspector
	cat       catalogue
	env       *env
	log       *slog.Logger
}

// env is what a process sees of the system: the configuration, the store
// allowlist and the engine's memo.
type env struct {
	cfg  Config
	log  *slog.Logger
	memo *memo.Memo // nil: no cache Redis configured
}

func newBackend(ctx context.Context, cfg Config) (*backend, error) {
	cfg = cfg.withDefaults()
	rdb, owned, err := cfg.connect(ctx)
	if err != nil {
		return nil, err
	}
	if len(cfg.AllowedStores) == 0 {
		cfg.Logger.Warn("no allowed stores configured: any dataset URL is accepted", "env", EnvAllowedStores)
	}
	e := &env{cfg: cfg, log: cfg.Logger}
	memoOpts := memo.Options{Prefix: cfg.KeyPrefix, Logger: cfg.Logger}
	switch {
	case cfg.CacheRedis != nil:
		e.memo = memo.New(cfg.CacheRedis, memoOpts)
	case cfg.CacheRedisURL != "":
		if cfg.CacheRedisURL == cfg.QueueRedisURL {
			cfg.Logger.Warn("the memo cache shares the queue Redis: fine in development, but the queue needs noeviction and the cache allkeys-lru",
				"env", EnvCacheRedisURL)
		}
		if e.memo, err = memo.Open(cfg.CacheRedisURL, memoOpts); err != nil {
			if owned {
				rdb.Close()
			}
			return nil, fmt.Errorf("cache Redis %s: %w", redactURL(cfg.CacheRedisURL), err)
		}
	default:
		cfg.Logger.Info("no cache Redis configured: every chunk is read and reduced each time", "env", EnvCacheRedisURL)
	}
	return &backend{
		cfg:       cfg,
		rdb:       rdb,
		ownsRedis: owned,
		rec:       &records{rdb: rdb, prefix: cfg.KeyPrefix, retention: cfg.Retention},
		client:    asynq.NewClientFromRedisClient(rdb),
		insp:      asynq.NewInspectorFromRedisClient(rdb),
		cat:       newCatalogue(),
		env:       e,
		log:       cfg.Logger,
	}, nil
}

func (b *backend) close() error {
	// asynq's client and inspector share the Redis client and do not close it.
	b.client.Close()
	b.insp.Close()
	if b.env.memo != nil && b.cfg.CacheRedis == nil {
		b.env.memo.Close()
	}
	if b.ownsRedis {
		return b.rdb.Close()
	}
	return nil
}

// Queue is the job system as the API server sees it: it implements Service
// on the queue Redis. It runs no tasks; workers (NewWorker) do.
type Queue struct {
	b     *backend
	done  *redis.PubSub
	mu    sync.Mutex
	waits map[string][]chan struct{} // job ID → Wait calls to wake
}

var _ Service = (*Queue)(nil)

// Open connects to the queue Redis (a clear error when it cannot be
// reached) and returns the job service.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	b, err := newBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	q := &Queue{b: b, waits: map[string][]chan struct{}{}}
	q.done = b.rdb.Subscribe(ctx, b.rec.doneChannel())
	go q.dispatchDone(q.done.Channel())
	return q, nil
}

// Close releases the Redis connections Open made.
func (q *Queue) Close() error {
	q.done.Close()
	return q.b.close()
}

// dispatchDone wakes the Wait calls of each job published as done.
func (q *Queue) dispatchDone(msgs <-chan *redis.Message) {
	for m := range msgs {
		q.mu.Lock()
		for _, ch := range q.waits[m.Payload] {
			close(ch)
		}
		delete(q.waits, m.Payload)
		q.mu.Unlock()
	}
}

// notifyDone returns a channel closed when job id is published as done.
func (q *Queue) notifyDone(id string) <-chan struct{} {
	ch := make(chan struct{})
	q.mu.Lock()
	q.waits[id] = append(q.waits[id], ch)
	q.mu.Unlock()
	return ch
}

func (q *Queue) stopNotify(id string, ch <-chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ws := q.waits[id]
	for i, w := range ws {
		if w == ch {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(q.waits, id)
	} else {
		q.waits[id] = ws
	}
}

// Ping checks the queue Redis (for health endpoints).
func (q *Queue) Ping(ctx context.Context) error {
	if err := q.b.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("queue Redis: %w", err)
	}
	return nil
}

func (q *Queue) Processes() []ProcessDescription { return q.b.cat.descriptions() }

func (q *Queue) Process(id string) (ProcessDescription, error) {
	p, err := q.b.cat.get(id)
	if err != nil {
		return ProcessDescription{}, err
	}
	return p.desc, nil
}

// Submit validates the inputs, records the job and enqueues its plan task.
//
// Dedupe: for processes that allow it (temporal-aggregate, not echo), the
// request's fingerprint is the process ID plus the canonical JSON of its
// inputs and the data version (env.dataVersion: the ETags of the group's
// metadata documents and a digest of the ETags of every object under the
// variable's array, chunks included, from one listing). When a job with the
// same fingerprint is accepted, running or successful, Submit records nothing
// and returns that job (same ID, its status, and once successful its
// results); a failed or dismissed job does not answer later requests. A
// dataset whose version cannot be known (HTTP cannot list) gets a version of
// its own per request, so no earlier job answers it.
func (q *Queue) Submit(ctx context.Context, processID string, inputs map[string]any, opts SubmitOptions) (*Job, error) {
	b := q.b
	p, err := b.cat.get(processID)
	if err != nil {
		return nil, err
	}
	if inputs == nil {
		inputs = map[string]any{}
	}
	in, err := checkInputs(p.desc, inputs)
	if err != nil {
		return nil, err
	}
	in, version, err := p.check(ctx, b.env, in)
	if err != nil {
		return nil, err
	}
	if err := checkSubscriber(opts.Subscriber); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	rec := &record{Job: Job{
		ID:         newJobID(),
		ProcessID:  processID,
		Status:     StatusAccepted,
		Created:    now,
		Updated:    now,
		Inputs:     in,
		Subscriber: opts.Subscriber,
		Client:     opts.Client,
	}, Queue: QueueInteractive}
	if opts.Async {
		rec.Queue = QueueBatch
	}
	if p.writesOutput {
		if b.cfg.ResultsURL == "" {
			return nil, fmt.Errorf("process %s: no results store configured (%s)", processID, EnvResultsURL)
		}
		rec.OutputURL = b.cfg.ResultsURL + "/" + rec.ID + ".zarr"
	}
	if p.dedupe {
		if rec.Fingerprint, err = fingerprint(processID, in, version); err != nil {
			return nil, fmt.Errorf("process %s: inputs: %w", processID, err)
		}
		if prev, err := q.answeredBy(ctx, rec); err != nil || prev != nil {
			return prev, err
		}
	}
	// The per-client limit is checked where the record is written, in one
	// step, so simultaneous submissions cannot pass it together.
	if err := b.rec.create(ctx, rec, b.cfg.MaxJobsPerClient); err != nil {
		b.rec.releaseFingerprint(context.WithoutCancel(ctx), rec.Fingerprint, rec.ID)
		return nil, err
	}
	if err := b.enqueue(ctx, rec, taskPlan, -1); err != nil {
		b.rec.transition(context.WithoutCancel(ctx), rec.ID, StatusFailed, transitionOpts{message: "could not be queued"}, StatusAccepted)
		b.rec.releaseFingerprint(context.WithoutCancel(ctx), rec.Fingerprint, rec.ID)
		return nil, fmt.Errorf("job %s: queueing: %w", rec.ID, err)
	}
	b.log.Info("job submitted", "job", rec.ID, "process", processID, "queue", rec.Queue, "client", opts.Client)
	return &rec.Job, nil
}

// answeredBy returns the job that already answers rec's fingerprint, or
// claims the fingerprint for rec and returns nil.
func (q *Queue) answeredBy(ctx context.Context, rec *record) (*Job, error) {
	b := q.b
	owner, err := b.rec.claimFingerprint(ctx, rec.Fingerprint, rec.ID)
	if err != nil || owner == rec.ID {
		return nil, err
	}
	prev, err := b.rec.get(ctx, owner)
	if err == nil && (prev.Status == StatusAccepted || prev.Status == StatusRunning || prev.Status == StatusSuccessful) {
		b.log.Info("identical request answered by an earlier job", "job", prev.ID, "process", rec.ProcessID, "status", prev.Status)
		return &prev.Job, nil
	}
	if err != nil && !errors.Is(err, ErrNoSuchJob) {
		return nil, err
	}
	// The earlier job failed, was dismissed or expired: this one takes over.
	if err := b.rdb.Set(ctx, b.rec.fpKey(rec.Fingerprint), rec.ID, b.cfg.Retention).Err(); err != nil {
		return nil, fmt.Errorf("fingerprint %s: %w", rec.Fingerprint, err)
	}
	return nil, nil
}

func checkSubscriber(s *Subscriber) error {
	if s == nil {
		return nil
	}
	for name, u := range map[string]string{"successUri": s.SuccessURI, "inProgressUri": s.InProgressURI, "failedUri": s.FailedURI} {
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return &InputError{Input: "subscriber." + name, Reason: fmt.Sprintf("%q is not an http(s) URL", u)}
		}
	}
	return nil
}

func (q *Queue) Job(ctx context.Context, id string) (*Job, error) {
	rec, err := q.b.rec.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return &rec.Job, nil
}

func (q *Queue) List(ctx context.Context, f ListFilter) ([]*Job, int, error) {
	return q.b.rec.list(ctx, f)
}

// Wait returns the job once it is done, timeout passes or ctx ends. It is
// woken by the done notification the final status change publishes, and
// also rereads the record now and then in case a notification was missed
// (pub/sub is fire-and-forget, e.g. across a Redis reconnect).
func (q *Queue) Wait(ctx context.Context, id string, timeout time.Duration) (*Job, error) {
	deadline := time.Now().Add(timeout)
	step := 50 * time.Millisecond
	notified := q.notifyDone(id)
	defer q.stopNotify(id, notified)
	for {
		rec, err := q.b.rec.get(ctx, id)
		if err != nil || rec.Status.Done() || !time.Now().Before(deadline) {
			if err != nil {
				return nil, err
			}
			return &rec.Job, nil
		}
		t := time.NewTimer(min(step, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return &rec.Job, ctx.Err()
		case <-notified:
			t.Stop()
			notified = nil // the job is done: the next read returns it
		case <-t.C:
		}
		step = min(2*step, time.Second)
	}
}

// Dismiss cancels a job that has not finished: its status becomes
// dismissed, its cancel flag is set (running handlers poll it and stop
// between chunks), its queued tasks are deleted and its running ones
// cancelled, and its output removed. A finished job's record and output are
// deleted. Either way the job is returned with status dismissed.
func (q *Queue) Dismiss(ctx context.Context, id string) (*Job, error) {
	b := q.b
	rec, err := b.rec.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Status == StatusDismissed {
		return &rec.Job, nil
	}
	if !rec.Status.Done() {
		ok, err := b.rec.transition(ctx, id, StatusDismissed, transitionOpts{message: "dismissed"}, StatusAccepted, StatusRunning)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := b.rec.cancel(ctx, id); err != nil {
				return nil, err
			}
			b.cancelTasks(ctx, rec)
			b.removeOutput(ctx, rec)
			b.rec.releaseFingerprint(ctx, rec.Fingerprint, rec.ID)
			b.log.Info("job dismissed", "job", id, "process", rec.ProcessID)
			if rec, err = b.rec.get(ctx, id); err != nil {
				return nil, err
			}
			return &rec.Job, nil
		}
		// It finished meanwhile.
		if rec, err = b.rec.get(ctx, id); err != nil {
			return nil, err
		}
	}
	b.removeOutput(ctx, rec)
	b.rec.releaseFingerprint(ctx, rec.Fingerprint, rec.ID)
	if err := b.rec.remove(ctx, id); err != nil {
		return nil, err
	}
	b.log.Info("finished job deleted", "job", id, "process", rec.ProcessID, "was", rec.Status)
	rec.Status = StatusDismissed
	rec.Message = "dismissed"
	rec.Updated = time.Now().UTC()
	return &rec.Job, nil
}

// cancelTasks deletes the job's queued tasks and cancels its running ones
// (asynq's CancelProcessing, best effort: the cancel flag is what running
// handlers rely on). Tasks enqueued after this see the dismissed status and
// do nothing.
func (b *backend) cancelTasks(ctx context.Context, rec *record) {
	ids := []string{taskID(taskPlan, rec.ID, -1), taskID(taskFinalize, rec.ID, -1)}
	total := rec.Total
	if cur, err := b.rec.get(ctx, rec.ID); err == nil {
		total = cur.Total
	}
	for i := range total {
		ids = append(ids, taskID(taskTile, rec.ID, i))
	}
	deleted, cancelled := 0, 0
	for _, tid := range ids {
		info, err := b.insp.GetTaskInfo(rec.Queue, tid)
		if err != nil {
			continue // done already, or never enqueued
		}
		if info.State == asynq.TaskStateActive {
			if err := b.insp.CancelProcessing(tid); err == nil {
				cancelled++
			}
			continue
		}
		if err := b.insp.DeleteTask(rec.Queue, tid); err == nil {
			deleted++
		}
	}
	b.log.Info("job tasks stopped", "job", rec.ID, "deleted", deleted, "cancelled", cancelled)
}

// removeOutput deletes what a job wrote: a local folder whole, the objects
// under the output's root in an object store. Failures are logged, never
// fatal (the job's status is what it is).
func (b *backend) removeOutput(ctx context.Context, rec *record) {
	if rec.OutputURL == "" {
		return
	}
	if dir, ok := localPath(rec.OutputURL); ok {
		if err := os.RemoveAll(dir); err != nil {
			b.log.Warn("output not removed", "job", rec.ID, "output", rec.OutputURL, "err", err)
		}
		return
	}
	s, err := b.env.openStore(rec.OutputURL)
	if err == nil {
		var n int
		n, err = store.DeletePrefix(ctx, s, "")
		b.log.Info("output removed", "job", rec.ID, "output", rec.OutputURL, "objects", n)
	}
	if err != nil {
		b.log.Warn("output not removed", "job", rec.ID, "output", rec.OutputURL, "err", err)
	}
}

// localPath returns the directory of a file:// URL or a plain path.
func localPath(u string) (string, bool) {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		return filepath.FromSlash(p), true
	}
	if !strings.Contains(u, "://") {
		return u, true
	}
	return "", false
}

// Results returns a successful job's outputs.
func (q *Queue) Results(ctx context.Context, id string) (map[string]any, error) {
	rec, err := q.b.rec.get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch rec.Status {
	case StatusSuccessful:
		return rec.Outputs, nil
	case StatusFailed, StatusDismissed:
		return nil, fmt.Errorf("job %s: %w: %s", id, ErrJobFailed, rec.Message)
	}
	return nil, fmt.Errorf("job %s is %s: %w", id, rec.Status, ErrResultNotReady)
}

// allowed checks a dataset URL against the allowlist; the error wraps
// ErrForbidden.
func (e *env) allowed(dataset string) error {
	if strings.Contains("/"+filepath.ToSlash(dataset)+"/", "/../") {
		return fmt.Errorf("dataset %q: %w: '..' in the path", dataset, ErrForbidden)
	}
	if len(e.cfg.AllowedStores) == 0 {
		return nil
	}
	u := dataset
	if !strings.Contains(u, "://") {
		abs, err := filepath.Abs(u)
		if err != nil {
			return fmt.Errorf("dataset %q: %w", dataset, ErrForbidden)
		}
		u = "file://" + filepath.ToSlash(abs)
	}
	for _, prefix := range e.cfg.AllowedStores {
		if strings.HasPrefix(u, prefix) || strings.TrimSuffix(prefix, "/") == u {
			return nil
		}
	}
	return fmt.Errorf("dataset %q: %w (allowed: %s)", dataset, ErrForbidden, strings.Join(e.cfg.AllowedStores, ", "))
}

// openStore opens a dataset or output store for the engine: outputs under
// ResultsURL, datasets only inside the allowlist.
func (e *env) openStore(u string) (store.Store, error) {
	if e.cfg.ResultsURL == "" || !strings.HasPrefix(u, e.cfg.ResultsURL+"/") {
		if err := e.allowed(u); err != nil {
			return nil, err
		}
	}
	return store.Open(context.Background(), u, store.Options{})
}

var _ CacheAdmin = (*Queue)(nil)

func (q *Queue) CacheStats(ctx context.Context) (any, error) {
	if q.b.env.memo == nil {
		return nil, ErrNoCache
	}
	return q.b.env.memo.Stats(ctx), nil
}

func (q *Queue) ClearCache(ctx context.Context) (int64, error) {
	if q.b.env.memo == nil {
		return 0, ErrNoCache
	}
	n, err := q.b.env.memo.Clear(ctx)
	if err == nil {
		q.b.log.Info("memo cache cleared", "entries", n)
	}
	return n, err
}

func (q *Queue) InvalidateCache(ctx context.Context, dataset string) (int64, error) {
	if q.b.env.memo == nil {
		return 0, ErrNoCache
	}
	gen, err := q.b.env.memo.Invalidate(ctx, dataset)
	if err == nil {
		q.b.log.Info("memo cache invalidated", "dataset", dataset, "generation", gen)
	}
	return gen, err
}
