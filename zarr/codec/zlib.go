package codec

import (
	stdbytes "bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zlib"
)

// zlibCodec is numcodecs' "zlib": a zlib stream (RFC 1950 header, deflate,
// Adler-32). klauspost/compress is used for the same reason as in gzip.go.
type zlibCodec struct {
	level int
}

func init() {
	RegisterBytes("zlib", newZlib)
}

func newZlib(config json.RawMessage) (BytesCodec, error) {
	cfg := struct {
		Level *int `json:"level"`
	}{}
	if err := decodeBytesConfig(config, &cfg); err != nil {
		return nil, err
	}
	c := &zlibCodec{level: 1}
	if cfg.Level != nil {
		if *cfg.Level < -1 || *cfg.Level > 9 {
			return nil, fmt.Errorf("level %d: must be -1..9", *cfg.Level)
		}
		c.level = *cfg.Level
	}
	return c, nil
}

var zlibReaders sync.Pool // of io.ReadCloser implementing zlib.Resetter

func (c *zlibCodec) Decode(dst, src []byte) ([]byte, error) {
	br := stdbytes.NewReader(src)
	var zr io.ReadCloser
	var err error
	if r, ok := zlibReaders.Get().(io.ReadCloser); ok {
		zr, err = r, r.(zlib.Resetter).Reset(br, nil)
	} else {
		zr, err = zlib.NewReader(br)
	}
	if err != nil {
		return nil, fmt.Errorf("zlib: %v: %w", err, ErrCorrupt)
	}
	out, err := readAllInto(dst, zr, min(4*len(src), len(src)*deflateMaxRatio))
	if err != nil {
		return nil, fmt.Errorf("zlib: %v: %w", err, ErrCorrupt)
	}
	zlibReaders.Put(zr)
	return out, nil
}

func (c *zlibCodec) Encode(src []byte) ([]byte, error) {
	var b stdbytes.Buffer
	b.Grow(len(src)/2 + 64)
	zw, err := zlib.NewWriterLevel(&b, c.level)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
