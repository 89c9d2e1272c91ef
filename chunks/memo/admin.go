package memo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Stats describe the cache and what this process got from it, the body of
// GET /cache/stats. The counters are this process's since it started.
type Stats struct {
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
	// Bypassing is set while the circuit breaker skips Redis.
	Bypassing       bool   `json:"bypassing"`
	RedisVersion    string `json:"redis_version,omitempty"`
	UsedMemory      int64  `json:"used_memory_bytes"`
	MaxMemory       int64  `json:"maxmemory_bytes"`
	MaxMemoryPolicy string `json:"maxmemory_policy,omitempty"`
	// Keys is the number of zarrproc entries (SCAN, not KEYS).
	Keys int64 `json:"keys"`

	Hits       int64   `json:"hits"`
	Misses     int64   `json:"misses"`
	Bypasses   int64   `json:"bypasses"`
	TooBig     int64   `json:"too_big"`
	BytesSaved int64   `json:"bytes_saved"`
	HitRatio   float64 `json:"hit_ratio"`
	// StoredBytes is what this process wrote (compressed).
	StoredBytes int64 `json:"stored_bytes"`
}

// Counters returns this process's counters without asking Redis.
func (m *Memo) Counters() Stats {
	s := Stats{
		Hits: m.hits.Load(), Misses: m.misses.Load(), Bypasses: m.bypasses.Load(), TooBig: m.tooBig.Load(),
		BytesSaved: m.bytesSaved.Load(), StoredBytes: m.storedBytes.Load(), Bypassing: m.brk.open(),
	}
	if n := s.Hits + s.Misses + s.TooBig + s.Bypasses; n > 0 {
		s.HitRatio = float64(s.Hits) / float64(n)
	}
	return s
}

// Stats asks Redis for its version, memory and the number of zarrproc
// entries, and adds this process's counters. Redis being away is not an
// error: Connected is false and Error says why.
func (m *Memo) Stats(ctx context.Context) Stats {
	s := m.Counters()
	cctx, cancel := context.WithTimeout(ctx, 4*m.opts.Timeout)
	defer cancel()
	info, err := m.rdb.Info(cctx, "server", "memory").Result()
	if err != nil {
		s.Error = err.Error()
		return s
	}
	s.Connected = true
	s.RedisVersion = infoField(info, "redis_version")
	s.UsedMemory, _ = strconv.ParseInt(infoField(info, "used_memory"), 10, 64)
	s.MaxMemory, _ = strconv.ParseInt(infoField(info, "maxmemory"), 10, 64)
	s.MaxMemoryPolicy = infoField(info, "maxmemory_policy")
	err = m.scan(ctx, m.opts.Prefix+"m:*", func(keys []string) error {
		s.Keys += int64(len(keys))
		return nil
	})
	if err != nil {
		s.Error = err.Error()
	}
	return s
}

// Clear deletes every zarrproc entry and compute lock (SCAN + UNLINK in
// batches; never KEYS or FLUSHALL, the Redis may hold other data) and
// returns how many keys it deleted. Generation counters stay.
func (m *Memo) Clear(ctx context.Context) (int64, error) {
	var n int64
	for _, pattern := range []string{m.opts.Prefix + "m:*", m.opts.Prefix + "lock:*"} {
		err := m.scan(ctx, pattern, func(keys []string) error {
			cctx, cancel := context.WithTimeout(ctx, 20*m.opts.Timeout)
			defer cancel()
			d, err := m.rdb.Unlink(cctx, keys...).Result()
			n += d
			return err
		})
		if err != nil {
			return n, fmt.Errorf("clearing the cache: %w", err)
		}
	}
	return n, nil
}

// Invalidate bumps the dataset's generation: every entry of the dataset
// becomes unreachable at once (O(1)); they age out by TTL or eviction.
// Other processes see it within Options.GenerationTTL. It returns the new
// generation.
func (m *Memo) Invalidate(ctx context.Context, datasetURL string) (int64, error) {
	id := DatasetID(datasetURL)
	cctx, cancel := context.WithTimeout(ctx, 4*m.opts.Timeout)
	defer cancel()
	n, err := m.rdb.Incr(cctx, m.genKey(id)).Result()
	if err != nil {
		return 0, fmt.Errorf("invalidating %s in the cache: %w", datasetURL, err)
	}
	m.genMu.Lock()
	delete(m.gens, id)
	m.genMu.Unlock()
	return n, nil
}

// scan calls f with batches of the keys matching pattern, on every master
// of a cluster (one f at a time).
func (m *Memo) scan(ctx context.Context, pattern string, f func([]string) error) error {
	var mu sync.Mutex
	each := func(ctx context.Context, c *redis.Client) error {
		var cursor uint64
		for {
			cctx, cancel := context.WithTimeout(ctx, 20*m.opts.Timeout)
			keys, next, err := c.Scan(cctx, cursor, pattern, 1000).Result()
			cancel()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				mu.Lock()
				err := f(keys)
				mu.Unlock()
				if err != nil {
					return err
				}
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	switch c := m.rdb.(type) {
	case *redis.Client:
		return each(ctx, c)
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, each)
	}
	return fmt.Errorf("cache redis client %T cannot be scanned", m.rdb)
}

// infoField reads "name:value" from an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
