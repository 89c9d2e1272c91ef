package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/store"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		raw     string
		opts    store.Options
		wantURL string
	}{
		{"file://" + filepath.ToSlash(dir), store.Options{}, "file://" + filepath.ToSlash(dir)},
		{"file://" + filepath.ToSlash(dir) + "/", store.Options{}, "file://" + filepath.ToSlash(dir)},
		{dir, store.Options{}, "file://" + filepath.ToSlash(dir)},
		{"mem://dev", store.Options{}, "mem://dev"},
		{"s3://bucket", store.Options{Region: "eu-west-1"}, "s3://bucket"},
		{"s3://bucket/a/b/", store.Options{Anonymous: true}, "s3://bucket/a/b"},
		{"gs://bucket/era5.zarr", store.Options{Anonymous: true}, "gs://bucket/era5.zarr"},
		{"https://example.org/data/x.zarr/", store.Options{}, "https://example.org/data/x.zarr"},
		{"http://127.0.0.1:9/x", store.Options{}, "http://127.0.0.1:9/x"},
	} {
		s, err := store.Open(ctx, tc.raw, tc.opts)
		if err != nil {
			t.Errorf("Open(%q): %v", tc.raw, err)
			continue
		}
		if s.URL() != tc.wantURL {
			t.Errorf("Open(%q).URL() = %q, want %q", tc.raw, s.URL(), tc.wantURL)
		}
	}
}

func TestOpenErrorsNameTheURL(t *testing.T) {
	ctx := context.Background()
	for _, raw := range []string{
		"", "ftp://host/x", "s3://", "s3:///prefix", "gs://", "mem://",
		"file://otherhost/x", "s3://bucket/a/../b", "http://",
	} {
		_, err := store.Open(ctx, raw, store.Options{})
		if err == nil {
			t.Errorf("Open(%q) succeeded, want an error", raw)
			continue
		}
		if !strings.Contains(err.Error(), `"`+raw+`"`) {
			t.Errorf("Open(%q) error %q does not name the URL", raw, err)
		}
	}
}
