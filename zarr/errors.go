package zarr

import (
	"errors"
	"fmt"

	"github.com/zarrproc/zarrproc/zarr/codec"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNotFound: the group or array does not exist (no metadata document).
	ErrNotFound = errors.New("node not found")
	// ErrUnsupported: a valid Zarr feature zarrproc does not implement, or
	// an extension it does not understand (a must_understand refusal).
	ErrUnsupported = errors.New("unsupported")
	// ErrCorrupt is codec.ErrCorrupt: chunk bytes that do not decode.
	ErrCorrupt = codec.ErrCorrupt
	// ErrInvalidMetadata: a metadata document that breaks the spec.
	ErrInvalidMetadata = errors.New("invalid metadata")
)

// arrayError prefixes err with the array path (and chunk key), the form
// every read and write error takes:
//
//	zarr: array "precip": chunk "c/3/0/1": corrupt data: ...
func arrayError(path, chunkKey string, err error) error {
	if chunkKey != "" {
		return fmt.Errorf("zarr: array %q: chunk %q: %w", path, chunkKey, err)
	}
	return fmt.Errorf("zarr: array %q: %w", path, err)
}

// unsupported wraps an error from the codec or dtype registries so it also
// matches ErrUnsupported.
func unsupported(err error) error {
	if errors.Is(err, codec.ErrUnknownCodec) || errors.Is(err, dtype.ErrUnsupported) {
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	return err
}
