package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
)

// Callback events, one per subscriber URL.
const (
	eventInProgress = "inProgress"
	eventSuccess    = "success"
	eventFailed     = "failed"
)

// A callback is POSTed at most callbackRetries+1 times, with the worker's
// backoff between tries; each POST has callbackTimeout. A callback that
// cannot be delivered is logged and dropped: it never changes its job.
const (
	callbackRetries = 5
	callbackTimeout = 10 * time.Second
)

var callbackClient = &http.Client{Timeout: callbackTimeout}

func subscriberURL(s *Subscriber, event string) string {
	if s == nil {
		return ""
	}
	switch event {
	case eventInProgress:
		return s.InProgressURI
	case eventSuccess:
		return s.SuccessURI
	case eventFailed:
		return s.FailedURI
	}
	return ""
}

// callbackBody is what OGC API – Processes subscribers expect: the status
// info for inProgress, the results document for success, an exception for
// failed.
func callbackBody(rec *record, event string) any {
	switch event {
	case eventSuccess:
		return rec.Outputs
	case eventFailed:
		return map[string]any{
			"type":   "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/job-failed",
			"title":  "job failed",
			"detail": rec.Message,
			"jobID":  rec.ID,
		}
	}
	return struct {
		Type string `json:"type"`
		*Job
	}{"process", &rec.Job}
}

// handleCallback POSTs one event of a job to its subscriber.
func (w *Worker) handleCallback(ctx context.Context, t *asynq.Task) error {
	p, err := decodePayload(t)
	if err != nil {
		return err
	}
	rec, err := w.b.rec.get(ctx, p.Job)
	if errors.Is(err, ErrNoSuchJob) {
		return nil
	}
	if err != nil {
		return err
	}
	u := subscriberURL(rec.Subscriber, p.Event)
	if u == "" {
		return nil
	}
	body, err := json.Marshal(callbackBody(rec, p.Event))
	if err != nil {
		return fmt.Errorf("job %s: callback %s: %w: %w", rec.ID, p.Event, err, asynq.SkipRetry)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("job %s: callback %s to %s: %w: %w", rec.ID, p.Event, u, err, asynq.SkipRetry)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := callbackClient.Do(req)
	if err != nil {
		return fmt.Errorf("job %s: callback %s to %s: %w", rec.ID, p.Event, u, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("job %s: callback %s to %s: %s", rec.ID, p.Event, u, resp.Status)
	}
	w.b.log.Info("callback delivered", "job", rec.ID, "event", p.Event, "url", u)
	return nil
}
