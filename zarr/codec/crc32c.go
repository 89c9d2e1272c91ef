package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
)

// crc32cCodec is v3's "crc32c": the input followed by its CRC-32C
// (Castagnoli) as a little-endian u32. Decoding verifies and strips it.
type crc32cCodec struct{}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func init() {
	RegisterBytes("crc32c", func(json.RawMessage) (BytesCodec, error) { return crc32cCodec{}, nil })
}

func (crc32cCodec) Decode(dst, src []byte) ([]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("crc32c: %d bytes is shorter than the checksum: %w", len(src), ErrCorrupt)
	}
	body := src[:len(src)-4]
	want := binary.LittleEndian.Uint32(src[len(body):])
	if got := crc32.Checksum(body, castagnoli); got != want {
		return nil, fmt.Errorf("crc32c: checksum %#08x, stored %#08x: %w", got, want, ErrCorrupt)
	}
	// Copied rather than returned as a subslice of src, so that callers
	// may recycle src as soon as Decode returns.
	out := growBytes(dst, len(body))
	copy(out, body)
	return out, nil
}

func (crc32cCodec) Encode(src []byte) ([]byte, error) {
	out := make([]byte, len(src), len(src)+4)
	copy(out, src)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(src, castagnoli)), nil
}
