// Package store is zarrproc's key/value access to where Zarr data lives.
//
// One interface, Store, with one backend per file: local files (file.go),
// memory (mem.go), S3 (s3.go), GCS (gcs.go) and read-only HTTP(S) (http.go).
// Open picks the backend from a URL. Every backend passes the same
// conformance suite (storetest). The package knows nothing about Zarr:
// keys are opaque slash-separated strings.
package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped, with the key) by Get, GetRange and Stat
// when the key does not exist. Callers test it with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrReadOnly is returned by Put on a backend that cannot write (HTTP).
var ErrReadOnly = errors.New("store is read-only")

// ErrListNotSupported is returned by List on a backend that cannot enumerate
// keys (HTTP has no listing). Zarr readers do not need List when the dataset
// has consolidated metadata, which is why an HTTP store is still useful.
var ErrListNotSupported = errors.New("listing not supported")

// ErrInvalidKey is returned for a key that is empty, starts with "/", has an
// empty, "." or ".." segment, or contains a NUL byte. Such keys are refused
// by every backend alike, so a key that works on one works on all, and no key
// can reach outside a file store's root.
var ErrInvalidKey = errors.New("invalid key")

// ErrInvalidRange is returned by GetRange for offset >= 0 with length < 0.
var ErrInvalidRange = errors.New("invalid range")

// Info describes one stored object.
type Info struct {
	Size int64
	// ETag identifies this version of the object's content: the S3 ETag, the
	// GCS generation, or size+mtime for files. It changes when the content does.
	ETag    string
	ModTime time.Time
}

// Store is a flat key/value store. Keys are relative to the store's root,
// use "/" as separator and never start with "/".
// Every method honours ctx cancellation.
type Store interface {
	// Get returns the whole object.
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange returns length bytes starting at offset. A range that runs past
	// the end is cut at the end; one that starts at or past the end returns
	// no bytes and no error. offset < 0 means a suffix: the last -offset
	// bytes, or the whole object when it is shorter (length is then ignored).
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
	// Stat describes the object without reading it.
	Stat(ctx context.Context, key string) (Info, error)
	// Put writes the object whole, replacing any previous content.
	Put(ctx context.Context, key string, data []byte) error
	// Delete removes the object. A key that does not exist is not an error,
	// so deleting twice (a retried cleanup) succeeds.
	Delete(ctx context.Context, key string) error
	// List returns the keys that start with prefix, sorted. An empty result
	// is not an error. The prefix is a plain string prefix, not a directory:
	// "a/b" matches "a/b/c" and "a/bc".
	List(ctx context.Context, prefix string) ([]string, error)
	// URL identifies the store's root (e.g. "s3://bucket/prefix"); it is
	// stable across processes and used in cache keys and messages.
	URL() string
}

// BufferGetter is implemented by stores that can read an object into a
// caller's buffer, reused when its capacity suffices: readers that fetch
// many same-sized chunks pool their buffers instead of allocating one per
// chunk. The result may or may not alias buf.
type BufferGetter interface {
	GetInto(ctx context.Context, key string, buf []byte) ([]byte, error)
}

// GetInto reads key into buf through s's BufferGetter when it has one, else
// with Get.
func GetInto(ctx context.Context, s Store, key string, buf []byte) ([]byte, error) {
	if bg, ok := s.(BufferGetter); ok {
		return bg.GetInto(ctx, key, buf)
	}
	return s.Get(ctx, key)
}

// Entry is one object of a listing: its key and what Stat says of it.
type Entry struct {
	Key string
	Info
}

// InfoLister is implemented by stores that list keys together with their
// versions in one pass: an S3 or GCS listing carries each object's ETag (or
// generation) and size, where List and a Stat per key would cost one
// request per object. Callers use the package-level ListInfo.
type InfoLister interface {
	// ListInfo returns the keys List returns for prefix, in the same order,
	// each with the Size and ETag Stat returns for it. ModTime may be
	// coarser or finer than Stat's (S3 lists milliseconds, HEAD says
	// seconds).
	ListInfo(ctx context.Context, prefix string) ([]Entry, error)
}

// The backends that list with versions. HTTP cannot list at all.
var (
	_ InfoLister = (*File)(nil)
	_ InfoLister = (*Mem)(nil)
	_ InfoLister = (*S3)(nil)
	_ InfoLister = (*GCS)(nil)
	_ InfoLister = readOnly{}
)

// ListInfo lists the objects under prefix with their Info, through s's
// InfoLister when it has one, else with List and a Stat per key (leaving
// out a key deleted in between). A store that cannot list (HTTP) fails
// with ErrListNotSupported, as its List does.
func ListInfo(ctx context.Context, s Store, prefix string) ([]Entry, error) {
	if il, ok := s.(InfoLister); ok {
		return il.ListInfo(ctx, prefix)
	}
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(keys))
	for _, k := range keys {
		info, err := s.Stat(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, Entry{Key: k, Info: info})
	}
	return entries, nil
}

// sortEntries sorts by key, the order List promises.
func sortEntries(entries []Entry) {
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
}

// keysOf returns the keys of entries, for backends whose List is their
// ListInfo without the versions.
func keysOf(entries []Entry) []string {
	if len(entries) == 0 {
		return nil
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
	}
	return keys
}

// DeletePrefix deletes every object whose key starts with prefix (a whole
// Zarr store or group when prefix ends in "/" or is ""), and returns how
// many it deleted.
func DeletePrefix(ctx context.Context, s Store, prefix string) (int, error) {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	for i, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return i, err
		}
	}
	return len(keys), nil
}
