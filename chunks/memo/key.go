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
	h := sha256.New()
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	num := func(n int64) { b = binary.AppendVarint(b, n) }
	str("zarrproc-memo-key-1")
	str(DatasetID(k.Dataset))
	num(generation)
	str(k.Array)
	str(k.Layout)
	str(k.Coding)
	num(int64(len(k.Chunks)))
	for _, c := range k.Chunks {
		str(c.Key)
		str(c.ETag)
		for _, n := range []int{c.Row, c.Col, c.Rows, c.Cols, c.DstRow, c.DstCol} {
			num(int64(n))
		}
	}
	num(int64(k.TileRows))
	num(int64(k.TileCols))
	num(int64(k.Window[0]))
	num(int64(k.Window[1]))
	num(int64(len(k.Runs)))
	for _, r := range k.Runs {
		num(int64(r))
	}
	str(k.Kinds)
	if k.Float64 {
		num(1)
	} else {
		num(0)
	}
	str(k.Engine)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:20])
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
