// Package codec holds Zarr's codec pipeline pieces and the registry that finds
// them by name, for both format versions.
//
// Codecs come in three kinds, as in Zarr v3: array→array (transpose, and the
// v2 filters delta, fixedscaleoffset, astype, quantize, bitround), array→bytes
// (bytes, sharding_indexed) and bytes→bytes (blosc, zstd, gzip, zlib, lz4,
// bz2, lzma, crc32c, shuffle). Adding a bytes→bytes codec is one file plus one
// RegisterBytes call in that file's init. v2 compressors and filters map onto
// the same registry: a v2 {"id": "zstd", "level": 1} and a v3
// {"name": "zstd", "configuration": {"level": 1}} build the same codec.
//
// The package knows nothing about stores, metadata files or CF conventions.
package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnknownCodec is returned (wrapped, with the name) for a codec name the
// registry does not know.
var ErrUnknownCodec = errors.New("unknown codec")

// ErrCorrupt is wrapped by every decoder error caused by bad input bytes
// (truncated, inconsistent header, checksum mismatch, wrong size).
var ErrCorrupt = errors.New("corrupt data")

// BytesCodec transforms a byte string reversibly (compression, checksums,
// byte shuffling). Implementations are safe for concurrent use.
type BytesCodec interface {
	// Decode returns the decoded bytes. It never panics on bad input; errors
	// wrap ErrCorrupt. dst, when it has enough capacity, may be reused for the
	// result (pass nil when there is no buffer to offer).
	Decode(dst, src []byte) ([]byte, error)
	// Encode returns the encoded bytes.
	Encode(src []byte) ([]byte, error)
}

// BytesFactory builds a BytesCodec from its configuration: the v3
// "configuration" object, or the v2 codec object minus "id" (so the same
// factory serves both). config may be nil or "{}" for defaults. Factories
// ignore configuration keys that do not affect decoding, and reject values
// they cannot honour with an error naming the key.
type BytesFactory func(config json.RawMessage) (BytesCodec, error)

var (
	mu    sync.RWMutex
	bytes = map[string]BytesFactory{}
)

// RegisterBytes makes a bytes→bytes codec available under name (and, for v3,
// under "numcodecs.<name>"). It panics on a duplicate name: registration is a
// programming-time act done in init.
func RegisterBytes(name string, f BytesFactory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := bytes[name]; dup {
		panic("codec: RegisterBytes called twice for " + name)
	}
	bytes[name] = f
}

// NewBytes builds the bytes→bytes codec registered under name.
func NewBytes(name string, config json.RawMessage) (BytesCodec, error) {
	mu.RLock()
	f, ok := bytes[canonicalName(name)]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownCodec, name)
	}
	c, err := f(config)
	if err != nil {
		return nil, fmt.Errorf("codec %s: %w", name, err)
	}
	return c, nil
}

// IsBytes reports whether name is a registered bytes→bytes codec.
func IsBytes(name string) bool {
	mu.RLock()
	defer mu.RUnlock()
	_, ok := bytes[canonicalName(name)]
	return ok
}

// BytesNames lists the registered bytes→bytes codec names, sorted.
func BytesNames() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(bytes))
	for n := range bytes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// canonicalName maps zarr-python 3's "numcodecs.<id>" names onto the id.
func canonicalName(name string) string {
	return strings.TrimPrefix(name, "numcodecs.")
}
