package codec

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"unsafe"

	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// ChunkSpec describes an array as a codec sees it: one chunk's shape, its
// element type and the fill value. Decoded arrays are little-endian, C-order
// bytes of DType and Shape; DType.BigEndian only tells a v2 bytes codec how
// the elements are stored.
type ChunkSpec struct {
	Shape []int
	DType dtype.DType
	Fill  dtype.Fill
}

// NumElements is the product of Shape (1 for a 0-d array).
func (s ChunkSpec) NumElements() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// ByteSize is the size of the decoded array in bytes.
func (s ChunkSpec) ByteSize() int { return s.NumElements() * s.DType.Size() }

// ArrayCodec is an array→array codec (transpose, v2 filters), bound to the
// spec of the array it decodes to. Decode never panics on bad input; its
// errors wrap ErrCorrupt.
type ArrayCodec interface {
	// Encoded describes the array Encode produces and Decode consumes.
	Encoded() ChunkSpec
	Decode(src []byte) ([]byte, error)
	Encode(src []byte) ([]byte, error)
}

// ArrayBytesCodec is the array→bytes codec of a pipeline (bytes,
// sharding_indexed), bound to the spec of the array it decodes to.
type ArrayBytesCodec interface {
	Decode(src []byte) ([]byte, error)
	Encode(src []byte) ([]byte, error)
}

// ArrayFactory builds an array→array codec from its configuration (v3
// "configuration", or the v2 filter object minus "id") for a decoded spec.
type ArrayFactory func(config json.RawMessage, decoded ChunkSpec) (ArrayCodec, error)

// ArrayBytesFactory builds an array→bytes codec for a decoded spec.
type ArrayBytesFactory func(config json.RawMessage, decoded ChunkSpec) (ArrayBytesCodec, error)

var (
	arrayMu         sync.RWMutex
	arrayCodecs     = map[string]ArrayFactory{}
	arrayBytesCodec = map[string]ArrayBytesFactory{}
)

// RegisterArray makes an array→array codec available under name (and
// "numcodecs.<name>"). It panics on a duplicate name.
func RegisterArray(name string, f ArrayFactory) {
	arrayMu.Lock()
	defer arrayMu.Unlock()
	if _, dup := arrayCodecs[name]; dup {
		panic("codec: RegisterArray called twice for " + name)
	}
	arrayCodecs[name] = f
}

// RegisterArrayBytes makes an array→bytes codec available under name. It
// panics on a duplicate name.
func RegisterArrayBytes(name string, f ArrayBytesFactory) {
	arrayMu.Lock()
	defer arrayMu.Unlock()
	if _, dup := arrayBytesCodec[name]; dup {
		panic("codec: RegisterArrayBytes called twice for " + name)
	}
	arrayBytesCodec[name] = f
}

// Names lists every registered codec name of the three kinds, sorted.
func Names() []string {
	names := BytesNames()
	arrayMu.RLock()
	for n := range arrayCodecs {
		names = append(names, n)
	}
	for n := range arrayBytesCodec {
		names = append(names, n)
	}
	arrayMu.RUnlock()
	sort.Strings(names)
	return names
}

// Config is one codec of a pipeline: its name and configuration.
type Config struct {
	Name          string
	Configuration json.RawMessage
}

// ParseV3 parses a v3 "codecs" list: objects {"name", "configuration"} or
// short-hand name strings. An entry carrying "must_understand": false that
// names an unknown codec is dropped, as the spec allows.
func ParseV3(raw json.RawMessage) ([]Config, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("codecs: want a list: %w", err)
	}
	out := make([]Config, 0, len(items))
	for _, it := range items {
		var name string
		if json.Unmarshal(it, &name) == nil {
			out = append(out, Config{Name: name})
			continue
		}
		var obj struct {
			Name           string          `json:"name"`
			Configuration  json.RawMessage `json:"configuration"`
			MustUnderstand *bool           `json:"must_understand"`
		}
		if err := json.Unmarshal(it, &obj); err != nil || obj.Name == "" {
			return nil, fmt.Errorf("codecs: entry %s: want {\"name\": ...}", short(it))
		}
		if obj.MustUnderstand != nil && !*obj.MustUnderstand && !known(obj.Name) {
			continue
		}
		out = append(out, Config{Name: obj.Name, Configuration: obj.Configuration})
	}
	return out, nil
}

func known(name string) bool {
	n := canonicalName(name)
	arrayMu.RLock()
	_, a := arrayCodecs[n]
	_, ab := arrayBytesCodec[n]
	arrayMu.RUnlock()
	return a || ab || IsBytes(n)
}

// ParseV2 turns a v2 .zarray's filters, compressor and order into the
// equivalent codec list, so both formats decode through one Pipeline.
// order "F" becomes a transpose; the bytes codec takes its byte order from
// the (filtered) dtype.
func ParseV2(filters, compressor json.RawMessage, order string, ndim int) ([]Config, error) {
	var out []Config
	switch order {
	case "C", "":
	case "F":
		if ndim > 1 {
			perm := make([]int, ndim)
			for i := range perm {
				perm[i] = ndim - 1 - i
			}
			conf, _ := json.Marshal(map[string]any{"order": perm})
			out = append(out, Config{Name: "transpose", Configuration: conf})
		}
	default:
		return nil, fmt.Errorf("order %q: want \"C\" or \"F\"", order)
	}
	var fs []json.RawMessage
	if len(filters) > 0 && string(filters) != "null" {
		if err := json.Unmarshal(filters, &fs); err != nil {
			return nil, fmt.Errorf("filters: want a list or null: %w", err)
		}
	}
	var after []Config // bytes→bytes filters such as shuffle
	for _, f := range fs {
		c, err := v2Codec(f)
		if err != nil {
			return nil, fmt.Errorf("filters: %w", err)
		}
		if IsBytes(c.Name) {
			after = append(after, c)
			continue
		}
		if len(after) > 0 {
			return nil, fmt.Errorf("filters: array filter %q after a bytes filter is not supported", c.Name)
		}
		out = append(out, c)
	}
	out = append(out, Config{Name: "bytes"})
	out = append(out, after...)
	if len(compressor) > 0 && string(compressor) != "null" {
		c, err := v2Codec(compressor)
		if err != nil {
			return nil, fmt.Errorf("compressor: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

// v2Codec splits a v2 codec object into its id and the rest.
func v2Codec(raw json.RawMessage) (Config, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Config{}, fmt.Errorf("codec %s: want an object with \"id\"", short(raw))
	}
	var id string
	if err := json.Unmarshal(obj["id"], &id); err != nil || id == "" {
		return Config{}, fmt.Errorf("codec %s: missing \"id\"", short(raw))
	}
	delete(obj, "id")
	conf, _ := json.Marshal(obj)
	return Config{Name: id, Configuration: conf}, nil
}

// Pipeline decodes stored chunk bytes to a decoded array and back: zero or
// more array→array codecs, exactly one array→bytes codec, zero or more
// bytes→bytes codecs. A Pipeline is bound to one chunk spec and is safe for
// concurrent use.
type Pipeline struct {
	spec    ChunkSpec
	arrays  []ArrayCodec
	toBytes ArrayBytesCodec
	bytes   []BytesCodec
	names   []string
}

// MaxChunkBytes bounds the decoded size of one chunk (or shard). Metadata
// asking for more is refused rather than trusted with an allocation.
const MaxChunkBytes = 1 << 34

// NewPipeline builds the pipeline for codecs over arrays of spec.
func NewPipeline(codecs []Config, spec ChunkSpec) (*Pipeline, error) {
	n := int64(max(spec.DType.Size(), 1))
	for _, d := range spec.Shape {
		if d < 0 || (d > 0 && n > MaxChunkBytes/int64(d)) {
			return nil, fmt.Errorf("chunk shape %v of %s: more than %d bytes", spec.Shape, spec.DType, int64(MaxChunkBytes))
		}
		n *= int64(d)
	}
	p := &Pipeline{spec: spec}
	p.spec.DType = spec.DType.Native()
	cur := spec
	for _, c := range codecs {
		name := canonicalName(c.Name)
		arrayMu.RLock()
		af, isArray := arrayCodecs[name]
		bf, isArrayBytes := arrayBytesCodec[name]
		arrayMu.RUnlock()
		switch {
		case isArray:
			if p.toBytes != nil {
				return nil, fmt.Errorf("codec %s: array→array codec after the array→bytes codec", c.Name)
			}
			ac, err := af(c.Configuration, cur)
			if err != nil {
				return nil, fmt.Errorf("codec %s: %w", c.Name, err)
			}
			p.arrays = append(p.arrays, ac)
			cur = ac.Encoded()
		case isArrayBytes:
			if p.toBytes != nil {
				return nil, fmt.Errorf("codec %s: a second array→bytes codec", c.Name)
			}
			bc, err := bf(c.Configuration, cur)
			if err != nil {
				return nil, fmt.Errorf("codec %s: %w", c.Name, err)
			}
			p.toBytes = bc
		case IsBytes(name):
			if p.toBytes == nil {
				return nil, fmt.Errorf("codec %s: bytes→bytes codec before the array→bytes codec", c.Name)
			}
			bc, err := NewBytes(name, c.Configuration)
			if err != nil {
				return nil, err
			}
			p.bytes = append(p.bytes, bc)
		default:
			return nil, fmt.Errorf("%w %q", ErrUnknownCodec, c.Name)
		}
		p.names = append(p.names, c.Name)
	}
	if p.toBytes == nil {
		return nil, fmt.Errorf("codecs %v: no array→bytes codec (such as \"bytes\")", p.names)
	}
	return p, nil
}

// Spec describes the decoded arrays.
func (p *Pipeline) Spec() ChunkSpec { return p.spec }

// String lists the codec names, e.g. "[transpose bytes zstd]".
func (p *Pipeline) String() string { return fmt.Sprint(p.names) }

// Sharding returns the sharding codec when it is the pipeline's only codec,
// which is when a reader may fetch a shard's index and inner chunks by byte
// range instead of the whole object; nil otherwise.
func (p *Pipeline) Sharding() *Sharding {
	s, ok := p.toBytes.(*Sharding)
	if !ok || len(p.arrays) > 0 || len(p.bytes) > 0 {
		return nil
	}
	return s
}

// Decode decodes one stored chunk into a fresh decoded array (little-endian,
// C order, Spec().ByteSize() bytes). dst, when it has enough capacity, may
// be reused for the result. The result never aliases src. Bad input returns
// an error wrapping ErrCorrupt, never a panic.
func (p *Pipeline) Decode(dst, src []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrCorrupt, r)
		}
	}()
	buf := src
	for i := len(p.bytes) - 1; i >= 0; i-- {
		var d []byte
		if i == len(p.bytes)-1 {
			d = dst
		}
		if buf, err = p.bytes[i].Decode(d, buf); err != nil {
			return nil, err
		}
	}
	if buf, err = p.toBytes.Decode(buf); err != nil {
		return nil, err
	}
	for i := len(p.arrays) - 1; i >= 0; i-- {
		if buf, err = p.arrays[i].Decode(buf); err != nil {
			return nil, err
		}
	}
	if len(buf) != p.spec.ByteSize() {
		return nil, fmt.Errorf("%w: decoded %d bytes, want %d", ErrCorrupt, len(buf), p.spec.ByteSize())
	}
	if len(buf) > 0 && len(src) > 0 && overlaps(buf, src) {
		buf = append(dst[:0], buf...)
	}
	return buf, nil
}

// overlaps reports whether a and b share backing memory.
func overlaps(a, b []byte) bool {
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(cap(b)) && pb < pa+uintptr(cap(a))
}

// Encode encodes one decoded array (Spec().ByteSize() bytes) for storage.
func (p *Pipeline) Encode(src []byte) ([]byte, error) {
	if len(src) != p.spec.ByteSize() {
		return nil, fmt.Errorf("encode: got %d bytes, want %d", len(src), p.spec.ByteSize())
	}
	buf := src
	var err error
	for _, a := range p.arrays {
		if buf, err = a.Encode(buf); err != nil {
			return nil, err
		}
	}
	if buf, err = p.toBytes.Encode(buf); err != nil {
		return nil, err
	}
	for _, b := range p.bytes {
		if buf, err = b.Encode(buf); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// unmarshalConfig decodes a codec configuration, treating absent as {}.
func unmarshalConfig(config json.RawMessage, v any) error {
	if len(config) == 0 || string(config) == "null" {
		return nil
	}
	return json.Unmarshal(config, v)
}

func short(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
