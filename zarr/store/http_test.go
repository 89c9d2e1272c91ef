package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zarrproc/zarrproc/zarr/store"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

// fastRetry keeps retry tests quick while still going through the backoff.
var fastRetry = store.Retry{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// writeDir writes content as files under a new temporary directory.
func writeDir(t *testing.T, content map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range content {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, v, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serve starts an HTTP server for h and returns an HTTP store on base path.
func serve(t *testing.T, h http.Handler, path string) *store.HTTP {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s, err := store.NewHTTP(srv.URL+path, store.HTTPConfig{Client: srv.Client(), Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHTTP serves a directory with net/http's file server: Range, HEAD and
// Last-Modified, no ETag header.
func TestHTTP(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T, content map[string][]byte) store.Store {
		return serve(t, http.FileServer(http.Dir(writeDir(t, content))), "")
	})
}

// TestHTTPUnderPath roots the store below the server's root, with a query
// string (a token) that must reach every request but stay out of URL().
func TestHTTPUnderPath(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T, content map[string][]byte) store.Store {
		files := http.StripPrefix("/data/v1.zarr", http.FileServer(http.Dir(writeDir(t, content))))
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("token") != "secret" {
				http.Error(w, "no token", http.StatusForbidden)
				return
			}
			files.ServeHTTP(w, r)
		})
		s := serve(t, h, "/data/v1.zarr/?token=secret")
		if strings.Contains(s.URL(), "secret") || !strings.HasSuffix(s.URL(), "/data/v1.zarr") {
			t.Errorf("URL() = %q", s.URL())
		}
		return s
	})
}

// TestHTTPServerIgnoresRange: a server that answers every range request
// with 200 and the whole object must still give the right bytes.
func TestHTTPServerIgnoresRange(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T, content map[string][]byte) store.Store {
		files := http.FileServer(http.Dir(writeDir(t, content)))
		return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("Range")
			files.ServeHTTP(w, r)
		}), "")
	})
}

// TestHTTPETagAndNoHEAD: a server that sends ETags and refuses HEAD, as some
// CDNs and presigned endpoints do.
func TestHTTPETagAndNoHEAD(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T, content map[string][]byte) store.Store {
		files := http.FileServer(http.Dir(writeDir(t, content)))
		return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead {
				http.Error(w, "no HEAD here", http.StatusMethodNotAllowed)
				return
			}
			if v, ok := content[strings.TrimPrefix(r.URL.Path, "/")]; ok {
				sum := sha256.Sum256(v)
				w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
			}
			files.ServeHTTP(w, r)
		}), "")
	})
	// And the ETag is the server's.
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v42"`)
		w.Write([]byte("x"))
	}), "")
	info, err := s.Stat(context.Background(), "k")
	if err != nil || info.ETag != `"v42"` || info.Size != 1 {
		t.Errorf("Stat = %+v, %v; want ETag \"v42\", size 1", info, err)
	}
}

// flaky answers status to the first failures requests, then serves "ok".
func flaky(failures int32, status int, header http.Header) (http.Handler, *atomic.Int32) {
	var calls atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= failures {
			for k, v := range header {
				w.Header()[k] = v
			}
			http.Error(w, "try later", status)
			return
		}
		w.Write([]byte("ok"))
	}), &calls
}

func TestHTTPRetries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
	}{
		{"503", http.StatusServiceUnavailable, nil},
		{"429 with Retry-After", http.StatusTooManyRequests, http.Header{"Retry-After": {"0"}}},
		{"500", http.StatusInternalServerError, nil},
		{"502", http.StatusBadGateway, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, calls := flaky(2, tc.status, tc.header)
			s := serve(t, h, "")
			got, err := s.Get(ctx, "chunk")
			if err != nil || string(got) != "ok" {
				t.Fatalf("Get = %q, %v; want ok after retries", got, err)
			}
			if n := calls.Load(); n != 3 {
				t.Errorf("server saw %d requests, want 3 (2 failures + 1 success)", n)
			}
		})
	}
	t.Run("gives up", func(t *testing.T) {
		h, calls := flaky(100, http.StatusServiceUnavailable, nil)
		s := serve(t, h, "")
		_, err := s.GetRange(ctx, "chunk", 0, 10)
		if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), `"chunk"`) {
			t.Errorf("GetRange against a server always 503 = %v, want an error naming 503 and the key", err)
		}
		if n := calls.Load(); n != int32(fastRetry.MaxAttempts) {
			t.Errorf("server saw %d requests, want %d", n, fastRetry.MaxAttempts)
		}
	})
	t.Run("404 is not retried", func(t *testing.T) {
		h, calls := flaky(100, http.StatusNotFound, nil)
		s := serve(t, h, "")
		if _, err := s.Get(ctx, "chunk"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get = %v, want ErrNotFound", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
	t.Run("403 is an error, not retried", func(t *testing.T) {
		h, calls := flaky(100, http.StatusForbidden, nil)
		s := serve(t, h, "")
		_, err := s.Stat(ctx, "chunk")
		if err == nil || errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "403") {
			t.Errorf("Stat = %v, want an HTTP 403 error", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
	t.Run("network error", func(t *testing.T) {
		// A closed server refuses connections: retried, then reported.
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		s, err := store.NewHTTP(srv.URL, store.HTTPConfig{Retry: fastRetry})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Get(ctx, "k")
		if err == nil || !strings.Contains(err.Error(), "4 attempts") {
			t.Errorf("Get from a closed server = %v, want an error after 4 attempts", err)
		}
	})
}

// TestHTTPCancelInFlight cancels requests the server is holding.
func TestHTTPCancelInFlight(t *testing.T) {
	srv := hangingServer(t)
	s, err := store.NewHTTP(srv.URL, store.HTTPConfig{Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	checkCancelInFlight(t, s)
}

// TestHTTPListNotSupported: HTTP cannot list, with versions or without,
// directly or through a read-only view.
func TestHTTPListNotSupported(t *testing.T) {
	s := serve(t, http.NotFoundHandler(), "")
	_, err := s.List(context.Background(), "")
	if !errors.Is(err, store.ErrListNotSupported) {
		t.Errorf("List = %v, want ErrListNotSupported", err)
	}
	for _, st := range []store.Store{s, store.ReadOnly(s)} {
		if _, err := store.ListInfo(context.Background(), st, ""); !errors.Is(err, store.ErrListNotSupported) {
			t.Errorf("ListInfo = %v, want ErrListNotSupported", err)
		}
	}
}

func TestHTTPWrongRangeIsAnError(t *testing.T) {
	// A 206 for another range than asked would hand back wrong bytes.
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-1/10")
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte("ab"))
	}), "")
	if _, err := s.GetRange(context.Background(), "k", 5, 2); err == nil {
		t.Error("GetRange accepted a 206 for bytes 0-1 when 5-6 was asked")
	}
}

// hangingServer holds every request until the client gives up.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// checkCancelInFlight runs each call against a store whose server hangs,
// with a short deadline: each must return the context's error, promptly.
func checkCancelInFlight(t *testing.T, s store.Store) {
	t.Helper()
	calls := map[string]func(ctx context.Context) error{
		"Get": func(ctx context.Context) error { _, err := s.Get(ctx, "k"); return err },
		"GetRange": func(ctx context.Context) error {
			_, err := s.GetRange(ctx, "k", -8, 0)
			return err
		},
		"Stat": func(ctx context.Context) error { _, err := s.Stat(ctx, "k"); return err },
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s = %v, want context.DeadlineExceeded", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s returned after %v", name, d)
		}
	}
}

// TestHTTPStatIsOneHEAD: Stat runs once per chunk in fingerprints and memo
// keys, so it must cost one HEAD, not a GET.
func TestHTTPStatIsOneHEAD(t *testing.T) {
	files := http.FileServer(http.Dir(writeDir(t, map[string][]byte{"c/0": []byte("0123456789")})))
	var methods []string
	s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods = append(methods, r.Method)
		files.ServeHTTP(w, r)
	}), "")
	info, err := s.Stat(context.Background(), "c/0")
	if err != nil || info.Size != 10 || info.ETag == "" || info.ModTime.IsZero() {
		t.Errorf("Stat = %+v, %v; want size 10, an ETag and a time", info, err)
	}
	if len(methods) != 1 || methods[0] != http.MethodHead {
		t.Errorf("Stat sent %v, want one HEAD", methods)
	}
}
