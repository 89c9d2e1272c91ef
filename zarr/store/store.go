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
