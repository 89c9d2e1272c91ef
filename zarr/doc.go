// Package zarr reads and writes Zarr v2 and v3 hierarchies held in a
// store.Store: groups, arrays, their metadata (including consolidated
// metadata), chunk keys, and chunk data decoded through one codec pipeline
// for both format versions.
//
// Reading is typed: Read[float32] decodes chunks and converts from the
// stored data type in one typed loop per type pair, with no interface call
// per element. Missing chunks read as the fill value. Sharded v3 arrays are
// read partially: only the shard index and the inner chunks a request needs
// are fetched, by byte range.
//
// Decoded chunk data ([]byte) is little-endian, C order; zarrproc runs on
// little-endian hosts (amd64, arm64).
//
// The package knows nothing of CF conventions (scale_factor, time units),
// aggregation or job scheduling; it stops at arrays of numbers.
package zarr
