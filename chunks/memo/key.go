package memo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"strings"

	"github.com/zarrproc/zarrproc/chunks"
)

// Key is the content address of k's partial states under the dataset's
// invalidation generation: 40 hex digits of a SHA-256 over every field of k,
// each length-prefixed so that no two keys encode alike.
func Key(k *chunks.MemoKey, generation int64) string {
	var w keyWriter
	w.str("zarrproc-memo-key-1")
	w.str(DatasetID(k.Dataset))
	w.num(generation)
	w.str(k.Array)
	w.str(k.Layout)
	w.str(k.Coding)
	w.num(int64(len(k.Chunks)))
	for _, c := range k.Chunks {
		w.str(c.Key)
		w.str(c.ETag)
		for _, n := range []int{c.Row, c.Col, c.Rows, c.Cols, c.DstRow, c.DstCol} {
			w.num(int64(n))
		}
	}
	w.num(int64(k.TileRows))
	w.num(int64(k.TileCols))
	w.num(int64(k.Window[0]))
	w.num(int64(k.Window[1]))
	w.num(int64(len(k.Runs)))
	for _, r := range k.Runs {
		w.num(int64(r))
	}
	w.str(k.Kinds)
	if k.Float64 {
		w.num(1)
	} else {
		w.num(0)
	}
	w.str(k.Engine)
	return w.sum()
}

// OutputKeyString is the content address of an encoded output chunk: a
// SHA-256 over the addresses of its units (under generation) and every
// other field of k, length-prefixed like Key.
func OutputKeyString(k *chunks.OutputKey, generation int64) string {
	var w keyWriter
	w.str("zarrproc-output-key-1")
	w.str(DatasetID(k.Dataset))
	w.num(generation)
	w.num(int64(len(k.Units)))
	for u, unit := range k.Units {
		w.str(Key(unit, generation))
		w.num(int64(len(k.Bins[u])))
		for _, bin := range k.Bins[u] {
			w.num(int64(bin))
		}
	}
	w.num(int64(k.Periods))
	w.str(k.Reducer)
	w.str(k.Encoding)
	w.str(k.Engine)
	return w.sum()
}

// keyWriter encodes a key's fields without ambiguity: strings with their
// length, numbers as varints.
type keyWriter struct{ b []byte }

func (w *keyWriter) str(s string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *keyWriter) num(n int64) { w.b = binary.AppendVarint(w.b, n) }

// sum is 40 hex digits of the SHA-256 of the fields written.
func (w *keyWriter) sum() string {
	h := sha256.Sum256(w.b)
	return hex.EncodeToString(h[:20])
}

// DatasetID is the form of a dataset URL that scopes its generation: the
// engine passes its store's URL ("file:///abs/path", "s3://bucket/prefix"),
// an operator may type a plain path or a trailing slash.
func DatasetID(url string) string {
	url = strings.TrimRight(url, "/")
	if !strings.Contains(url, "://") {
		if abs, err := filepath.Abs(url); err == nil {
			url = "file://" + filepath.ToSlash(abs)
		}
	}
	return url
}
