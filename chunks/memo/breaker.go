package memo

import (
	"sync"
	"time"
)

// breaker stops the memo from paying a Redis timeout per chunk while Redis
// is down, slow or full (an OOM error counts as a failure: a full cache
// that refuses writes is not worth the round trips). After a failure it
// stays open for a backoff that doubles per consecutive failure, from
// breakerMin to breakerMax; then one call probes Redis (half-open) while
// the others keep bypassing, and a success closes it.
type breaker struct {
	mu        sync.Mutex
	failures  int
	openUntil time.Time
	probing   bool
}

const (
	breakerMin = 250 * time.Millisecond
	breakerMax = 15 * time.Second
)

// allow says whether a call may use Redis now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures == 0 {
		return true
	}
	if now.Before(b.openUntil) || b.probing {
		return false
	}
	b.probing = true
	return true
}

// refusing reports whether allow would refuse a call now, without taking
// the probe.
func (b *breaker) refusing(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures > 0 && (now.Before(b.openUntil) || b.probing)
}

func (b *breaker) success() {
	b.mu.Lock()
	b.failures, b.probing = 0, false
	b.mu.Unlock()
}

// failure opens the breaker; it reports whether it was closed before (the
// moment worth a log line).
func (b *breaker) failure(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasClosed := b.failures == 0
	b.failures++
	backoff := min(breakerMax, breakerMin<<min(b.failures-1, 10))
	b.openUntil = now.Add(backoff)
	b.probing = false
	return wasClosed
}

// release ends a probe that told nothing (the caller gave up).
func (b *breaker) release() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// open reports whether calls are being bypassed.
func (b *breaker) open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures > 0
}
