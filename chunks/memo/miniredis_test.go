package memo

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// TestStatsOnAnEmbeddedRedis: `zarrproc dev` keeps the memo in miniredis,
// which knows only some INFO sections. The memo opens on it without a
// warning, and /cache/stats says it is connected and counts its keys.
func TestStatsOnAnEmbeddedRedis(t *testing.T) {
	mr := miniredis.RunT(t)
	var log bytes.Buffer
	m, err := Open("redis://"+mr.Addr()+"/0", Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if log.Len() != 0 {
		t.Errorf("opening on miniredis logged %q", log.String())
	}
	mr.Set(m.Prefix()+"m:abc", "x")
	mr.Set(m.Prefix()+"m:o:def", "y")
	mr.Set("other", "z")
	st := m.Stats(context.Background())
	if !st.Connected || st.Error != "" || st.Keys != 2 {
		t.Fatalf("stats on miniredis: %+v", st)
	}
}
