package memo

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counts are memo outcomes: this process's, or every worker's since the
// counters were created (summed in Redis).
type Counts struct {
	Hits     int64 `json:"hits"`
	Misses   int64 `json:"misses"`
	Bypasses int64 `json:"bypasses"`
	TooBig   int64 `json:"too_big"`
	// BytesSaved are the source bytes the hits did not read.
	BytesSaved int64 `json:"bytes_saved"`
	// StoredBytes are the (compressed) bytes written to the cache.
	StoredBytes int64 `json:"stored_bytes"`
	// HitRatio is Hits over the partial-state lookups.
	HitRatio float64 `json:"hit_ratio"`
	// OutputHits and OutputMisses are the lookups of finished output
	// chunks that found one or not, OutputStored the chunks kept,
	// OutputTooBig those over the value cap; OutputHitRatio is OutputHits
	// over the lookups.
	OutputHits     int64   `json:"output_hits"`
	OutputMisses   int64   `json:"output_misses"`
	OutputStored   int64   `json:"output_stored"`
	OutputTooBig   int64   `json:"output_too_big"`
	OutputHitRatio float64 `json:"output_hit_ratio"`
}

type counter int

const (
	cHits counter = iota
	cMisses
	cBypasses
	cTooBig
	cBytesSaved
	cStoredBytes
	cOutputHits
	cOutputMisses
	cOutputStored
	cOutputTooBig
	numCounters
)

var counterNames = [numCounters]string{"hits", "misses", "bypasses", "too_big", "bytes_saved", "stored_bytes", "output_hits", "output_misses", "output_stored", "output_too_big"}

// counters keeps this process's totals and what is not yet added to the
// shared counters in Redis (a hash flushed every flushInterval, so the API
// process's /cache/stats sees what the workers did).
type counters struct {
	total, unflushed [numCounters]atomic.Int64
}

const flushInterval = 2 * time.Second

func (c *counters) add(k counter, n int64) {
	c.total[k].Add(n)
	c.unflushed[k].Add(n)
}

func countsOf(v [numCounters]int64) Counts {
	s := Counts{Hits: v[cHits], Misses: v[cMisses], Bypasses: v[cBypasses], TooBig: v[cTooBig],
		BytesSaved: v[cBytesSaved], StoredBytes: v[cStoredBytes],
		OutputHits: v[cOutputHits], OutputMisses: v[cOutputMisses], OutputStored: v[cOutputStored], OutputTooBig: v[cOutputTooBig]}
	if n := s.Hits + s.Misses + s.TooBig + s.Bypasses; n > 0 {
		s.HitRatio = float64(s.Hits) / float64(n)
	}
	if n := s.OutputHits + s.OutputMisses; n > 0 {
		s.OutputHitRatio = float64(s.OutputHits) / float64(n)
	}
	return s
}

func (c *counters) process() Counts {
	var v [numCounters]int64
	for i := range v {
		v[i] = c.total[i].Load()
	}
	return countsOf(v)
}

// flushLoop adds the unflushed counts to Redis until stop is closed, then
// once more.
func (m *Memo) flushLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			m.flushCounters()
			return
		case <-t.C:
			m.flushCounters()
		}
	}
}

func (m *Memo) flushCounters() {
	if m.brk.open() {
		return
	}
	var d [numCounters]int64
	some := false
	for i := range d {
		d[i] = m.counts.unflushed[i].Swap(0)
		some = some || d[i] != 0
	}
	if !some {
		return
	}
	_, err := m.call(context.Background(), "stats", func(ctx context.Context) error {
		_, err := m.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, n := range d {
				if n != 0 {
					p.HIncrBy(ctx, m.opts.Prefix+"stats", counterNames[i], n)
				}
			}
			return nil
		})
		return err
	})
	if err != nil { // try again at the next flush
		for i, n := range d {
			m.counts.unflushed[i].Add(n)
		}
	}
}

// sharedCounts reads every worker's counts from Redis.
func (m *Memo) sharedCounts(ctx context.Context) (Counts, error) {
	h, err := m.rdb.HGetAll(ctx, m.opts.Prefix+"stats").Result()
	if err != nil {
		return Counts{}, err
	}
	var v [numCounters]int64
	for i, name := range counterNames {
		v[i], _ = strconv.ParseInt(h[name], 10, 64)
	}
	return countsOf(v), nil
}
