package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
)

// numcodecs' CRC32 checksum codec (id "crc32", v3 "numcodecs.crc32"): the
// IEEE CRC-32 of the payload as a little-endian uint32, before the payload
// by default (numcodecs' location="start") or after it ("end"). Unlike
// the core crc32c codec it is a numcodecs filter, so it lives with the
// filters. Registration is skipped if a bytes codec file already provides
// it (files' init functions run in file name order).
func init() {
	if !IsBytes("crc32") {
		RegisterBytes("crc32", newCRC32)
	}
}

type crc32Codec struct{ atEnd bool }

func newCRC32(config json.RawMessage) (BytesCodec, error) {
	var conf struct {
		Location string `json:"location"`
	}
	if err := unmarshalConfig(config, &conf); err != nil {
		return nil, err
	}
	switch conf.Location {
	case "", "start":
		return crc32Codec{}, nil
	case "end":
		return crc32Codec{atEnd: true}, nil
	}
	return nil, fmt.Errorf("location %q: want \"start\" or \"end\"", conf.Location)
}

func (c crc32Codec) Decode(dst, src []byte) ([]byte, error) {
	if len(src) < 4 {
		return nil, fmt.Errorf("%w: crc32: %d bytes, shorter than the checksum", ErrCorrupt, len(src))
	}
	sum, payload := src[:4], src[4:]
	if c.atEnd {
		sum, payload = src[len(src)-4:], src[:len(src)-4]
	}
	want := binary.LittleEndian.Uint32(sum)
	if got := crc32.ChecksumIEEE(payload); got != want {
		return nil, fmt.Errorf("%w: crc32: checksum 0x%08x, stored 0x%08x", ErrCorrupt, got, want)
	}
	return append(dst[:0], payload...), nil
}

func (c crc32Codec) Encode(src []byte) ([]byte, error) {
	sum := binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(src))
	if c.atEnd {
		return append(append(make([]byte, 0, len(src)+4), src...), sum...), nil
	}
	return append(sum, src...), nil
}
