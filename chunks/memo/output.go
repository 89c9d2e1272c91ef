package memo

import (
	"context"
	"time"

	"github.com/zarrproc/zarrproc/chunks"
)

var _ chunks.OutputMemo = (*Memo)(nil)

// Output chunk envelope: "ZPO1", u8 kind (outputChunk: the encoded chunk
// follows; outputFill: a chunk of fill values only, nothing follows). The
// chunk is stored as the output array encodes it: compressing it again
// would buy nothing.
const (
	outputMagic = "ZPO1"
	outputChunk = 0
	outputFill  = 1
)

// outputEntry is where k's chunk is kept under its dataset's generation:
// beside the partial states (Prefix+"m:"), so Clear and the key count cover
// both. false when the generation cannot be read (the breaker is told).
func (m *Memo) outputEntry(ctx context.Context, k *chunks.OutputKey) (string, bool) {
	gen, err := m.generation(ctx, k.Dataset)
	if err != nil {
		m.fail(ctx, "generation", err)
		return "", false
	}
	return m.opts.Prefix + "m:o:" + OutputKeyString(k, gen), true
}

// LoadOutputs implements chunks.OutputMemo: one GET per key, each under the
// memo's timeout. Redis down, slow or failing gives misses from there on.
func (m *Memo) LoadOutputs(ctx context.Context, keys []*chunks.OutputKey) []chunks.OutputValue {
	vals := make([]chunks.OutputValue, len(keys))
	if len(keys) == 0 || !m.brk.allow(time.Now()) {
		return vals
	}
	for i, k := range keys {
		entry, ok := m.outputEntry(ctx, k)
		if !ok {
			return vals
		}
		var raw []byte
		found, err := m.call(ctx, "get", func(ctx context.Context) error {
			var err error
			raw, err = m.rdb.Get(ctx, entry).Bytes()
			return err
		})
		if err != nil {
			return vals
		}
		if !found {
			m.counts.add(cOutputMisses, 1)
			continue
		}
		switch {
		case len(raw) == len(outputMagic)+1 && string(raw[:4]) == outputMagic && raw[4] == outputFill:
			vals[i] = chunks.OutputValue{Found: true}
		case len(raw) > len(outputMagic)+1 && string(raw[:4]) == outputMagic && raw[4] == outputChunk:
			vals[i] = chunks.OutputValue{Found: true, Chunk: raw[5:]}
		default:
			m.opts.Logger.Warn("memo: dropping an output chunk entry with no valid envelope", "key", entry, "bytes", len(raw))
			m.drop(ctx, entry)
			m.counts.add(cOutputMisses, 1)
			continue
		}
		m.counts.add(cOutputHits, 1)
	}
	return vals
}

// StoreOutput implements chunks.OutputMemo. A chunk over MaxOutputBytes is
// not kept (counted as too big); Redis failing opens the breaker.
func (m *Memo) StoreOutput(ctx context.Context, k *chunks.OutputKey, chunk []byte) {
	if !m.brk.allow(time.Now()) {
		return
	}
	raw := make([]byte, 0, len(outputMagic)+1+len(chunk))
	raw = append(raw, outputMagic...)
	if chunk == nil {
		raw = append(raw, outputFill)
	} else {
		raw = append(append(raw, outputChunk), chunk...)
	}
	if len(raw) > m.opts.MaxOutputBytes {
		m.counts.add(cOutputTooBig, 1)
		return
	}
	entry, ok := m.outputEntry(ctx, k)
	if !ok {
		return
	}
	if _, err := m.call(ctx, "set", func(ctx context.Context) error {
		return m.rdb.Set(ctx, entry, raw, m.ttl()).Err()
	}); err != nil {
		return
	}
	m.counts.add(cOutputStored, 1)
	m.counts.add(cStoredBytes, int64(len(raw)))
}
