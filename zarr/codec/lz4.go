package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/pierrec/lz4/v4"
)

// lz4Codec is numcodecs' "lz4": the uncompressed length as a 4-byte
// little-endian integer, then one raw LZ4 block (not the LZ4 frame format).
type lz4Codec struct {
	acceleration int
}

// lz4MaxRatio bounds an LZ4 block's expansion (each 255 length byte adds
// 255 bytes of output); a declared length beyond it is forged.
const lz4MaxRatio = 256

func init() {
	RegisterBytes("lz4", newLZ4)
}

func newLZ4(config json.RawMessage) (BytesCodec, error) {
	cfg := struct {
		Acceleration *int `json:"acceleration"`
	}{}
	if err := decodeBytesConfig(config, &cfg); err != nil {
		return nil, err
	}
	c := &lz4Codec{acceleration: 1}
	if cfg.Acceleration != nil {
		c.acceleration = max(*cfg.Acceleration, 1)
	}
	return c, nil
}

func (c *lz4Codec) Decode(dst, src []byte) ([]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("lz4: %d bytes is shorter than the size prefix: %w", len(src), ErrCorrupt)
	}
	size := int(int32(binary.LittleEndian.Uint32(src)))
	body := src[4:]
	if size < 0 || size/lz4MaxRatio > len(body) {
		return nil, fmt.Errorf("lz4: declared size %d for a %d-byte block: %w", size, len(body), ErrCorrupt)
	}
	out := growBytes(dst, size)
	if size == 0 {
		return out, nil
	}
	n, err := lz4.UncompressBlock(body, out)
	if err != nil {
		return nil, fmt.Errorf("lz4: %v: %w", err, ErrCorrupt)
	}
	if n != size {
		return nil, fmt.Errorf("lz4: decoded %d bytes, header says %d: %w", n, size, ErrCorrupt)
	}
	return out, nil
}

func (c *lz4Codec) Encode(src []byte) ([]byte, error) {
	if len(src) > 1<<31-1 {
		return nil, fmt.Errorf("lz4: %d bytes exceeds the 2 GiB size prefix", len(src))
	}
	out := make([]byte, 4+lz4.CompressBlockBound(len(src)))
	binary.LittleEndian.PutUint32(out, uint32(len(src)))
	if len(src) == 0 {
		// LZ4_compress_default writes one zero token for empty input.
		return out[:5], nil
	}
	comp := lz4.CompressorCCompat{Acceleration: c.acceleration}
	n, err := comp.CompressBlock(src, out[4:])
	if err != nil {
		return nil, fmt.Errorf("lz4: %w", err)
	}
	return out[:4+n], nil
}
