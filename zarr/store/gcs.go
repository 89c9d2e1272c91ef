package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
)

// GCS is a Store over a Google Cloud Storage bucket, or a prefix in it.
// The ETag is the object's generation, which GCS changes on every write.
//
// The GCS library honours STORAGE_EMULATOR_HOST (e.g. fake-gcs-server):
// requests go there, unauthenticated. Objects are read through the XML API,
// as on real GCS, so fake-gcs-server must be started with -public-host set
// to the address clients use (scripts/services.sh does).
type GCS struct {
	client *storage.Client
	bucket *storage.BucketHandle
	name   string
	prefix string // "" or "a/b/"
	url    string
}

// GCSConfig configures NewGCS. Only Bucket is required.
type GCSConfig struct {
	Bucket string
	// Prefix is the store's root inside the bucket.
	Prefix string
	// Anonymous reads public buckets without credentials.
	Anonymous bool
	// HTTPClient is used only when the client does not authenticate
	// (Anonymous, or an emulator): the library skips authentication for a
	// caller-supplied HTTP client.
	HTTPClient *http.Client
	Retry      Retry
}

// NewGCS returns a store for cfg, with Application Default Credentials
// unless Anonymous or STORAGE_EMULATOR_HOST is set.
func NewGCS(ctx context.Context, cfg GCSConfig) (*GCS, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("gcs store: no bucket")
	}
	prefix, err := cleanPrefix(cfg.Prefix)
	if err != nil {
		return nil, fmt.Errorf("gcs store gs://%s%s: %w", cfg.Bucket, cfg.Prefix, err)
	}
	url := joinURL("gs://"+cfg.Bucket, prefix)

	var opts []option.ClientOption
	noAuth := cfg.Anonymous || os.Getenv("STORAGE_EMULATOR_HOST") != ""
	if noAuth {
		opts = append(opts, option.WithoutAuthentication())
		if cfg.HTTPClient != nil {
			opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
		}
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: creating GCS client: %w", url, err)
	}
	r := cfg.Retry.withDefaults()
	client.SetRetry(
		storage.WithBackoff(gax.Backoff{Initial: r.InitialBackoff, Max: r.MaxBackoff, Multiplier: 2}),
		storage.WithMaxAttempts(r.MaxAttempts),
		// Put replaces a whole object with given bytes: repeating it is
		// harmless, so writes are retried too, not only idempotent calls.
		storage.WithPolicy(storage.RetryAlways),
	)
	return &GCS{client: client, bucket: client.Bucket(cfg.Bucket), name: cfg.Bucket, prefix: prefix, url: url}, nil
}

// URL implements Store.
func (s *GCS) URL() string { return s.url }

// Client returns the underlying client (tests create buckets with it).
func (s *GCS) Client() *storage.Client { return s.client }

// Bucket returns the bucket name.
func (s *GCS) Bucket() string { return s.name }

// Close releases the client's connections.
func (s *GCS) Close() error { return s.client.Close() }

func (s *GCS) errorf(op, key string, err error) error {
	return opError(s.url, op, key, err)
}

func (s *GCS) gcsError(ctx context.Context, op, key string, err error) error {
	var gerr *googleapi.Error
	switch {
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	case errors.Is(err, storage.ErrObjectNotExist):
		err = fmt.Errorf("%w: %v", ErrNotFound, err)
	case errors.As(err, &gerr) && gerr.Code == http.StatusNotFound && !errors.Is(err, storage.ErrBucketNotExist):
		err = fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return s.errorf(op, key, err)
}

func (s *GCS) check(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return s.errorf(op, key, err)
	}
	if err := CheckKey(key); err != nil {
		return s.errorf(op, key, err)
	}
	return nil
}

func (s *GCS) read(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	r, err := s.bucket.Object(s.prefix+key).NewRangeReader(ctx, offset, length)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := make([]byte, 0, max(r.Remain(), 0))
	w := &sliceWriter{buf: buf}
	if _, err := io.Copy(w, r); err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return w.buf, nil
}

// sliceWriter appends to a pre-sized slice (bytes.Buffer would do, but
// would grow its own way).
type sliceWriter struct{ buf []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Get implements Store.
func (s *GCS) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(ctx, "get", key); err != nil {
		return nil, err
	}
	b, err := s.read(ctx, key, 0, -1)
	if err != nil {
		return nil, s.gcsError(ctx, "get", key, err)
	}
	return b, nil
}

// GetRange implements Store with one ranged read (a negative offset is a
// suffix read, which GCS supports natively).
func (s *GCS) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	if err := s.check(ctx, "get range", key); err != nil {
		return nil, err
	}
	switch {
	case offset < 0:
		length = -1
	case length < 0:
		return nil, s.errorf("get range", key, fmt.Errorf("%w: offset %d, length %d", ErrInvalidRange, offset, length))
	case length == 0:
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	b, err := s.read(ctx, key, offset, length)
	if err != nil {
		var gerr *googleapi.Error
		if errors.As(err, &gerr) && gerr.Code == http.StatusRequestedRangeNotSatisfiable {
			// The object exists; the range starts at or past its end.
			return []byte{}, nil
		}
		return nil, s.gcsError(ctx, "get range", key, err)
	}
	return b, nil
}

// Stat implements Store.
func (s *GCS) Stat(ctx context.Context, key string) (Info, error) {
	if err := s.check(ctx, "stat", key); err != nil {
		return Info{}, err
	}
	a, err := s.bucket.Object(s.prefix + key).Attrs(ctx)
	if err != nil {
		return Info{}, s.gcsError(ctx, "stat", key, err)
	}
	return gcsInfo(a), nil
}

// Put implements Store. Objects up to the writer's chunk size (16 MiB)
// go in one request; larger ones in a resumable upload, retried per chunk.
func (s *GCS) Put(ctx context.Context, key string, data []byte) error {
	if err := s.check(ctx, "put", key); err != nil {
		return err
	}
	// A cancelled ctx aborts the upload: the object keeps its old content.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := s.bucket.Object(s.prefix + key).NewWriter(wctx)
	// Set, so the library does not sniff a content type from the bytes.
	w.ContentType = "application/octet-stream"
	if _, err := w.Write(data); err != nil {
		cancel()
		w.Close()
		return s.gcsError(ctx, "put", key, err)
	}
	if err := w.Close(); err != nil {
		return s.gcsError(ctx, "put", key, err)
	}
	return nil
}

// Delete implements Store; a missing object is not an error.
func (s *GCS) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, "delete", key); err != nil {
		return err
	}
	if err := s.bucket.Object(s.prefix + key).Delete(ctx); err != nil && !errors.Is(err, storage.ErrObjectNotExist) {
		return s.gcsError(ctx, "delete", key, err)
	}
	return nil
}

// List implements Store, asking only for names.
func (s *GCS) List(ctx context.Context, prefix string) ([]string, error) {
	entries, err := s.listInfo(ctx, "list", prefix, "Name")
	return keysOf(entries), err
}

// ListInfo implements InfoLister: the listing carries each object's
// generation and size, so it costs one request per 1000 objects.
func (s *GCS) ListInfo(ctx context.Context, prefix string) ([]Entry, error) {
	return s.listInfo(ctx, "list info", prefix, "Name", "Size", "Generation", "Updated")
}

// listInfo lists the objects under prefix with the attributes asked for;
// the Info of each entry holds those of them that were.
func (s *GCS) listInfo(ctx context.Context, op, prefix string, attrs ...string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.errorf(op, prefix, err)
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, s.errorf(op, prefix, err)
	}
	q := &storage.Query{Prefix: s.prefix + prefix}
	if err := q.SetAttrSelection(attrs); err != nil {
		return nil, s.errorf(op, prefix, err)
	}
	var entries []Entry
	it := s.bucket.Objects(ctx, q)
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, s.gcsError(ctx, op, prefix, err)
		}
		k := strings.TrimPrefix(a.Name, s.prefix)
		if k == "" || strings.HasSuffix(k, "/") {
			continue
		}
		entries = append(entries, Entry{Key: k, Info: gcsInfo(a)})
	}
	sortEntries(entries)
	return entries, nil
}

// gcsInfo is an object's Info as Stat and ListInfo report it: the
// generation is the ETag.
func gcsInfo(a *storage.ObjectAttrs) Info {
	return Info{Size: a.Size, ETag: strconv.FormatInt(a.Generation, 10), ModTime: a.Updated}
}
