package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// Worker runs the tasks of jobs: a ServeMux of task handlers on an asynq
// server. Any number of workers may serve the same queue Redis; a worker
// that dies mid-task (SIGKILL, OOM) loses its lease, and asynq's recoverer
// on a surviving worker re-runs the task about 1–2 minutes later.
type Worker struct {
	b       *backend
	srv     *asynq.Server
	mux     *asynq.ServeMux
	metrics *workerMetrics
}

// errJobStopped is the cause of a handler context cancelled because its
// job was dismissed, or failed in another task.
var errJobStopped = errors.New("job dismissed or failed")

// cancelPoll is how often a running handler checks its job's cancel flag.
const cancelPoll = 200 * time.Millisecond

// NewWorker connects to the queue Redis and prepares a worker; Run starts it.
func NewWorker(ctx context.Context, cfg Config) (*Worker, error) {
	b, err := newBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	w := &Worker{b: b, mux: asynq.NewServeMux(), metrics: newWorkerMetrics()}
	w.mux.Use(w.metrics.middleware)
	w.mux.HandleFunc(taskPlan, w.handlePlan)
	w.mux.HandleFunc(taskTile, w.handleTile)
	w.mux.HandleFunc(taskFinalize, w.handleFinalize)
	w.mux.HandleFunc(taskCallback, w.handleCallback)
	c := b.cfg
	w.srv = asynq.NewServerFromRedisClient(b.rdb, asynq.Config{
		Concurrency:       c.Concurrency,
		Queues:            c.Queues,
		TaskCheckInterval: c.PollInterval,
		ShutdownTimeout:   c.ShutdownTimeout,
		RetryDelayFunc:    retryDelay,
		ErrorHandler:      asynq.ErrorHandlerFunc(w.taskFailed),
		Logger:            asynqLogger{c.Logger},
		LogLevel:          asynq.WarnLevel,
		// Forward retried tasks quickly: a crashed worker's tile is
		// retried with no delay (retryDelay), so this bounds the wait.
		DelayedTaskCheckInterval: time.Second,
	})
	return w, nil
}

// ProcessTask runs one task (the worker's ServeMux); tests call it to
// deliver a task twice.
func (w *Worker) ProcessTask(ctx context.Context, t *asynq.Task) error {
	return w.mux.ProcessTask(ctx, t)
}

// Run serves tasks until ctx ends, then shuts down gracefully: it stops
// taking tasks, lets running ones finish for ShutdownTimeout, and hands the
// rest back to the queue (asynq requeues them, not counted as a retry).
func (w *Worker) Run(ctx context.Context) error {
	if err := w.srv.Start(w.mux); err != nil {
		w.b.close()
		return fmt.Errorf("worker: %w", err)
	}
	w.b.log.Info("worker started", "queues", w.b.cfg.Queues, "concurrency", w.b.cfg.Concurrency, "memory_budget", w.b.cfg.MemoryBudget)
	<-ctx.Done()
	w.b.log.Info("worker stopping", "shutdown_timeout", w.b.cfg.ShutdownTimeout)
	w.srv.Stop()
	w.srv.Shutdown()
	w.b.log.Info("worker stopped")
	return w.b.close()
}

// retryDelay backs off exponentially (1s, 2s, 4s… up to a minute, with
// jitter), except for a task whose worker died (lease expired): that one
// runs again at once, since nothing is wrong with it.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if errors.Is(err, asynq.ErrLeaseExpired) {
		return 0
	}
	d := time.Second << min(n, 6)
	return min(d, time.Minute) + rand.N(d/4+1)
}

// taskFailed is asynq's error handler: when a task's retries are exhausted
// its job fails (callbacks only log).
func (w *Worker) taskFailed(ctx context.Context, t *asynq.Task, err error) {
	p, _ := decodePayload(t)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	log := w.b.log.With("job", p.Job, "task", t.Type(), "retried", retried, "err", err)
	if t.Type() == taskCallback {
		if retried >= maxRetry {
			log.Error("callback not delivered, giving up", "event", p.Event)
		} else {
			log.Warn("callback not delivered, will retry", "event", p.Event)
		}
		return
	}
	if retried < maxRetry && !errors.Is(err, asynq.SkipRetry) {
		log.Warn("task failed, will retry")
		if p.Job != "" {
			msg := fmt.Sprintf("retrying (%d/%d) after: %v", retried+1, maxRetry, err)
			w.b.rec.transition(context.WithoutCancel(ctx), p.Job, StatusRunning, transitionOpts{message: msg}, StatusRunning)
		}
		return
	}
	if p.Job == "" || errors.Is(err, asynq.SkipRetry) {
		return // the handler has failed the job itself
	}
	log.Error("task failed, retries exhausted")
	w.fail(context.WithoutCancel(ctx), p.Job, err)
}

// fail marks a job failed with err's message (once), stops its other
// running tasks (the cancel flag), removes its partial output and queues
// the failed callback.
func (w *Worker) fail(ctx context.Context, id string, err error) {
	ok, terr := w.b.rec.transition(ctx, id, StatusFailed, transitionOpts{message: err.Error()}, StatusAccepted, StatusRunning)
	if terr != nil {
		w.b.log.Error("job failure not recorded", "job", id, "err", terr)
		return
	}
	if !ok {
		return
	}
	w.b.log.Error("job failed", "job", id, "err", err)
	if cerr := w.b.rec.cancel(ctx, id); cerr != nil {
		w.b.log.Warn("cancel flag not set", "job", id, "err", cerr)
	}
	if rec, err := w.b.rec.get(ctx, id); err == nil {
		w.b.removeOutput(ctx, rec)
		w.b.rec.releaseFingerprint(ctx, rec.Fingerprint, id)
		w.b.enqueueCallback(ctx, rec, eventFailed)
	}
}

// permanent reports whether err would happen again on a retry: bad input,
// a corrupt or unsupported dataset, a missing node, a forbidden store.
func permanent(err error) bool {
	var ie *InputError
	var cie *chunks.InputError
	return errors.As(err, &ie) || errors.As(err, &cie) ||
		errors.Is(err, zarr.ErrCorrupt) || errors.Is(err, zarr.ErrUnsupported) ||
		errors.Is(err, zarr.ErrInvalidMetadata) || errors.Is(err, zarr.ErrNotFound) ||
		errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrNoSuchProcess)
}

// loadJob reads the record a task is about; ok is false when there is
// nothing to do (no such job, or it is finished, failed or dismissed).
func (w *Worker) loadJob(ctx context.Context, t *asynq.Task) (p payload, rec *record, ok bool, err error) {
	if p, err = decodePayload(t); err != nil {
		return p, nil, false, err
	}
	rec, err = w.b.rec.get(ctx, p.Job)
	if errors.Is(err, ErrNoSuchJob) {
		w.b.log.Warn("task of an unknown job dropped", "job", p.Job, "task", t.Type())
		return p, nil, false, nil
	}
	if err != nil {
		return p, nil, false, err
	}
	return p, rec, !rec.Status.Done(), nil
}

// watchCancel returns ctx cancelled (with cause errJobStopped) once the job's
// cancel flag is set.
func (w *Worker) watchCancel(ctx context.Context, id string) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		t := time.NewTicker(cancelPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if c, err := w.b.rec.cancelled(ctx, id); err == nil && c {
					cancel(errJobStopped)
					return
				}
			}
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// progressEvery throttles the progress a running tile writes to its record.
const progressEvery = 500 * time.Millisecond

// reporter returns the function a tile reports its progress with; it
// writes at most every progressEvery, and never fails the tile.
func (w *Worker) reporter(ctx context.Context, id string, tile int) func(float64) {
	var mu sync.Mutex
	var last time.Time
	return func(fraction float64) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		if err := w.b.rec.tileProgress(ctx, id, tile, fraction); err != nil {
			w.b.log.Debug("tile progress not recorded", "job", id, "tile", tile, "err", err)
		}
	}
}

// openWork rebuilds the job's work from its record.
func (w *Worker) openWork(ctx context.Context, rec *record) (work, error) {
	p, err := w.b.cat.get(rec.ProcessID)
	if err != nil {
		return nil, err
	}
	return p.open(ctx, w.b.env, rec)
}

// taskError decides what a handler error means: nothing, when the job was
// dismissed or failed elsewhere (the output it may have written since is
// removed again); the job's failure, when the error is permanent; a retry
// otherwise.
func (w *Worker) taskError(ctx context.Context, rec *record, t *asynq.Task, err error) error {
	bg := context.WithoutCancel(ctx)
	if errors.Is(context.Cause(ctx), errJobStopped) || w.stopped(bg, rec) {
		w.b.log.Info("task stopped: job dismissed or failed", "job", rec.ID, "task", t.Type())
		return nil
	}
	if permanent(err) {
		w.fail(bg, rec.ID, err)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// stopped reports whether the job was dismissed or failed while a task of
// it ran, and if so removes the output the task may have written after
// Dismiss or fail removed it.
func (w *Worker) stopped(ctx context.Context, rec *record) bool {
	cur, err := w.b.rec.get(ctx, rec.ID)
	if err != nil || (cur.Status != StatusDismissed && cur.Status != StatusFailed) {
		return false
	}
	w.b.removeOutput(ctx, rec)
	return true
}

// handlePlan starts a job: it marks it running, prepares the output, and
// either runs the job's single tile and finalizes, or enqueues one task per
// tile not yet done.
func (w *Worker) handlePlan(ctx context.Context, t *asynq.Task) error {
	_, rec, ok, err := w.loadJob(ctx, t)
	if !ok {
		return err
	}
	started, err := w.b.rec.transition(ctx, rec.ID, StatusRunning, transitionOpts{message: "running"}, StatusAccepted)
	if err != nil {
		return err
	}
	if started {
		w.b.log.Info("job started", "job", rec.ID, "process", rec.ProcessID)
		w.b.enqueueCallback(ctx, rec, eventInProgress)
	}
	ctx, stop := w.watchCancel(ctx, rec.ID)
	defer stop()
	wk, err := w.openWork(ctx, rec)
	if err != nil {
		return w.taskError(ctx, rec, t, err)
	}
	n := wk.NumTiles()
	if err := w.b.rec.setPlan(ctx, rec.ID, n, wk.Layout()); err != nil {
		return err
	}
	if err := wk.Start(ctx); err != nil {
		return w.taskError(ctx, rec, t, err)
	}
	if n <= 1 {
		stats, err := wk.RunTile(ctx, 0, w.reporter(ctx, rec.ID, 0))
		if err != nil {
			return w.taskError(ctx, rec, t, err)
		}
		w.metrics.tile(stats)
		if _, err := w.b.rec.tileDone(ctx, rec.ID, 0, stats); err != nil {
			return err
		}
		return w.finish(ctx, rec, wk, t)
	}
	done, err := w.b.rec.tilesDone(ctx, rec.ID)
	if err != nil {
		return err
	}
	for i := range n {
		if done[i] {
			continue
		}
		if err := w.b.enqueue(ctx, rec, taskTile, i); err != nil {
			return err
		}
	}
	if len(done) >= n {
		// Redelivered after every tile finished: the finalization may not
		// have been queued.
		return w.b.enqueue(ctx, rec, taskFinalize, -1)
	}
	w.b.log.Info("job fanned out", "job", rec.ID, "tiles", n, "queue", rec.Queue)
	w.stopped(context.WithoutCancel(ctx), rec) // dismissed while the output was created
	return nil
}

// handleTile runs one tile, adds it to the done-set, and enqueues the
// finalization when the set is complete. Delivered twice, a tile is
// computed twice (the engine writes the same bytes) but counted once.
func (w *Worker) handleTile(ctx context.Context, t *asynq.Task) error {
	p, rec, ok, err := w.loadJob(ctx, t)
	if !ok {
		return err
	}
	ctx, stop := w.watchCancel(ctx, rec.ID)
	defer stop()
	start := time.Now()
	wk, err := w.openWork(ctx, rec)
	if err != nil {
		return w.taskError(ctx, rec, t, err)
	}
	if p.Tile < 0 || p.Tile >= wk.NumTiles() {
		return fmt.Errorf("job %s: tile %d out of range [0, %d): %w", rec.ID, p.Tile, wk.NumTiles(), asynq.SkipRetry)
	}
	stats, err := wk.RunTile(ctx, p.Tile, w.reporter(ctx, rec.ID, p.Tile))
	if err != nil {
		return w.taskError(ctx, rec, t, fmt.Errorf("tile %d: %w", p.Tile, err))
	}
	w.metrics.tile(stats)
	all, err := w.b.rec.tileDone(ctx, rec.ID, p.Tile, stats)
	if err != nil {
		return err
	}
	w.b.log.Debug("tile done", "job", rec.ID, "tile", p.Tile, "seconds", time.Since(start).Seconds())
	if w.stopped(context.WithoutCancel(ctx), rec) {
		return nil
	}
	if all {
		return w.b.enqueue(ctx, rec, taskFinalize, -1)
	}
	return nil
}

// handleFinalize completes a job whose tiles are all done.
func (w *Worker) handleFinalize(ctx context.Context, t *asynq.Task) error {
	_, rec, ok, err := w.loadJob(ctx, t)
	if !ok {
		return err
	}
	ctx, stop := w.watchCancel(ctx, rec.ID)
	defer stop()
	wk, err := w.openWork(ctx, rec)
	if err != nil {
		return w.taskError(ctx, rec, t, err)
	}
	return w.finish(ctx, rec, wk, t)
}

// finish runs the work's (idempotent) finalization and moves the job to
// successful under the finalization guard: whichever worker gets there
// first records the outputs and queues the success callback; any other
// finds the guard taken and does nothing more.
func (w *Worker) finish(ctx context.Context, rec *record, wk work, t *asynq.Task) error {
	stats, err := w.b.rec.tileStats(ctx, rec.ID)
	if err != nil {
		return err
	}
	outputs, err := wk.Finish(ctx, stats)
	if err != nil {
		return w.taskError(ctx, rec, t, err)
	}
	won, err := w.b.rec.transition(ctx, rec.ID, StatusSuccessful,
		transitionOpts{message: "done", outputs: outputs, finalGuard: true}, StatusAccepted, StatusRunning)
	if err != nil {
		return err
	}
	if won {
		w.b.log.Info("job successful", "job", rec.ID, "process", rec.ProcessID)
		w.b.enqueueCallback(ctx, rec, eventSuccess)
	}
	return nil
}

// asynqLogger sends asynq's own logs to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq")
	os.Exit(1)
}
