package chunks

import (
	"context"

	"github.com/zarrproc/zarrproc/zarr/store"
)

// Request is one temporal aggregation, as `zarrproc run` and the
// temporal-aggregate process take it. The zero values of the optional fields
// are the documented defaults.
type Request struct {
	// Dataset is the source store's URL (a group holding Variable).
	Dataset  string `json:"dataset"`
	Variable string `json:"variable"`
	// Period is a period name (see package period): "month", "week", …
	Period string `json:"period"`
	// Reducers: count, sum, mean, min, max, std, var, median, quantile,
	// first, last.
	Reducers []string `json:"reducers"`
	// Quantile is q in [0, 1] for the quantile reducer.
	Quantile *float64 `json:"quantile,omitempty"`
	// Time is an interval "START/END", both ends inclusive, ".." for open;
	// "" for all.
	Time string `json:"time,omitempty"`
	// BBox is [west, south, east, north] in the dataset's coordinates; pixels
	// whose centres lie inside, edges included, are kept. nil for all.
	BBox *[4]float64 `json:"bbox,omitempty"`
	// MinCount is the number of valid values a group needs to get a value
	// (nil = 1; 0 reproduces xarray's all-NaN sum = 0).
	MinCount *int `json:"min_count,omitempty"`
	// Ddof is the delta degrees of freedom of std and var (default 0).
	Ddof        int    `json:"ddof,omitempty"`
	DropPartial bool   `json:"drop_partial,omitempty"`
	UTCOffset   string `json:"utc_offset,omitempty"`
	// Output is the URL of the store to write; Format "zarr3" (default) or
	// "zarr2".
	Output string `json:"output"`
	Format string `json:"output_format,omitempty"`
}

// Options tune how a Plan runs; none changes its result.
type Options struct {
	// Concurrency bounds the tiles and chunk fetches in flight (default
	// GOMAXPROCS; fewer when MemoryBudget cannot hold that many tiles).
	Concurrency int
	// MemoryBudget bounds the bytes the tiles in flight hold together in
	// partial states and decoded chunks (default 192 MiB,
	// DefaultMemoryBudget): fewer tiles run at once, then tiles shrink in
	// space, to fit it.
	MemoryBudget int64
	// OutputChunkBytes is the decoded size output chunks are laid out to
	// (default 4 MiB): as many periods per chunk as fit. It changes the
	// output's chunking, not its values.
	OutputChunkBytes int
	// Layout, when set, fixes how the output is cut (Plan.Layout of an
	// earlier plan of the same request) instead of deriving it from the
	// memory budget and concurrency: the job system plans once and gives
	// every worker that plan's layout, so that tile i is the same region
	// on workers whose budgets and CPU counts differ.
	Layout *Layout
	// OpenStore opens a store by URL (default store.Open with zero Options);
	// the job system passes one that checks its allowlist.
	OpenStore func(url string) (store.Store, error)
	// Progress, when set, is called after each source chunk is reduced.
	Progress func(done, total int)
	// Memo, when set, keeps the partial states of every (tile, source time
	// chunk) so that a repeated or overlapping request skips fetching and
	// decoding the chunks it already reduced (package chunks/memo keeps them
	// in Redis). nil computes everything, as before.
	Memo Memo
}

// Layout is how a plan cuts its output: tiles of TileRows × TileCols
// pixels (one output chunk in space), TimeChunk periods per output chunk.
type Layout struct {
	TileRows  int `json:"tile_rows"`
	TileCols  int `json:"tile_cols"`
	TimeChunk int `json:"time_chunk"`
}

// Memo stores the partial states of one tile's share of one source time
// chunk under a content address. It is declared here and implemented by
// package chunks/memo so that the engine knows nothing of Redis.
type Memo interface {
	// Do returns the value stored under key, or runs compute, stores what it
	// returns, and returns that. The outcome says which happened. A cache
	// that is down, slow or full must not fail the call: Do then runs
	// compute and reports MemoBypass. The error is compute's.
	Do(ctx context.Context, key *MemoKey, compute func(context.Context) (MemoValue, error)) (MemoValue, MemoOutcome, error)
}

// MemoBypasser is a Memo that knows, before a unit's work, that it would
// bypass the unit (its cache is away): the engine then reduces the unit's
// values directly, without encoding partial states nobody would store, so
// a run with the cache down costs what a run without one does. BypassNow
// counts the bypass it reports.
type MemoBypasser interface {
	BypassNow() bool
}

// OutputMemo is a Memo that also keeps finished output chunks, encoded as
// the output array stores them, under a content address of everything they
// are computed from. A tile whose output chunks are all kept writes them
// without reading a partial state or a source chunk; one whose chunks are
// kept in part reads only the units the others need.
type OutputMemo interface {
	Memo
	// LoadOutputs returns what is kept under each key, in order. A cache
	// that is down, slow or empty returns misses (Found false).
	LoadOutputs(ctx context.Context, keys []*OutputKey) []OutputValue
	// StoreOutput keeps an encoded output chunk (nil: fill values only)
	// under key. It never fails: a cache that cannot take it is skipped.
	StoreOutput(ctx context.Context, key *OutputKey, chunk []byte)
}

// OutputKey names everything one encoded output chunk depends on: the memo
// units it is reduced from and which of their runs land in which of its
// periods, how the reducer finalizes, and how the array encodes chunks.
type OutputKey struct {
	// Dataset is the source store's URL (it scopes the generation).
	Dataset string
	// Units are the memo units with a run in the chunk's periods, in time
	// order; Bins[u][r] is the period within the chunk (0 for its first)
	// that run r of Units[u] lands in, or -1 for a run outside the chunk.
	Units []*MemoKey
	Bins  [][]int32
	// Periods is the number of periods the chunk holds.
	Periods int
	// Reducer is the reducer with its parameters and min_count.
	Reducer string
	// Encoding fingerprints the output array's dtype, fill value, chunk
	// shape and codecs.
	Encoding string
	// Engine is the engine's version for finalizing and laying out chunks.
	Engine string
}

// OutputValue is what LoadOutputs found under one key: an encoded chunk,
// nil for a chunk of fill values only.
type OutputValue struct {
	Found bool
	Chunk []byte
}

// MemoKey names everything the partial states of a (tile, time chunk) unit
// depend on. Two units with equal keys hold equal states, whatever request
// asked for them: the period and the selected time range enter only through
// the in-chunk window and how it splits into runs of one output period.
type MemoKey struct {
	// Dataset is the source store's URL; it also scopes the dataset's
	// invalidation generation.
	Dataset string
	// Array is the variable's array path in the store.
	Array string
	// Layout fingerprints how chunks decode: dtype, chunk shape, codecs.
	Layout string
	// Coding fingerprints the CF decoding (fill values, scale, offset).
	Coding string
	// Chunks are the source chunks of the unit (one per source chunk column
	// the tile overlaps), with their object versions and pixel windows.
	Chunks []MemoChunk
	// TileRows and TileCols are the tile's size: the layout of the states.
	TileRows, TileCols int
	// Window is the in-chunk time window [start, end) of the unit.
	Window [2]int
	// Runs are the lengths of the runs of consecutive timesteps of one
	// output period that partition Window, in time order.
	Runs []int
	// Kinds are the partial-state kinds kept ("count+sum"): the reducers
	// matter only through them.
	Kinds string
	// Float64 is set when the engine works in float64.
	Float64 bool
	// Engine is the engine's and the state encoding's version.
	Engine string
}

// MemoChunk is one source chunk of a memo unit and the part of it the tile
// uses.
type MemoChunk struct {
	// Key is the chunk's store key; ETag its object version ("" when the
	// chunk is missing and reads as fill values).
	Key, ETag string
	// Row, Col, Rows, Cols are the pixel window used within the chunk;
	// DstRow, DstCol where it lands in the tile.
	Row, Col, Rows, Cols int
	DstRow, DstCol       int
}

// MemoValue is what a memo unit stores: the encoded partial states, and the
// source bytes computing them read (what a hit saves).
type MemoValue struct {
	States      []byte
	SourceBytes int64
}

// MemoOutcome says how Memo.Do produced a value.
type MemoOutcome uint8

const (
	// MemoHit: read from the cache (or shared from a computation already
	// in flight), nothing fetched.
	MemoHit MemoOutcome = iota
	// MemoMiss: computed and stored.
	MemoMiss
	// MemoTooBig: computed, larger than the cache's value cap, not stored.
	MemoTooBig
	// MemoBypass: computed without the cache (down, slow or full).
	MemoBypass
)

// InputError is a request input that cannot be honoured; Input names it
// with the OGC input name ("period", "bbox", …).
type InputError struct {
	Input  string
	Reason string
}

func (e *InputError) Error() string { return "input " + e.Input + ": " + e.Reason }

// TileStats is what running one tile cost.
type TileStats struct {
	// Chunks are the source chunks fetched (a cache hit fetches none).
	Chunks    int   `json:"chunks_read"`
	BytesRead int64 `json:"bytes_read"`
	// The memo's outcomes, one per (tile, source time chunk) unit.
	CacheHits     int `json:"cache_hits"`
	CacheMisses   int `json:"cache_misses"`
	CacheBypasses int `json:"cache_bypasses"`
	CacheTooBig   int `json:"cache_too_big"`
	// BytesSaved are the source bytes the hits did not read.
	BytesSaved int64 `json:"bytes_saved"`
	// OutputHits are the output chunks written from the cache as they were
	// kept, without finalizing (one per output variable and chunk).
	OutputHits int `json:"cache_output_hits"`
}

// CacheCounts are a run's memo outcomes, the summary's from_cache.
type CacheCounts struct {
	Hits       int   `json:"hits"`
	Misses     int   `json:"misses"`
	Bypasses   int   `json:"bypasses"`
	TooBig     int   `json:"too_big"`
	BytesSaved int64 `json:"bytes_saved"`
	// OutputChunks are the output chunks written as the cache kept them.
	OutputChunks int `json:"output_chunks"`
}

// Summary describes a finished run.
type Summary struct {
	Output    string      `json:"output"`
	Periods   int         `json:"periods"`
	Shape     []int       `json:"shape"`
	Tiles     int         `json:"tiles"`
	Chunks    int         `json:"chunks_read"`
	BytesRead int64       `json:"bytes_read"`
	FromCache CacheCounts `json:"from_cache"`
	Seconds   float64     `json:"seconds"`
	Variables []string    `json:"variables"`
	TimeStart string      `json:"time_start,omitempty"`
	TimeEnd   string      `json:"time_end,omitempty"`
}
