package store

import (
	"context"
	"math/rand/v2"
	"time"
)

// Retry says how remote backends retry throttling (429, 503 SlowDown),
// server errors (5xx) and transient network errors. Object stores answer
// 503 while they re-partition a hot prefix, which cold reads of many small
// chunks under one array prefix provoke; backing off with jitter spreads the
// retries of many concurrent workers instead of synchronising them.
// The zero value means the defaults.
type Retry struct {
	// MaxAttempts counts the first try: 1 disables retries. Default 5.
	MaxAttempts int
	// InitialBackoff bounds the first wait; each later wait doubles the
	// bound, up to MaxBackoff. Each wait is drawn uniformly below its bound
	// ("full jitter"). Defaults 200ms and 10s.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 5
	}
	if r.InitialBackoff <= 0 {
		r.InitialBackoff = 200 * time.Millisecond
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = 10 * time.Second
	}
	if r.MaxBackoff < r.InitialBackoff {
		r.MaxBackoff = r.InitialBackoff
	}
	return r
}

// backoff returns the wait before retry number attempt (1 = first retry).
func (r Retry) backoff(attempt int) time.Duration {
	r = r.withDefaults()
	bound := r.InitialBackoff
	for i := 1; i < attempt && bound < r.MaxBackoff; i++ {
		bound *= 2
	}
	bound = min(bound, r.MaxBackoff)
	return time.Duration(rand.Int64N(int64(bound)) + 1)
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
