package codec

import (
	stdbytes "bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// lzmaCodec is numcodecs' "lzma" (Python's lzma module). Formats: 1
// FORMAT_XZ (the default, an xz container), 2 FORMAT_ALONE (classic .lzma)
// and, for decoding, 0 FORMAT_AUTO. FORMAT_RAW (3) needs the filter chain
// out of band and is not supported. Encoding writes xz with LZMA2; preset
// and filters only tune the encoder and are ignored.
type lzmaCodec struct {
	format int
}

const (
	lzmaFormatAuto  = 0
	lzmaFormatXZ    = 1
	lzmaFormatAlone = 2
	lzmaFormatRaw   = 3
	// lzmaMaxRatio only seeds the output size guess.
	lzmaMaxRatio = 8
)

func init() {
	RegisterBytes("lzma", newLzma)
}

func newLzma(config json.RawMessage) (BytesCodec, error) {
	cfg := struct {
		Format *int `json:"format"`
	}{}
	if err := decodeBytesConfig(config, &cfg); err != nil {
		return nil, err
	}
	c := &lzmaCodec{format: lzmaFormatXZ}
	if cfg.Format != nil {
		c.format = *cfg.Format
	}
	switch c.format {
	case lzmaFormatAuto, lzmaFormatXZ, lzmaFormatAlone:
	case lzmaFormatRaw:
		return nil, fmt.Errorf("format 3 (FORMAT_RAW): not supported")
	default:
		return nil, fmt.Errorf("format %d: must be 0, 1 or 2", c.format)
	}
	return c, nil
}

func (c *lzmaCodec) Decode(dst, src []byte) ([]byte, error) {
	var r io.Reader
	var err error
	br := stdbytes.NewReader(src)
	if c.format == lzmaFormatAlone || (c.format == lzmaFormatAuto && !xz.ValidHeader(src)) {
		r, err = lzma.NewReader(br)
	} else {
		r, err = xz.NewReader(br)
	}
	if err != nil {
		return nil, fmt.Errorf("lzma: %v: %w", err, ErrCorrupt)
	}
	out, err := readAllInto(dst, r, len(src)*lzmaMaxRatio)
	if err != nil {
		return nil, fmt.Errorf("lzma: %v: %w", err, ErrCorrupt)
	}
	return out, nil
}

func (c *lzmaCodec) Encode(src []byte) ([]byte, error) {
	var b stdbytes.Buffer
	var w io.WriteCloser
	var err error
	if c.format == lzmaFormatAlone {
		w, err = lzma.NewWriter(&b)
	} else {
		w, err = xz.NewWriter(&b)
	}
	if err != nil {
		return nil, fmt.Errorf("lzma: %w", err)
	}
	if _, err := w.Write(src); err != nil {
		return nil, fmt.Errorf("lzma: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("lzma: %w", err)
	}
	return b.Bytes(), nil
}
