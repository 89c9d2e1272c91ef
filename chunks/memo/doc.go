// Package memo keeps the engine's per-chunk partial states in the cache
// Redis (ZARRPROC_CACHE_REDIS_URL, maxmemory-policy allkeys-lru; never the
// queue's Redis, which must be noeviction), so that a repeated or
// overlapping request reads them instead of fetching and decoding chunks.
//
// A Memo implements chunks.Memo. Keys are content addresses (Key): a hash
// of everything a unit's states depend on, the chunk objects' ETags among
// them, so rewritten or appended chunks get new keys and results are never
// stale. A per-dataset generation counter inside the key invalidates a
// dataset in O(1) (Invalidate); a TTL with jitter bounds memory. Values are
// zstd-compressed and capped in size.
//
// A Memo is also a chunks.OutputMemo: it keeps finished output chunks, as
// the output array encodes them, under OutputKeyString, a hash of the
// addresses of the units the chunk is reduced from and of how the engine
// finalizes and encodes it. A repeated request then writes its output
// without merging or finalizing anything.
//
// The cache is an optimisation only: every Redis call has a short timeout,
// an error or timeout makes Do compute without the cache (a bypass), and a
// circuit breaker stops paying a timeout per chunk while Redis is away.
// Concurrent computations of one unit are collapsed by singleflight in a
// process and by a SET NX PX lock across workers, for efficiency only.
//
// The package knows the engine's interface (chunks.Memo), not its data.
package memo
