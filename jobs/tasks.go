package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"
)

// Task types. A job is one plan task; the plan fans out into one task per
// tile (or runs a one-tile job itself); the tile that completes the
// done-set enqueues the finalization. Callbacks are tasks too, so their
// retries survive a worker restart.
const (
	taskPlan     = "job:plan"
	taskTile     = "job:tile"
	taskFinalize = "job:finalize"
	taskCallback = "job:callback"
)

// payload is every task's payload: the job ID and, for tiles, the tile
// index, for callbacks the event. Inputs come from the job record.
type payload struct {
	Job   string `json:"job"`
	Tile  int    `json:"tile,omitempty"`
	Event string `json:"event,omitempty"`
}

// taskID names a task after its job, so that enqueueing it twice is a
// conflict asynq refuses (a redelivered plan task re-enqueues nothing) and
// Dismiss can find it.
func taskID(typ, job string, tile int) string {
	switch typ {
	case taskTile:
		return "tile:" + job + ":" + strconv.Itoa(tile)
	case taskFinalize:
		return "final:" + job
	default:
		return "plan:" + job
	}
}

// enqueue puts one task of rec on the job's queue; a task that exists
// already is not an error.
func (b *backend) enqueue(ctx context.Context, rec *record, typ string, tile int) error {
	p, _ := json.Marshal(payload{Job: rec.ID, Tile: max(tile, 0)})
	_, err := b.client.EnqueueContext(ctx, asynq.NewTask(typ, p),
		asynq.Queue(rec.Queue),
		asynq.TaskID(taskID(typ, rec.ID, tile)),
		asynq.MaxRetry(b.cfg.MaxRetry),
		asynq.Timeout(b.cfg.TaskTimeout))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s of job %s: %w", typ, rec.ID, err)
	}
	return nil
}

// enqueueCallback queues the POST of event to the subscriber URL.
func (b *backend) enqueueCallback(ctx context.Context, rec *record, event string) {
	if subscriberURL(rec.Subscriber, event) == "" {
		return
	}
	p, _ := json.Marshal(payload{Job: rec.ID, Event: event})
	_, err := b.client.EnqueueContext(ctx, asynq.NewTask(taskCallback, p),
		asynq.Queue(rec.Queue),
		asynq.TaskID("cb:"+event+":"+rec.ID),
		asynq.MaxRetry(callbackRetries),
		asynq.Timeout(callbackTimeout*2))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		b.log.Warn("callback not queued", "job", rec.ID, "event", event, "err", err)
	}
}

func decodePayload(t *asynq.Task) (payload, error) {
	var p payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Job == "" {
		return p, fmt.Errorf("task %s: bad payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}
