package ogcapi

import (
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestServeForETS serves the front end over the in-memory job system for
// an outside client (scripts/ets.sh, scripts/schemathesis.sh), when
// ZARRPROC_SERVE_ADDR is set:
//
//	ZARRPROC_SERVE_ADDR=127.0.0.1:8099 ZARRPROC_SERVE_SECONDS=600 \
//	  go test -run TestServeForETS -timeout 0 ./ogcapi
//
// It stops after ZARRPROC_SERVE_SECONDS (default 600).
func TestServeForETS(t *testing.T) {
	addr := os.Getenv("ZARRPROC_SERVE_ADDR")
	if addr == "" {
		t.Skip("ZARRPROC_SERVE_ADDR is not set")
	}
	seconds := 600
	if v := os.Getenv("ZARRPROC_SERVE_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("ZARRPROC_SERVE_SECONDS=%q: want a positive integer", v)
		}
		seconds = n
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv := &http.Server{
		Handler: New(newFakeService(), Config{
			SyncWait: 20 * time.Second, CORSOrigins: []string{"*"}, Logger: logger,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		time.Sleep(time.Duration(seconds) * time.Second)
		srv.Close()
	}()
	t.Logf("serving on http://%s for %ds", ln.Addr(), seconds)
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		t.Fatal(err)
	}
}
