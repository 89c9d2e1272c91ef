package ogcapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fakeCacheService is the fake job service with a memo cache to administer.
type fakeCacheService struct {
	*fakeService
	cleared     int
	invalidated []string
}

func (f *fakeCacheService) CacheStats(context.Context) (any, error) {
	return map[string]any{"connected": true, "keys": 42, "hits": 7, "misses": 3}, nil
}

func (f *fakeCacheService) ClearCache(context.Context) (int64, error) {
	f.cleared++
	return 42, nil
}

func (f *fakeCacheService) InvalidateCache(_ context.Context, dataset string) (int64, error) {
	f.invalidated = append(f.invalidated, dataset)
	return int64(len(f.invalidated)), nil
}

func newCacheServer(t *testing.T, cfg Config) (*testServer, *fakeCacheService) {
	t.Helper()
	svc := &fakeCacheService{fakeService: newFakeService()}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(&documented{t: t, next: New(svc, cfg)})
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, svc: svc.fakeService, t: t}, svc
}

func TestCacheEndpoints(t *testing.T) {
	ts, svc := newCacheServer(t, Config{Tokens: []string{"user:u-secret"}, AdminTokens: []string{"ops:a-secret"}})

	r := ts.do("GET", "/cache/stats", "")
	wantStatus(t, r, http.StatusOK)
	if m := r.json(t); m["keys"] != float64(42) || m["connected"] != true {
		t.Errorf("stats %v", m)
	}

	// Clearing and invalidating need the admin token: not none, not a user's.
	wantException(t, ts.do("POST", "/cache/clear", ""), http.StatusUnauthorized, typeUnauthorized)
	wantException(t, ts.do("POST", "/cache/clear", "", "Authorization", "Bearer u-secret"), http.StatusUnauthorized, typeUnauthorized)
	if svc.cleared != 0 {
		t.Fatal("cleared without the admin token")
	}
	r = ts.do("POST", "/cache/clear", "", "Authorization", "Bearer a-secret")
	wantStatus(t, r, http.StatusOK)
	if m := r.json(t); m["deleted"] != float64(42) || svc.cleared != 1 {
		t.Errorf("clear: %v, cleared %d times", m, svc.cleared)
	}

	r = ts.do("POST", "/cache/invalidate", `{"dataset":"s3://chirps/daily.zarr"}`, "Authorization", "Bearer a-secret")
	wantStatus(t, r, http.StatusOK)
	if m := r.json(t); m["generation"] != float64(1) || len(svc.invalidated) != 1 || svc.invalidated[0] != "s3://chirps/daily.zarr" {
		t.Errorf("invalidate: %v, %v", m, svc.invalidated)
	}
	wantException(t, ts.do("POST", "/cache/invalidate", `{}`, "Authorization", "Bearer a-secret"), http.StatusBadRequest, typeInvalidRequest)
	wantException(t, ts.do("POST", "/cache/invalidate", `not json`, "Authorization", "Bearer a-secret"), http.StatusBadRequest, typeInvalidRequest)
}

// Without admin tokens the API tokens guard the cache; a service without a
// cache answers 404.
func TestCacheEndpointsFallbacks(t *testing.T) {
	ts, svc := newCacheServer(t, Config{Tokens: []string{"u-secret"}})
	wantException(t, ts.do("POST", "/cache/clear", ""), http.StatusUnauthorized, typeUnauthorized)
	wantStatus(t, ts.do("POST", "/cache/clear", "", "Authorization", "Bearer u-secret"), http.StatusOK)
	if svc.cleared != 1 {
		t.Errorf("cleared %d times", svc.cleared)
	}

	plain := newTestServer(t, Config{})
	wantException(t, plain.do("GET", "/cache/stats", ""), http.StatusNotFound, typeNotFound)
	wantException(t, plain.do("POST", "/cache/clear", ""), http.StatusNotFound, typeNotFound)
}
