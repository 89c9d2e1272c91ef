package codec

import (
	stdbytes "bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipCodec is "gzip": one or more gzip members (RFC 1952), as Python's
// GzipFile writes and reads them. klauspost/compress's inflater is used
// rather than the standard library's because it decodes the same streams
// faster (see BenchmarkDecode/gzip) and its readers reset without
// allocating.
type gzipCodec struct {
	level int
}

// deflateMaxRatio bounds deflate's expansion (258 bytes per 2 bits, about
// 1032:1); it caps the size hint taken from a gzip trailer.
const deflateMaxRatio = 1032

func init() {
	RegisterBytes("gzip", newGzip)
}

func newGzip(config json.RawMessage) (BytesCodec, error) {
	cfg := struct {
		Level *int `json:"level"`
	}{}
	if err := decodeBytesConfig(config, &cfg); err != nil {
		return nil, err
	}
	c := &gzipCodec{level: 1}
	if cfg.Level != nil {
		if *cfg.Level < 0 || *cfg.Level > 9 {
			return nil, fmt.Errorf("level %d: must be 0..9", *cfg.Level)
		}
		c.level = *cfg.Level
	}
	return c, nil
}

var gzipReaders sync.Pool // of *gzip.Reader

func (c *gzipCodec) Decode(dst, src []byte) ([]byte, error) {
	br := stdbytes.NewReader(src)
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if err != nil {
		return nil, fmt.Errorf("gzip: %v: %w", err, ErrCorrupt)
	}
	// The trailer's ISIZE (length mod 2^32 of the last member) is a good
	// first guess for single-member data.
	hint := 0
	if len(src) >= 4 {
		hint = int(binary.LittleEndian.Uint32(src[len(src)-4:]))
		hint = min(hint, len(src)*deflateMaxRatio)
	}
	out, err := readAllInto(dst, zr, hint)
	if err != nil {
		return nil, fmt.Errorf("gzip: %v: %w", err, ErrCorrupt)
	}
	gzipReaders.Put(zr)
	return out, nil
}

// gzipWriters holds one pool of writers per level 0..9.
var gzipWriters [10]sync.Pool

func (c *gzipCodec) Encode(src []byte) ([]byte, error) {
	var b stdbytes.Buffer
	b.Grow(len(src)/2 + 64)
	zw, _ := gzipWriters[c.level].Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(&b, c.level); err != nil {
			return nil, err
		}
	} else {
		zw.Reset(&b)
	}
	if _, err := zw.Write(src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	gzipWriters[c.level].Put(zw)
	return b.Bytes(), nil
}

// readAllInto reads r to its end into dst's storage, grown as needed. With
// no dst to reuse it starts with room for hint bytes. When the buffer is
// exactly full it probes with a small read before growing, so that a dst of
// the exact decoded size is reused without reallocation.
func readAllInto(dst []byte, r io.Reader, hint int) ([]byte, error) {
	out := dst[:0]
	if cap(out) == 0 {
		out = make([]byte, 0, max(hint, 512))
	}
	var probe [512]byte
	for empty := 0; ; {
		var n int
		var err error
		if len(out) < cap(out) {
			n, err = r.Read(out[len(out):cap(out)])
			out = out[:len(out)+n]
		} else {
			n, err = r.Read(probe[:])
			out = append(out, probe[:n]...)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		// Guard against a reader stuck returning (0, nil).
		if n > 0 {
			empty = 0
		} else if empty++; empty > 100 {
			return nil, io.ErrNoProgress
		}
	}
}
