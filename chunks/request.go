package chunks

import "github.com/zarrproc/zarrproc/zarr/store"

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
	// Concurrency bounds the tiles and chunk fetches in flight
	// (default GOMAXPROCS).
	Concurrency int
	// MemoryBudget bounds the bytes a tile may hold in partial states and
	// decoded chunks (default 512 MiB); tiles split in space to fit it.
	MemoryBudget int64
	// OpenStore opens a store by URL (default store.Open with zero Options);
	// the job system passes one that checks its allowlist.
	OpenStore func(url string) (store.Store, error)
	// Progress, when set, is called after each source chunk is reduced.
	Progress func(done, total int)
}

// InputError is a request input that cannot be honoured; Input names it
// with the OGC input name ("period", "bbox", …).
type InputError struct {
	Input  string
	Reason string
}

func (e *InputError) Error() string { return "input " + e.Input + ": " + e.Reason }

// TileStats is what running one tile cost.
type TileStats struct {
	Chunks      int   `json:"chunks_read"`
	BytesRead   int64 `json:"bytes_read"`
	CacheHits   int   `json:"cache_hits"`
	CacheMisses int   `json:"cache_misses"`
}

// Summary describes a finished run.
type Summary struct {
	Output    string   `json:"output"`
	Periods   int      `json:"periods"`
	Shape     []int    `json:"shape"`
	Tiles     int      `json:"tiles"`
	Chunks    int      `json:"chunks_read"`
	BytesRead int64    `json:"bytes_read"`
	CacheHits int      `json:"cache_hits"`
	CacheMiss int      `json:"cache_misses"`
	Seconds   float64  `json:"seconds"`
	Variables []string `json:"variables"`
	TimeStart string   `json:"time_start,omitempty"`
	TimeEnd   string   `json:"time_end,omitempty"`
}
