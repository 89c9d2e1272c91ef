// Package chunks is zarrproc's aggregation engine: a request (dataset,
// variable, period, reducers, time range, bbox) becomes a Plan of output
// tiles aligned with the source chunks in space; each tile streams its source
// chunks in time order through fetch → decode → reduce under a memory budget,
// finalizing and writing each period as soon as it is complete.
//
// Subpackages: period (binning), reduce (mergeable reducer states), memo
// (the Redis memo of per-chunk partial states and of finished output
// chunks, behind the Memo and OutputMemo interfaces declared here, so the
// engine itself knows nothing about Redis).
//
// A Plan's tiling follows its memory budget; Plan.Layout and
// Options.Layout let a distributed run plan once and have every worker cut
// the output the same way.
// The engine knows nothing about queues, jobs or HTTP: package jobs drives
// it tile by tile, `zarrproc run` drives it in-process with Run.
package chunks
