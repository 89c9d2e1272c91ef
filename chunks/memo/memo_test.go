package memo_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/chunks/memo"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cf"
	"github.com/zarrproc/zarrproc/zarr/store"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

// Tests against a real redis-server use ZARRPROC_TEST_REDIS_URL (set by
// make test), in database memoTestDB, each test under its own key prefix:
//
//	redis-server --port 6398 --save '' --daemonize yes
//	ZARRPROC_TEST_REDIS_URL=redis://127.0.0.1:6398/0 go test ./chunks/memo
const memoTestDB = 7

// The CHIRPS-like fixture written by xarray: precip, 40 days from
// 2024-01-15, 6×8 pixels in 15×4×5 chunks: 4 tiles × 3 time chunks = 12
// memo units, one source chunk each.
const (
	chirpsFixture = "../../testdata/fixtures/cf/chirps_v2.zarr"
	units         = 12
	// outputs are the output chunks of request: one time chunk per tile,
	// one per reducer.
	outputs = 4 * 2
)

func redisOptions(t *testing.T) *redis.Options {
	t.Helper()
	base := storetest.RequireEnv(t, "ZARRPROC_TEST_REDIS_URL")
	o, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("ZARRPROC_TEST_REDIS_URL: %v", err)
	}
	o.DB = memoTestDB
	return o
}

// testPrefix is a key prefix of this test alone; its keys are deleted at
// the end.
func testPrefix(t *testing.T, o *redis.Options) string {
	var b [4]byte
	crand.Read(b[:])
	prefix := "zarrproctest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		rdb := redis.NewClient(o)
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Unlink(ctx, iter.Val())
		}
	})
	return prefix
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// openMemo opens a memo on the test Redis (or on addr when given).
func openMemo(t *testing.T, o *redis.Options, prefix, addr string, mo memo.Options) *memo.Memo {
	t.Helper()
	u := "redis://" + o.Addr + "/" + strconv.Itoa(memoTestDB)
	if addr != "" {
		u = "redis://" + addr + "/" + strconv.Itoa(memoTestDB)
	}
	mo.Prefix = prefix
	mo.Logger = quietLogger()
	m, err := memo.Open(u, mo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// copyDataset copies the fixture into the test's temp dir.
func copyDataset(t *testing.T) string { return storetest.CopyDir(t, chirpsFixture) }

// chunkGets counts the source chunk objects fetched: the computations.
type chunkGets struct{ n atomic.Int64 }

type countingStore struct {
	store.Store
	c *chunkGets
}

func (s countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasPrefix(key, "precip/") && !strings.HasPrefix(key, "precip/.") {
		s.c.n.Add(1)
	}
	return s.Store.Get(ctx, key)
}

func (c *chunkGets) open(url string) (store.Store, error) {
	s, err := store.Open(context.Background(), url, store.Options{})
	return countingStore{s, c}, err
}

func request(t *testing.T, dataset string) chunks.Request {
	return chunks.Request{Dataset: dataset, Variable: "precip", Period: "month", Reducers: []string{"mean", "max"},
		Output: filepath.Join(t.TempDir(), "out.zarr")}
}

func runWith(t *testing.T, req chunks.Request, m chunks.Memo, gets *chunkGets, progress func(int, int)) chunks.Summary {
	t.Helper()
	return runOpts(t, req, chunks.Options{Memo: m, Progress: progress}, gets)
}

func runOpts(t *testing.T, req chunks.Request, opts chunks.Options, gets *chunkGets) chunks.Summary {
	t.Helper()
	if gets == nil {
		gets = &chunkGets{}
	}
	opts.Concurrency, opts.OpenStore = 2, gets.open
	sum, err := chunks.Run(context.Background(), req, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// sameOutput compares two output stores file by file.
func sameOutput(t *testing.T, a, b string) bool {
	t.Helper()
	fa, fb := storetest.ReadDir(t, a), storetest.ReadDir(t, b)
	if len(fa) == 0 || len(fa) != len(fb) {
		return false
	}
	for k, v := range fa {
		if !bytes.Equal(v, fb[k]) {
			return false
		}
	}
	return true
}

func readVar(t *testing.T, out, name string) []float64 {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := cf.Open(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := ds.Variable(name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := zarr.ReadAll[float64](ctx, v.Array)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func wantCounts(t *testing.T, what string, got chunks.CacheCounts, hits, misses int) {
	t.Helper()
	if got.Hits != hits || got.Misses != misses || got.Bypasses != 0 {
		t.Fatalf("%s: from_cache %+v, want %d hits, %d misses, no bypass", what, got, hits, misses)
	}
}

func TestRepeatRequestServedFromCache(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{})
	ds := copyDataset(t)

	first := request(t, ds)
	s1 := runWith(t, first, m, nil, nil)
	wantCounts(t, "cold", s1.FromCache, 0, units)
	if s1.Chunks != units || s1.FromCache.BytesSaved != 0 {
		t.Fatalf("cold run: %+v", s1)
	}
	again := request(t, ds)
	gets := &chunkGets{}
	s2 := runWith(t, again, m, gets, nil)
	wantCounts(t, "repeat", s2.FromCache, units, 0)
	if s1.FromCache.OutputChunks != 0 || s2.FromCache.OutputChunks != outputs {
		t.Fatalf("output chunks from cache: %d cold, %d repeat; want 0, %d", s1.FromCache.OutputChunks, s2.FromCache.OutputChunks, outputs)
	}
	if s2.Chunks != 0 || gets.n.Load() != 0 || s2.BytesRead != 0 {
		t.Fatalf("repeat run read %d chunks (%d fetched, %d bytes), want none", s2.Chunks, gets.n.Load(), s2.BytesRead)
	}
	if s2.FromCache.BytesSaved != s1.BytesRead {
		t.Fatalf("bytes saved %d, the cold run read %d", s2.FromCache.BytesSaved, s1.BytesRead)
	}
	if !sameOutput(t, first.Output, again.Output) {
		t.Fatal("the repeat's output differs from the first run's")
	}
	// The memo changes how states are merged, not the results.
	plain := request(t, ds)
	runWith(t, plain, nil, nil, nil)
	for _, v := range []string{"precip_mean", "precip_max"} {
		a, b := readVar(t, plain.Output, v), readVar(t, again.Output, v)
		for i := range a {
			if d := a[i] - b[i]; (a[i] == a[i]) != (b[i] == b[i]) || d > 1e-5 || d < -1e-5 {
				t.Fatalf("%s[%d] = %v from cache, %v without", v, i, b[i], a[i])
			}
		}
	}
	// The repeat wrote the kept output chunks and looked no state up.
	st := m.Stats(context.Background())
	if p := st.Process; !st.Connected || st.RedisVersion == "" || st.Keys != units+outputs || p.Hits != 0 || p.Misses != units ||
		p.OutputMisses != outputs || p.OutputStored != outputs || p.OutputHits != outputs || p.OutputHitRatio != 0.5 {
		t.Fatalf("stats %+v", st)
	}
	// Entries live TTL plus up to 10% jitter; no compute lock is left.
	rdb := redis.NewClient(o)
	defer rdb.Close()
	ctx := context.Background()
	keys, _, err := rdb.Scan(ctx, 0, m.Prefix()+"*", 1000).Result()
	if err != nil {
		t.Fatal(err)
	}
	ttls := map[time.Duration]bool{}
	for _, k := range keys {
		if strings.Contains(k, ":lock:") {
			t.Errorf("lock %s left after the runs", k)
		}
		if strings.Contains(k, ":m:") {
			ttl := rdb.PTTL(ctx, k).Val()
			if ttl < 7*24*time.Hour-time.Minute || ttl > 7*24*time.Hour*11/10 {
				t.Errorf("%s expires in %v, want 7 days + up to 10%%", k, ttl)
			}
			ttls[ttl/time.Second] = true
		}
	}
	if len(ttls) < units/2 {
		t.Errorf("%d distinct TTLs over %d entries: no jitter", len(ttls), units)
	}
	// Another process (the API server) sees the counts once flushed.
	other := openMemo(t, o, m.Prefix(), "", memo.Options{})
	m.Close()
	if st := other.Stats(context.Background()); st.OutputHits != outputs || st.Misses != units || st.StoredBytes == 0 || st.Process.OutputHits != 0 {
		t.Fatalf("stats from another process %+v", st)
	}
}

// outputEntries connects to the test Redis and lists m's output chunk
// entries, which must be one per output chunk of request.
func outputEntries(t *testing.T, o *redis.Options, m *memo.Memo) (*redis.Client, []string) {
	t.Helper()
	rdb := redis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	keys, _, err := rdb.Scan(context.Background(), 0, m.Prefix()+"m:o:*", 1000).Result()
	if err != nil || len(keys) != outputs {
		t.Fatalf("%d output chunk entries (%v), want %d", len(keys), err, outputs)
	}
	return rdb, keys
}

// TestRepeatServedFromPartialStates: with the output chunks evicted (they
// are the largest entries, so allkeys-lru drops them first) a repeat is
// served from the partial states alone, reads nothing and writes the same
// bytes; it keeps the output chunks again.
func TestRepeatServedFromPartialStates(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{})
	ds := copyDataset(t)
	first := request(t, ds)
	s1 := runWith(t, first, m, nil, nil)

	rdb, keys := outputEntries(t, o, m)
	ctx := context.Background()
	if err := rdb.Unlink(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	again := request(t, ds)
	gets := &chunkGets{}
	s2 := runWith(t, again, m, gets, nil)
	wantCounts(t, "repeat from states", s2.FromCache, units, 0)
	if s2.FromCache.OutputChunks != 0 || gets.n.Load() != 0 || s2.FromCache.BytesSaved != s1.BytesRead {
		t.Fatalf("repeat from states: %+v, %d chunks fetched", s2, gets.n.Load())
	}
	if !sameOutput(t, first.Output, again.Output) {
		t.Fatal("the repeat from partial states differs from the first run")
	}
	if st := m.Stats(ctx); st.Process.Hits != units || st.Process.OutputStored != 2*outputs || st.Keys != units+outputs {
		t.Fatalf("stats %+v", st)
	}
}

// TestOutputChunksKeptPerChunk: with one month per output chunk, a source
// chunk rewritten in February recomputes February's output chunk of its
// tile alone; January's is written as kept, and the source time chunk that
// feeds only January is neither fetched nor looked up.
func TestOutputChunksKeptPerChunk(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{})
	ds := copyDataset(t)
	// 4×5-pixel tiles of float32: 80 bytes hold one period.
	opts := chunks.Options{Memo: m, OutputChunkBytes: 80}
	first := request(t, ds)
	s := runOpts(t, first, opts, nil)
	if s.FromCache.Misses != units {
		t.Fatalf("cold: %+v", s.FromCache)
	}

	// Rewrite chunk 2.0.0 (14–23 February, the north-west tile).
	rewriteChunk(t, ds, "2.0.0")

	after := request(t, ds)
	gets := &chunkGets{}
	s = runOpts(t, after, opts, gets)
	// North-west tile: January kept (2 reducers); 15–29 January only
	// feeds it (skipped, a hit); 30 January – 13 February is looked up
	// (a hit: its February run is needed); 14–23 February recomputed.
	// The three other tiles: both months kept.
	wantCounts(t, "after rewrite", s.FromCache, units-1, 1)
	if s.FromCache.OutputChunks != 2+3*4 || gets.n.Load() != 1 {
		t.Fatalf("after rewrite: %d output chunks from cache, %d chunks fetched; want 14, 1", s.FromCache.OutputChunks, gets.n.Load())
	}
	cold := request(t, ds)
	runOpts(t, cold, chunks.Options{Memo: openMemo(t, o, testPrefix(t, o), "", memo.Options{}), OutputChunkBytes: 80}, nil)
	if !sameOutput(t, after.Output, cold.Output) {
		t.Fatal("after a rewrite, the output differs from a cold run on the new data")
	}
	if sameOutput(t, after.Output, first.Output) {
		t.Fatal("the output did not change with the data")
	}
	plain := request(t, ds)
	runOpts(t, plain, chunks.Options{OutputChunkBytes: 80}, nil)
	if !sameOutput(t, after.Output, plain.Output) {
		t.Fatal("the output differs from a run without cache")
	}
}

// TestCorruptOutputEntryIsRecomputed: an output chunk entry that is not
// one is dropped and the chunk recomputed from the partial states.
func TestCorruptOutputEntryIsRecomputed(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{})
	ds := copyDataset(t)
	first := request(t, ds)
	runWith(t, first, m, nil, nil)
	rdb, keys := outputEntries(t, o, m)
	ctx := context.Background()
	for i, k := range keys {
		junk := []string{"", "ZPO1", "ZPO1\x07abc", "not an output chunk"}[i%4]
		if err := rdb.Set(ctx, k, junk, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	again := request(t, ds)
	s := runWith(t, again, m, nil, nil)
	if s.FromCache.OutputChunks != 0 || s.FromCache.Hits != units {
		t.Fatalf("from_cache %+v, want no output chunk and every state from cache", s.FromCache)
	}
	if !sameOutput(t, first.Output, again.Output) {
		t.Fatal("output differs after corrupt output chunk entries")
	}
}

func TestOverlappingRequestsReusePartials(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{})
	ds := copyDataset(t)
	ref := openMemo(t, o, testPrefix(t, o), "", memo.Options{}) // a cold cache, for reference outputs

	runWith(t, request(t, ds), m, nil, nil) // mean, max: count+sum+max

	// Another time range: the first time chunk's window differs, the two
	// others are whole in both.
	later := request(t, ds)
	later.Time = "2024-01-20/.."
	s := runWith(t, later, m, nil, nil)
	wantCounts(t, "later start", s.FromCache, 8, 4)
	cold := later
	cold.Output = filepath.Join(t.TempDir(), "cold.zarr")
	runWith(t, cold, ref, nil, nil)
	if !sameOutput(t, later.Output, cold.Output) {
		t.Fatal("a request served partly from cache differs from the same request on a cold cache")
	}

	// A bbox of exactly one source chunk column: that tile's units.
	lat, lon := coord(t, ds, "lat"), coord(t, ds, "lon")
	bb := [4]float64{min(lon[0], lon[4]), min(lat[0], lat[3]), max(lon[0], lon[4]), max(lat[0], lat[3])}
	box := request(t, ds)
	box.BBox = &bb
	s = runWith(t, box, m, nil, nil)
	wantCounts(t, "bbox", s.FromCache, 3, 0)

	// Other reducers keeping the same state kinds (count+sum+max).
	other := request(t, ds)
	other.Reducers = []string{"sum", "max", "count"}
	s = runWith(t, other, m, nil, nil)
	wantCounts(t, "sum,max,count", s.FromCache, units, 0)

	// Another period whose runs differ only where a chunk holds a period
	// boundary of one and not the other.
	year := request(t, ds)
	year.Period = "year"
	s = runWith(t, year, m, nil, nil)
	if s.FromCache.Misses == 0 {
		t.Fatalf("year: %+v, want misses (its runs differ)", s.FromCache)
	}
}

func coord(t *testing.T, ds, name string) []float64 {
	t.Helper()
	s, err := store.Open(context.Background(), ds, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := zarr.OpenArray(context.Background(), s, name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zarr.ReadAll[float64](context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rewriteChunk overwrites precip chunk key of the dataset with the content
// of chunk 0.0.0, with a new modification time (a new ETag).
func rewriteChunk(t *testing.T, ds, key string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ds, "precip", "0.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(ds, "precip", key)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, future, future); err != nil {
		t.Fatal(err)
	}
}

func TestRewrittenChunkIsRecomputed(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{})
	ds := copyDataset(t)
	first := request(t, ds)
	runWith(t, first, m, nil, nil)

	// Rewrite chunk 1.0.0 (days 15–29, the north-west tile).
	rewriteChunk(t, ds, "1.0.0")

	after := request(t, ds)
	gets := &chunkGets{}
	s := runWith(t, after, m, gets, nil)
	wantCounts(t, "after rewrite", s.FromCache, units-1, 1)
	if gets.n.Load() != 1 {
		t.Fatalf("%d chunks fetched after one was rewritten, want 1", gets.n.Load())
	}
	cold := request(t, ds)
	runWith(t, cold, openMemo(t, o, testPrefix(t, o), "", memo.Options{}), nil, nil)
	if !sameOutput(t, after.Output, cold.Output) {
		t.Fatal("after a rewrite, the output differs from a cold run on the new data")
	}
	if sameOutput(t, after.Output, first.Output) {
		t.Fatal("the output did not change with the data")
	}
}

func TestConcurrentRunsComputeEachChunkOnce(t *testing.T) {
	o := redisOptions(t)
	prefix := testPrefix(t, o)
	ds := copyDataset(t)
	for _, tc := range []struct {
		name    string
		workers int // memos: 1 = singleflight in one process, 2 = the Redis lock across two
	}{{"one process", 1}, {"two workers", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := prefix + tc.name[:3] + ":"
			memos := []*memo.Memo{openMemo(t, o, prefix, "", memo.Options{})}
			if tc.workers == 2 {
				memos = append(memos, openMemo(t, o, prefix, "", memo.Options{}))
			}
			gets := &chunkGets{}
			var wg sync.WaitGroup
			sums := make([]chunks.Summary, 4)
			for i := range sums {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sums[i] = runWith(t, request(t, ds), memos[i%len(memos)], gets, nil)
				}()
			}
			wg.Wait()
			var hits, misses int
			for _, s := range sums {
				hits += s.FromCache.Hits
				misses += s.FromCache.Misses
			}
			if gets.n.Load() != units || misses != units || hits != 3*units {
				t.Fatalf("4 concurrent runs fetched %d chunks, %d misses, %d hits; want each of the %d chunks computed once", gets.n.Load(), misses, hits, units)
			}
		})
	}
}

func TestClearAndInvalidate(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{})
	ds := copyDataset(t)
	ctx := context.Background()
	runWith(t, request(t, ds), m, nil, nil)
	if st := m.Stats(ctx); st.Keys != units+outputs {
		t.Fatalf("%d keys after a run, want %d", st.Keys, units+outputs)
	}
	// Invalidate: the same request misses everything, whatever the URL form.
	if _, err := m.Invalidate(ctx, ds+"/"); err != nil {
		t.Fatal(err)
	}
	s := runWith(t, request(t, ds), m, nil, nil)
	wantCounts(t, "after invalidate", s.FromCache, 0, units)
	s = runWith(t, request(t, ds), m, nil, nil)
	wantCounts(t, "after invalidate, again", s.FromCache, units, 0)
	// Invalidating another dataset changes nothing here.
	if _, err := m.Invalidate(ctx, "file:///elsewhere.zarr"); err != nil {
		t.Fatal(err)
	}
	s = runWith(t, request(t, ds), m, nil, nil)
	wantCounts(t, "other dataset invalidated", s.FromCache, units, 0)

	n, err := m.Clear(ctx)
	if err != nil || n != 2*(units+outputs) {
		t.Fatalf("Clear deleted %d keys (%v), want %d", n, err, 2*(units+outputs))
	}
	if st := m.Stats(ctx); st.Keys != 0 {
		t.Fatalf("%d keys after Clear", st.Keys)
	}
	s = runWith(t, request(t, ds), m, nil, nil)
	wantCounts(t, "after clear", s.FromCache, 0, units)
}

func TestValuesOverTheCapAreNotCached(t *testing.T) {
	o := redisOptions(t)
	m := openMemo(t, o, testPrefix(t, o), "", memo.Options{MaxValueBytes: 64, MaxOutputBytes: 64})
	ds := copyDataset(t)
	for range 2 {
		s := runWith(t, request(t, ds), m, nil, nil)
		if fc := s.FromCache; fc.TooBig != units || fc.Hits != 0 {
			t.Fatalf("from_cache %+v, want every unit too big", fc)
		}
	}
	if st := m.Stats(context.Background()); st.Keys != 0 || st.Process.TooBig != 2*units || st.Process.OutputTooBig != 2*outputs {
		t.Fatalf("stats %+v", st)
	}
}

// proxy forwards TCP connections to Redis until it is stopped (connections
// refused) or told to blackhole (accepted, never answered: a hung server).
type proxy struct {
	ln        net.Listener
	target    string
	mu        sync.Mutex
	conns     []net.Conn
	blackhole atomic.Bool
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(p.stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			if p.blackhole.Load() {
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// cut closes every connection; with stop, new ones are refused.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) stop() { p.ln.Close(); p.cut() }

func TestRedisDownMidRunBypasses(t *testing.T) {
	o := redisOptions(t)
	prefix := testPrefix(t, o)
	ds := copyDataset(t)
	// first and last keep time indices: units from the cache and units
	// reduced while it is away must agree on them, also when the time range
	// starts after the first time chunk.
	reducers := []string{"mean", "max", "first", "last"}
	const timeRange = "2024-02-04/.."
	ref := request(t, ds)
	ref.Reducers, ref.Time = reducers, timeRange
	runWith(t, ref, openMemo(t, o, testPrefix(t, o), "", memo.Options{}), nil, nil)

	for _, mode := range []string{"stopped", "hung"} {
		t.Run(mode, func(t *testing.T) {
			px := startProxy(t, o.Addr)
			m := openMemo(t, o, prefix+mode+":", px.addr(), memo.Options{Timeout: 100 * time.Millisecond})
			var once sync.Once
			req := request(t, ds)
			req.Reducers, req.Time = reducers, timeRange
			start := time.Now()
			s := runWith(t, req, m, nil, func(done, total int) {
				once.Do(func() {
					if mode == "stopped" {
						px.stop()
					} else {
						px.blackhole.Store(true)
						px.cut()
					}
				})
			})
			t.Logf("%s: %+v in %v", mode, s.FromCache, time.Since(start))
			fc := s.FromCache
			if fc.Bypasses == 0 || fc.Hits+fc.Misses+fc.Bypasses != 8 { // 4 tiles × 2 time chunks
				t.Fatalf("from_cache %+v, want bypasses once Redis is %s", fc, mode)
			}
			if !sameOutput(t, req.Output, ref.Output) {
				t.Fatal("the output with Redis gone differs")
			}
			if st := m.Stats(context.Background()); st.Connected || !st.Bypassing {
				t.Fatalf("stats with Redis %s: %+v", mode, st)
			}
		})
	}
}

func TestReconnectsAfterRedisComesBack(t *testing.T) {
	o := redisOptions(t)
	ds := copyDataset(t)
	px := startProxy(t, o.Addr)
	m := openMemo(t, o, testPrefix(t, o), px.addr(), memo.Options{Timeout: 100 * time.Millisecond})
	px.cut() // the server restarted: pooled connections are dead
	s := runWith(t, request(t, ds), m, nil, nil)
	if s.FromCache.Bypasses+s.FromCache.Misses != units {
		t.Fatalf("from_cache %+v", s.FromCache)
	}
	time.Sleep(time.Second) // longer than the breaker's first backoffs
	runWith(t, request(t, ds), m, nil, nil)
	s = runWith(t, request(t, ds), m, nil, nil)
	if s.FromCache.Hits != units {
		t.Fatalf("after Redis came back: from_cache %+v, want %d hits", s.FromCache, units)
	}
}
