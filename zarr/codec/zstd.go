package codec

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdCodec is "zstd" (v3 extension and numcodecs): one or more Zstandard
// frames (RFC 8878). Frames written by streaming encoders carry no content
// size, so decoding grows the output instead of trusting the header.
type zstdCodec struct {
	level    int
	checksum bool
}

const (
	// zstdMaxRatio bounds the output of one input byte (an RLE block turns
	// 4 bytes into 128 KiB); a declared content size beyond it is forged.
	zstdMaxRatio = 1 << 15
	// zstdMaxDecoded caps one decoded chunk, so that a forged second frame
	// cannot make the decoder allocate without bound.
	zstdMaxDecoded = 1 << 32
)

func init() {
	RegisterBytes("zstd", newZstd)
}

func newZstd(config json.RawMessage) (BytesCodec, error) {
	cfg := struct {
		Level    *int  `json:"level"`
		Checksum *bool `json:"checksum"`
	}{}
	if err := decodeBytesConfig(config, &cfg); err != nil {
		return nil, err
	}
	c := &zstdCodec{}
	if cfg.Level != nil {
		if *cfg.Level < -131072 || *cfg.Level > 22 {
			return nil, fmt.Errorf("level %d: must be -131072..22", *cfg.Level)
		}
		c.level = *cfg.Level
	}
	if cfg.Checksum != nil {
		c.checksum = *cfg.Checksum
	}
	return c, nil
}

// zstdDecoder is shared: DecodeAll is safe for concurrent use and keeps up
// to GOMAXPROCS block decoders of its own, so it is the pool.
var zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithDecoderMaxMemory(zstdMaxDecoded))
	if err != nil {
		panic("codec: zstd decoder: " + err.Error())
	}
	return d
})

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return zstdDecode(dst, src)
}

func zstdDecode(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return nil, fmt.Errorf("zstd: empty input: %w", ErrCorrupt)
	}
	var h zstd.Header
	if err := h.Decode(src); err != nil {
		return nil, fmt.Errorf("zstd: %v: %w", err, ErrCorrupt)
	}
	if h.HasFCS && h.FrameContentSize/zstdMaxRatio > uint64(len(src)) {
		return nil, fmt.Errorf("zstd: frame claims %d bytes from %d: %w", h.FrameContentSize, len(src), ErrCorrupt)
	}
	out, err := zstdDecoder().DecodeAll(src, dst[:0])
	if err != nil {
		return nil, fmt.Errorf("zstd: %v: %w", err, ErrCorrupt)
	}
	return out, nil
}

func (c *zstdCodec) Encode(src []byte) ([]byte, error) {
	e := zstdEncoderCRC(zstdLevel(c.level), c.checksum)
	// One allocation of the bound instead of EncodeAll growing from nil by
	// doubling (growslice was a third of writing an output chunk).
	return e.EncodeAll(src, make([]byte, 0, e.MaxEncodedSize(len(src)))), nil
}

// zstdLevel maps a zstd library level (0 = default 3, negatives = faster)
// onto the levels klauspost/compress implements.
func zstdLevel(level int) zstd.EncoderLevel {
	if level == 0 {
		level = 3
	}
	if level < 1 {
		return zstd.SpeedFastest
	}
	return zstd.EncoderLevelFromZstd(level)
}

type zstdEncoderKey struct {
	level    zstd.EncoderLevel
	checksum bool
}

var zstdEncoders sync.Map // zstdEncoderKey → *zstd.Encoder

// zstdEncoderCRC returns the shared encoder for a level; EncodeAll is safe
// for concurrent use.
func zstdEncoderCRC(level zstd.EncoderLevel, checksum bool) *zstd.Encoder {
	key := zstdEncoderKey{level, checksum}
	if e, ok := zstdEncoders.Load(key); ok {
		return e.(*zstd.Encoder)
	}
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderCRC(checksum),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	if err != nil {
		panic("codec: zstd encoder: " + err.Error())
	}
	actual, _ := zstdEncoders.LoadOrStore(key, e)
	return actual.(*zstd.Encoder)
}

// zstdEncoder is zstdEncoderCRC without a checksum, as numcodecs writes.
func zstdEncoder(level int) *zstd.Encoder {
	return zstdEncoderCRC(zstdLevel(level), false)
}
