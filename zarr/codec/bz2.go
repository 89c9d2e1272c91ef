package codec

import (
	stdbytes "bytes"
	"compress/bzip2"
	"encoding/json"
	"errors"
	"fmt"
)

// bz2Codec is numcodecs' "bz2": a bzip2 stream. The standard library only
// decompresses bzip2, so Encode reports that it is unsupported; no zarrproc
// output uses bz2.
type bz2Codec struct{}

// bz2MaxRatio bounds bzip2's expansion for the first size guess only; the
// output grows past it if needed.
const bz2MaxRatio = 8

var errBz2Encode = errors.New("bz2: encoding not supported (decode only)")

func init() {
	RegisterBytes("bz2", newBz2)
}

func newBz2(config json.RawMessage) (BytesCodec, error) {
	cfg := struct {
		Level *int `json:"level"`
	}{}
	if err := decodeBytesConfig(config, &cfg); err != nil {
		return nil, err
	}
	if cfg.Level != nil && (*cfg.Level < 1 || *cfg.Level > 9) {
		return nil, fmt.Errorf("level %d: must be 1..9", *cfg.Level)
	}
	return bz2Codec{}, nil
}

func (bz2Codec) Decode(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return nil, fmt.Errorf("bz2: empty input: %w", ErrCorrupt)
	}
	out, err := readAllInto(dst, bzip2.NewReader(stdbytes.NewReader(src)), len(src)*bz2MaxRatio)
	if err != nil {
		return nil, fmt.Errorf("bz2: %v: %w", err, ErrCorrupt)
	}
	return out, nil
}

func (bz2Codec) Encode([]byte) ([]byte, error) {
	return nil, errBz2Encode
}
