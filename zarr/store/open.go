package store

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
)

// Options configure the backends Open makes. The zero value works: standard
// credential chains, default retries, environment overrides honoured.
type Options struct {
	// Anonymous reads public buckets without credentials (S3 unsigned
	// requests, GCS without authentication). For S3 the environment variable
	// ZARRPROC_S3_ANONYMOUS=1 does the same.
	Anonymous bool
	// Region is the S3 region. Default: the SDK's (AWS_REGION, profile),
	// else us-east-1.
	Region string
	// Endpoint overrides the S3 endpoint (MinIO, Ceph, R2), with path-style
	// addressing. Default: AWS_ENDPOINT_URL_S3, else AWS.
	Endpoint string
	// HTTPClient carries the requests of the HTTP and S3 backends, and of the
	// GCS backend when it does not authenticate (anonymous or emulator),
	// since a GCS client given an HTTP client skips authentication.
	// Default: one shared client per backend.
	HTTPClient *http.Client
	// Retry configures retries of throttling, 5xx and network errors.
	Retry Retry
}

// Open returns the store rooted at rawURL:
//
//	file:///abs/path or a plain path    File
//	s3://bucket/prefix                   S3
//	gs://bucket/prefix                   GCS
//	http://host/path, https://host/path  HTTP (read-only)
//	mem://name                           Mem, shared by name in the process
//
// Errors name rawURL. A store that holds connections (GCS) also implements
// io.Closer.
func Open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	s, err := open(ctx, rawURL, opts)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", rawURL, err)
	}
	return s, nil
}

func open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("empty URL")
	}
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		// A plain path. Windows drive letters ("C:\data") also land here.
		return NewFile(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("file URL with host %q: want file:///absolute/path", u.Host)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("file URL without a path")
		}
		return NewFile(filepath.FromSlash(u.Path))
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("no bucket: want s3://bucket/prefix")
		}
		return NewS3(ctx, S3Config{
			Bucket:     u.Host,
			Prefix:     u.Path,
			Region:     opts.Region,
			Endpoint:   opts.Endpoint,
			Anonymous:  opts.Anonymous,
			HTTPClient: opts.HTTPClient,
			Retry:      opts.Retry,
		})
	case "gs", "gcs":
		if u.Host == "" {
			return nil, fmt.Errorf("no bucket: want gs://bucket/prefix")
		}
		return NewGCS(ctx, GCSConfig{
			Bucket:     u.Host,
			Prefix:     u.Path,
			Anonymous:  opts.Anonymous,
			HTTPClient: opts.HTTPClient,
			Retry:      opts.Retry,
		})
	case "http", "https":
		return NewHTTP(rawURL, HTTPConfig{Client: opts.HTTPClient, Retry: opts.Retry})
	case "mem":
		name := strings.Trim(u.Host+u.Path, "/")
		if name == "" {
			return nil, fmt.Errorf("no name: want mem://name")
		}
		return openMem(name), nil
	}
	return nil, fmt.Errorf("unsupported scheme %q (want file, s3, gs, http, https or mem)", scheme)
}
