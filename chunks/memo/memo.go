package memo

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/zarrproc/zarrproc/chunks"
)

// Options tune a Memo; the zero value of each field is its default.
type Options struct {
	// Prefix starts every key the memo writes (default "zarrproc:"): entries
	// are Prefix+"m:"+Key (partial states) and Prefix+"m:o:"+OutputKeyString
	// (finished output chunks), locks Prefix+"lock:"+Key, generations
	// Prefix+"gen:"+hash(dataset). Clear deletes only entries and locks.
	Prefix string
	// Timeout bounds each Redis call (default 200ms). A value of a few MB
	// takes a few ms on a LAN; anything slower is treated as Redis being
	// away.
	Timeout time.Duration
	// TTL is how long an entry lives (default 7 days), plus up to 10%
	// random jitter so entries written together do not expire together.
	// Content-addressed entries never go stale; the TTL only bounds memory
	// in case the cache Redis is not allkeys-lru.
	TTL time.Duration
	// MaxValueBytes caps a stored (compressed) value (default 4 MiB);
	// larger ones are not cached and are counted as too big.
	MaxValueBytes int
	// MaxOutputBytes caps a kept output chunk (default 6 MiB: the engine
	// lays output chunks out to about 4 MiB decoded, and an incompressible
	// one comes out a little larger); larger ones are counted too big.
	MaxOutputBytes int
	// LockTTL is how long a worker's compute lock on a unit lasts (default
	// 30s); LockWait how long another worker waits for that computation's
	// result before computing the unit itself (default 5s).
	LockTTL, LockWait time.Duration
	// GenerationTTL is how long a dataset's generation is remembered in the
	// process (default 1s): an Invalidate reaches other workers within it.
	GenerationTTL time.Duration
	// Logger receives the memo's warnings (default slog.Default()).
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = "zarrproc:"
	}
	if o.Timeout <= 0 {
		o.Timeout = 200 * time.Millisecond
	}
	if o.TTL <= 0 {
		o.TTL = 7 * 24 * time.Hour
	}
	if o.MaxValueBytes <= 0 {
		o.MaxValueBytes = 4 << 20
	}
	if o.MaxOutputBytes <= 0 {
		o.MaxOutputBytes = 6 << 20
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 30 * time.Second
	}
	if o.LockWait <= 0 {
		o.LockWait = 5 * time.Second
	}
	if o.GenerationTTL <= 0 {
		o.GenerationTTL = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Memo is a chunks.Memo in Redis. It is safe for concurrent use.
type Memo struct {
	rdb  redis.UniversalClient
	opts Options
	own  bool // Close closes rdb

	flight singleflight.Group
	enc    *zstd.Encoder
	dec    *zstd.Decoder
	brk    breaker

	genMu sync.Mutex
	gens  map[string]generation

	counts    counters
	stopFlush chan struct{}
	closeOnce sync.Once
	flushDone chan struct{}
}

type generation struct {
	n       int64
	fetched time.Time
}

var _ chunks.Memo = (*Memo)(nil)

// Open connects to the cache Redis at url (redis://[user:pass@]host:port/db,
// rediss:// for TLS) with the short timeouts and few retries a cache wants.
// It does not fail when Redis is down: the memo then bypasses until Redis
// answers. It warns when the server's maxmemory-policy is not allkeys-*.
func Open(url string, opts Options) (*Memo, error) {
	ro, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("cache redis URL: %w", err)
	}
	opts.defaults()
	ro.ContextTimeoutEnabled = true
	ro.DialTimeout = max(opts.Timeout, 500*time.Millisecond)
	ro.DialerRetries = 1
	ro.ReadTimeout = max(opts.Timeout, 100*time.Millisecond)
	ro.WriteTimeout = ro.ReadTimeout
	ro.PoolTimeout = opts.Timeout
	ro.MaxRetries = 1 // once, for a pooled connection the server closed
	m := New(redis.NewClient(ro), opts)
	m.own = true
	m.checkPolicy()
	return m, nil
}

// New returns a memo over rdb, which the caller configures (short timeouts,
// ContextTimeoutEnabled) and closes.
func New(rdb redis.UniversalClient, opts Options) *Memo {
	opts.defaults()
	// No Huffman coding of literals: states are byte planes, where zstd's
	// matches find the constant ones and the rest (mantissa bytes) is
	// nearly random. On a realistic monthly-mean state this stores 8% more
	// bytes and compresses 1.7× faster (BenchmarkStateZstd in
	// chunks/reduce); on the CHIRPS-like benchmark a cold run takes 10%
	// less CPU for 2% more cache memory.
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithNoEntropyCompression(true))
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
	m := &Memo{rdb: rdb, opts: opts, enc: enc, dec: dec, gens: map[string]generation{},
		stopFlush: make(chan struct{}), flushDone: make(chan struct{})}
	go m.flushLoop(m.stopFlush, m.flushDone)
	return m
}

// Close adds this process's last counts to the shared ones and closes the
// Redis client if Open made it.
func (m *Memo) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.stopFlush)
		<-m.flushDone
		m.dec.Close()
		if m.own {
			err = m.rdb.Close()
		}
	})
	return err
}

func (m *Memo) checkPolicy() {
	ctx, cancel := context.WithTimeout(context.Background(), 4*m.opts.Timeout)
	defer cancel()
	// INFO without a section: servers that know only some sections (the
	// embedded miniredis of `zarrproc dev`) answer it too.
	info, err := m.rdb.Info(ctx).Result()
	if err != nil {
		m.opts.Logger.Warn("memo: cache redis is not answering; computing without it until it does", "err", err)
		return
	}
	if p := infoField(info, "maxmemory_policy"); p != "" && !strings.HasPrefix(p, "allkeys-") {
		m.opts.Logger.Warn("memo: the cache redis should evict with allkeys-lru (or allkeys-lfu); full, it refuses writes and nothing new is cached", "maxmemory_policy", p)
	}
}

// result is what one computation or lookup of a unit produced, shared by
// singleflight.
type result struct {
	val     chunks.MemoValue
	outcome chunks.MemoOutcome
}

// Do implements chunks.Memo.
func (m *Memo) Do(ctx context.Context, k *chunks.MemoKey, compute func(context.Context) (chunks.MemoValue, error)) (chunks.MemoValue, chunks.MemoOutcome, error) {
	if !m.brk.allow(time.Now()) {
		return m.bypass(ctx, compute)
	}
	gen, err := m.generation(ctx, k.Dataset)
	if err != nil {
		m.fail(ctx, "generation", err)
		return m.bypass(ctx, compute)
	}
	key := Key(k, gen)
	leader := false
	v, err, _ := m.flight.Do(key, func() (any, error) {
		leader = true
		return m.load(ctx, key, compute)
	})
	if err != nil && !leader && ctx.Err() == nil {
		// The leader's failure may be its own (its job was cancelled):
		// this caller computes for itself.
		return m.bypass(ctx, compute)
	}
	if err != nil {
		return chunks.MemoValue{}, chunks.MemoBypass, err
	}
	r := v.(result)
	if !leader && r.outcome != chunks.MemoHit {
		// Another tile in this process just computed it: nothing was
		// fetched for this caller.
		r.outcome = chunks.MemoHit
		m.countHit(r.val)
	}
	return r.val, r.outcome, nil
}

var _ chunks.MemoBypasser = (*Memo)(nil)

// BypassNow implements chunks.MemoBypasser: true, and a bypass counted,
// while the circuit breaker is open and not due for a probe. When a probe
// is due it is false, so that the unit's Do probes Redis.
func (m *Memo) BypassNow() bool {
	if !m.brk.refusing(time.Now()) {
		return false
	}
	m.counts.add(cBypasses, 1)
	return true
}

func (m *Memo) bypass(ctx context.Context, compute func(context.Context) (chunks.MemoValue, error)) (chunks.MemoValue, chunks.MemoOutcome, error) {
	v, err := compute(ctx)
	if err == nil {
		m.counts.add(cBypasses, 1)
	}
	return v, chunks.MemoBypass, err
}

func (m *Memo) countHit(v chunks.MemoValue) {
	m.counts.add(cHits, 1)
	m.counts.add(cBytesSaved, v.SourceBytes)
}

// load reads key; on a miss it computes the value under the cross-worker
// lock (or waits for the worker holding it) and stores it.
func (m *Memo) load(ctx context.Context, key string, compute func(context.Context) (chunks.MemoValue, error)) (result, error) {
	entry := m.opts.Prefix + "m:" + key
	v, found, err := m.get(ctx, entry)
	if err != nil {
		return m.bypassResult(ctx, compute)
	}
	if found {
		m.countHit(v)
		return result{v, chunks.MemoHit}, nil
	}
	lock := m.opts.Prefix + "lock:" + key
	token := newToken()
	locked, err := m.call(ctx, "lock", func(ctx context.Context) error {
		return m.rdb.SetArgs(ctx, lock, token, redis.SetArgs{Mode: "NX", TTL: m.opts.LockTTL}).Err()
	})
	if err != nil {
		return m.bypassResult(ctx, compute)
	}
	if !locked {
		// Another worker is computing it: wait for its value a while.
		deadline := time.Now().Add(m.opts.LockWait)
		for wait := 10 * time.Millisecond; time.Now().Before(deadline); wait = min(2*wait, 200*time.Millisecond) {
			select {
			case <-ctx.Done():
				return result{}, ctx.Err()
			case <-time.After(wait):
			}
			v, found, err := m.get(ctx, entry)
			if err != nil {
				return m.bypassResult(ctx, compute)
			}
			if found {
				m.countHit(v)
				return result{v, chunks.MemoHit}, nil
			}
			held, err := m.call(ctx, "lock", func(ctx context.Context) error {
				return m.rdb.Exists(ctx, lock).Err()
			})
			if err != nil {
				return m.bypassResult(ctx, compute)
			}
			if !held {
				break // it failed, or the value was too big: compute here
			}
		}
	} else {
		defer m.unlock(lock, token)
		// The worker that held the lock may have stored the value between
		// this one's miss and its lock.
		v, found, err := m.get(ctx, entry)
		if err != nil {
			return m.bypassResult(ctx, compute)
		}
		if found {
			m.countHit(v)
			return result{v, chunks.MemoHit}, nil
		}
	}
	val, err := compute(ctx)
	if err != nil {
		return result{}, err
	}
	return result{val, m.store(ctx, entry, val)}, nil
}

func (m *Memo) bypassResult(ctx context.Context, compute func(context.Context) (chunks.MemoValue, error)) (result, error) {
	v, o, err := m.bypass(ctx, compute)
	return result{v, o}, err
}

// Value envelope: "ZPM1", u64 source bytes, zstd frame of the states.
const envelopeMagic = "ZPM1"

func (m *Memo) get(ctx context.Context, entry string) (chunks.MemoValue, bool, error) {
	var raw []byte
	found, err := m.call(ctx, "get", func(ctx context.Context) error {
		var err error
		raw, err = m.rdb.Get(ctx, entry).Bytes()
		return err
	})
	if err != nil || !found {
		return chunks.MemoValue{}, false, err
	}
	if len(raw) < 12 || string(raw[:4]) != envelopeMagic {
		m.opts.Logger.Warn("memo: dropping a cache entry with no valid envelope", "key", entry, "bytes", len(raw))
		m.drop(ctx, entry)
		return chunks.MemoValue{}, false, nil
	}
	states, err := m.dec.DecodeAll(raw[12:], nil)
	if err != nil {
		m.opts.Logger.Warn("memo: dropping a cache entry that does not decompress", "key", entry, "err", err)
		m.drop(ctx, entry)
		return chunks.MemoValue{}, false, nil
	}
	return chunks.MemoValue{States: states, SourceBytes: int64(binary.LittleEndian.Uint64(raw[4:]))}, true, nil
}

// store writes val under entry unless it is too big; it returns the outcome
// of the computation that produced val.
func (m *Memo) store(ctx context.Context, entry string, val chunks.MemoValue) chunks.MemoOutcome {
	raw := make([]byte, 12, 12+len(val.States)/2)
	copy(raw, envelopeMagic)
	binary.LittleEndian.PutUint64(raw[4:], uint64(val.SourceBytes))
	raw = m.enc.EncodeAll(val.States, raw)
	if len(raw) > m.opts.MaxValueBytes {
		m.counts.add(cTooBig, 1)
		return chunks.MemoTooBig
	}
	if _, err := m.call(ctx, "set", func(ctx context.Context) error {
		return m.rdb.Set(ctx, entry, raw, m.ttl()).Err()
	}); err != nil {
		m.counts.add(cBypasses, 1)
		return chunks.MemoBypass
	}
	m.counts.add(cMisses, 1)
	m.counts.add(cStoredBytes, int64(len(raw)))
	return chunks.MemoMiss
}

// ttl is an entry's lifetime: TTL plus up to 10% jitter, so that entries
// written together do not expire together.
func (m *Memo) ttl() time.Duration {
	return m.opts.TTL + time.Duration(rand.Int64N(int64(m.opts.TTL/10)+1))
}

var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// unlock releases the compute lock if this worker still holds it.
func (m *Memo) unlock(lock, token string) {
	ctx := context.Background()
	m.call(ctx, "unlock", func(ctx context.Context) error {
		return unlockScript.Run(ctx, m.rdb, []string{lock}, token).Err()
	})
}

func (m *Memo) drop(ctx context.Context, entry string) {
	m.call(ctx, "unlink", func(ctx context.Context) error { return m.rdb.Unlink(ctx, entry).Err() })
}

// call runs one Redis command under the memo's timeout. It returns false
// with a nil error for redis.Nil (a miss, or SET NX not set). Any other
// error opens the circuit breaker and is returned for the caller to bypass.
func (m *Memo) call(ctx context.Context, op string, f func(context.Context) error) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	err := f(cctx)
	switch {
	case err == nil:
		m.brk.success()
		return true, nil
	case errors.Is(err, redis.Nil):
		m.brk.success()
		return false, nil
	}
	m.fail(ctx, op, err)
	return false, err
}

// fail records a Redis failure. A failure caused by the caller's own
// cancellation says nothing about Redis.
func (m *Memo) fail(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		m.brk.release()
		return
	}
	if m.brk.failure(time.Now()) {
		m.opts.Logger.Warn("memo: cache redis failed; computing without it for a while", "op", op, "err", err)
	}
}

// generation returns the dataset's invalidation generation, remembered for
// GenerationTTL.
func (m *Memo) generation(ctx context.Context, dataset string) (int64, error) {
	id := DatasetID(dataset)
	now := time.Now()
	m.genMu.Lock()
	g, ok := m.gens[id]
	m.genMu.Unlock()
	if ok && now.Sub(g.fetched) < m.opts.GenerationTTL {
		return g.n, nil
	}
	var n int64
	_, err := m.call(ctx, "generation", func(ctx context.Context) error {
		var err error
		n, err = m.rdb.Get(ctx, m.genKey(id)).Int64()
		return err
	})
	if err != nil {
		return 0, err
	}
	m.genMu.Lock()
	m.gens[id] = generation{n: n, fetched: now}
	m.genMu.Unlock()
	return n, nil
}

func (m *Memo) genKey(datasetID string) string {
	h := sha256.Sum256([]byte(datasetID))
	return m.opts.Prefix + "gen:" + hex.EncodeToString(h[:20])
}

func newToken() string {
	var b [16]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}
