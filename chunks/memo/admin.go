package memo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Stats describe the cache and what the memo got from it, the body of
// GET /cache/stats.
type Stats struct {
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
	// Bypassing is set while this process's circuit breaker skips Redis.
	Bypassing       bool   `json:"bypassing"`
	RedisVersion    string `json:"redis_version,omitempty"`
	UsedMemory      int64  `json:"used_memory_bytes"`
	MaxMemory       int64  `json:"maxmemory_bytes"`
	MaxMemoryPolicy string `json:"maxmemory_policy,omitempty"`
	// Keys is the number of zarrproc entries (SCAN, not KEYS).
	Keys int64 `json:"keys"`
	// Counts are every worker's, as flushed to Redis (every 2 s and on
	// Close); Process are this process's since it started.
	Counts
	Process Counts `json:"this_process"`
}

// Stats asks Redis for its version, memory, the number of zarrproc entries
// and every worker's counts. Redis being away is not an error: Connected
// is false and Error says why.
func (m *Memo) Stats(ctx context.Context) Stats {
	s := Stats{Process: m.counts.process(), Bypassing: m.brk.open()}
	cctx, cancel := context.WithTimeout(ctx, 4*m.opts.Timeout)
	defer cancel()
	info, err := m.rdb.Info(cctx).Result() // the default sections hold server and memory
	if err != nil {
		s.Error = err.Error()
		return s
	}
	s.Connected = true
	s.RedisVersion = infoField(info, "redis_version")
	s.UsedMemory, _ = strconv.ParseInt(infoField(info, "used_memory"), 10, 64)
	s.MaxMemory, _ = strconv.ParseInt(infoField(info, "maxmemory"), 10, 64)
	s.MaxMemoryPolicy = infoField(info, "maxmemory_policy")
	if s.Counts, err = m.sharedCounts(cctx); err != nil {
		s.Error = err.Error()
	}
	err = m.scan(ctx, m.opts.Prefix+"m:*", func(keys []string) error {
		s.Keys += int64(len(keys))
		return nil
	})
	if err != nil {
		s.Error = err.Error()
	}
	return s
}

// Prefix is the prefix of the memo's keys.
func (m *Memo) Prefix() string { return m.opts.Prefix }

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
