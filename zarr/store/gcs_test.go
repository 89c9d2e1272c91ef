package store_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/store"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
	"google.golang.org/api/iterator"
)

// gcsTestEnv points the GCS library at the test fake-gcs-server through
// STORAGE_EMULATOR_HOST, the variable a deployment would use.
func gcsTestEnv(t *testing.T) {
	t.Helper()
	t.Setenv("STORAGE_EMULATOR_HOST", storetest.RequireEnv(t, "ZARRPROC_TEST_GCS_HOST"))
}

func newGCSBucket(t *testing.T, prefix string) *store.GCS {
	t.Helper()
	ctx := context.Background()
	bucket := storetest.UniqueName(t, "zarrproc-gcs")
	s, err := store.NewGCS(ctx, store.GCSConfig{Bucket: bucket, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b := s.Client().Bucket(bucket)
	if err := b.Create(ctx, "zarrproc-test", nil); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	// Leave a long-running emulator as we found it (runs before Close).
	t.Cleanup(func() {
		it := b.Objects(ctx, nil)
		for {
			a, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				t.Logf("cleanup: list %s: %v", bucket, err)
				return
			}
			if err := b.Object(a.Name).Delete(ctx); err != nil {
				t.Logf("cleanup: delete %s/%s: %v", bucket, a.Name, err)
			}
		}
		if err := b.Delete(ctx); err != nil {
			t.Logf("cleanup: delete bucket %s: %v", bucket, err)
		}
	})
	return s
}

func TestGCS(t *testing.T) {
	gcsTestEnv(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return newGCSBucket(t, "")
	})
}

func TestGCSWithPrefix(t *testing.T) {
	gcsTestEnv(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return newGCSBucket(t, "datasets/era5.zarr/")
	})
}

func TestGCSOpen(t *testing.T) {
	gcsTestEnv(t)
	ctx := context.Background()
	s := newGCSBucket(t, "")
	if err := s.Put(ctx, "root/a/zarr.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for _, anonymous := range []bool{false, true} {
		opened, err := store.Open(ctx, "gs://"+s.Bucket()+"/root/a", store.Options{Anonymous: anonymous})
		if err != nil {
			t.Fatal(err)
		}
		if want := "gs://" + s.Bucket() + "/root/a"; opened.URL() != want {
			t.Errorf("URL() = %q, want %q", opened.URL(), want)
		}
		got, err := opened.Get(ctx, "zarr.json")
		if err != nil || string(got) != "{}" {
			t.Errorf("Get through Open (anonymous %v) = %q, %v", anonymous, got, err)
		}
	}
}

// TestGCSRetriesThrottling needs no emulator: a fake one throttles twice
// (429, then 503) before serving the object, and the retry settings given
// to the library must carry the read through.
func TestGCSRetriesThrottling(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.Error(w, "rate limited", http.StatusTooManyRequests)
		case 2:
			http.Error(w, "backend error", http.StatusServiceUnavailable)
		default:
			if r.URL.Path != "/bucket/root/chunk" {
				http.Error(w, "unexpected path "+r.URL.Path, http.StatusBadRequest)
				return
			}
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL, "http://"))
	s, err := store.Open(context.Background(), "gs://bucket/root", store.Options{Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), "chunk")
	if err != nil || string(got) != "ok" {
		t.Fatalf("Get = %q, %v; want ok after retries", got, err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("emulator saw %d requests, want 3", n)
	}
}

func TestGCSCancelInFlight(t *testing.T) {
	srv := hangingServer(t)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL, "http://"))
	s, err := store.Open(context.Background(), "gs://bucket", store.Options{Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	checkCancelInFlight(t, s)
}
