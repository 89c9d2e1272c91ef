// Package reduce owns the reducers of the temporal aggregation and their
// mergeable partial states: count, sum, mean, min, max, std, var, median,
// quantile, first and last over the time series of every pixel of a tile.
//
// A Set holds, for one output bin and the pixels of one tile, only the
// partial states its reducers need (count always; sum for sum/mean;
// count+mean+M2 for std/var; min; max; first/last with their time index; the
// values themselves for median/quantile). Accumulate folds in timesteps,
// Merge combines two Sets built from any split of the bin's timesteps, and
// Finalize writes one output array per reducer. Merging is exact and
// order-independent for count, min, max, first, last, median and quantile,
// and exact up to float64 rounding for sum, mean, std and var (variances
// merge with Chan et al.'s formula), so results do not depend on how the
// source is chunked.
//
// Semantics (DESIGN.md, "Semantics"; checked against xarray/numpy):
//   - NaN is missing and always skipped.
//   - MinCount (default 1): a pixel with fewer valid values than MinCount is
//     NaN for every reducer except count, sum included; count is the number of
//     valid values (0 when none). MinCount 0 gives xarray's default: the sum of
//     an all-missing group is 0 — but a Set that never saw a timestep (an
//     empty bin, over a gap in the time axis) has a NaN sum, as xarray gives
//     NaN for empty bins.
//   - std/var divide by n − DDOF (DDOF 0 by default) and are NaN when
//     n − DDOF ≤ 0.
//   - median and quantile are exact, numpy's "linear" method (Hyndman & Fan
//     type 7); first and last are the first and last valid values in time.
//   - Sums accumulate in float64.
//
// MarshalBinary/UnmarshalBinary give a compact, versioned encoding of a Set
// for the memo cache, each state array in little-endian byte planes (byte 0
// of every entry, then byte 1, …) for the memo's zstd (marshal.go).
//
// The package knows nothing of time, periods, chunks or Zarr.
package reduce
