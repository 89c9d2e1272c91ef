package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3 is a Store over an S3 bucket, or a prefix in it, on AWS or any
// S3-compatible server (MinIO, Ceph, R2). The ETag is the object's S3 ETag.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string // "" or "a/b/"
	url    string
}

// S3Config configures NewS3. Only Bucket is required.
type S3Config struct {
	Bucket string
	// Prefix is the store's root inside the bucket ("a/b" or "/a/b/").
	Prefix string
	// Region defaults to the SDK's configuration, else us-east-1.
	Region string
	// Endpoint defaults to AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else
	// AWS itself. A custom endpoint implies path-style addressing, which
	// MinIO and most S3-compatible servers need.
	Endpoint string
	// Anonymous sends unsigned requests, for public buckets. The
	// environment variable ZARRPROC_S3_ANONYMOUS=1 does the same.
	Anonymous  bool
	HTTPClient *http.Client
	Retry      Retry
}

// NewS3 returns a store for cfg, with credentials from the standard AWS chain
// (environment, shared files, SSO, web identity, IMDS) unless Anonymous.
// It makes no request: bad credentials show up on first use.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3 store: no bucket")
	}
	prefix, err := cleanPrefix(cfg.Prefix)
	if err != nil {
		return nil, fmt.Errorf("s3 store s3://%s%s: %w", cfg.Bucket, cfg.Prefix, err)
	}
	url := joinURL("s3://"+cfg.Bucket, prefix)

	r := cfg.Retry.withDefaults()
	loadOpts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return newS3Retryer(r) }),
	}
	if cfg.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(cfg.Region))
	}
	if cfg.HTTPClient != nil {
		loadOpts = append(loadOpts, config.WithHTTPClient(cfg.HTTPClient))
	} else {
		// The SDK keeps 10 idle connections per host; a worker fetching
		// dozens of chunks at once would open and close connections
		// instead of reusing them.
		loadOpts = append(loadOpts, config.WithHTTPClient(awshttp.NewBuildableClient().
			WithTransportOptions(func(tr *http.Transport) { tr.MaxIdleConnsPerHost = maxIdleConnsPerHost })))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("%s: loading AWS configuration: %w", url, err)
	}
	if awsCfg.Region == "" {
		// Without a region the SDK refuses every request; us-east-1 is what
		// MinIO and the AWS CLI assume, and AWS redirects from it.
		awsCfg.Region = "us-east-1"
	}

	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	anonymous := cfg.Anonymous || os.Getenv("ZARRPROC_S3_ANONYMOUS") == "1"
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
			// S3-compatible servers lag behind AWS on the flexible checksums
			// the SDK now sends by default; ask for them only when required.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
		if anonymous {
			o.Credentials = aws.AnonymousCredentials{}
		}
	})
	return &S3{client: client, bucket: cfg.Bucket, prefix: prefix, url: url}, nil
}

// newS3Retryer is the SDK's standard retryer with our backoff and attempt
// count, 429 added to the retried statuses (S3-compatible servers throttle
// with it; AWS uses 503 SlowDown, already retried), and no client-side retry
// quota: under a burst of SlowDown the quota would fail a whole job's reads
// at once, where backing off lets them through.
func newS3Retryer(r Retry) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = r.MaxAttempts
		o.MaxBackoff = r.MaxBackoff
		o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			return r.backoff(attempt), nil
		})
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.RetryableHTTPStatusCode{
			Codes: map[int]struct{}{http.StatusTooManyRequests: {}},
		})
	})
}

// URL implements Store.
func (s *S3) URL() string { return s.url }

// Client returns the underlying SDK client, for what the Store interface
// does not cover (tests create buckets with it).
func (s *S3) Client() *s3.Client { return s.client }

// Bucket returns the bucket name.
func (s *S3) Bucket() string { return s.bucket }

func (s *S3) errorf(op, key string, err error) error {
	return opError(s.url, op, key, err)
}

// s3Error maps the SDK's errors: missing object to ErrNotFound, and a
// cancelled context to the context's error (the SDK wraps it in layers that
// callers should not need to know).
func (s *S3) s3Error(ctx context.Context, op, key string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	} else if isS3NotFound(err) {
		err = fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return s.errorf(op, key, err)
}

// isS3NotFound: NoSuchKey from GET, a bare 404 ("NotFound") from HEAD. HEAD
// has no body, so a missing bucket looks the same to Stat; Get tells them
// apart.
func isS3NotFound(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			// A missing bucket is a configuration error, not a missing chunk.
			return false
		}
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

func isS3InvalidRange(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidRange" {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable
}

func (s *S3) check(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return s.errorf(op, key, err)
	}
	if err := CheckKey(key); err != nil {
		return s.errorf(op, key, err)
	}
	return nil
}

// get returns the body and, for a ranged request, the Content-Range header.
func (s *S3) get(ctx context.Context, key, rng string) ([]byte, string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return nil, "", err
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		buf.Grow(int(n))
	}
	if _, err := io.Copy(&buf, out.Body); err != nil {
		return nil, "", fmt.Errorf("reading body: %w", err)
	}
	return buf.Bytes(), aws.ToString(out.ContentRange), nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(ctx, "get", key); err != nil {
		return nil, err
	}
	b, _, err := s.get(ctx, key, "")
	if err != nil {
		return nil, s.s3Error(ctx, "get", key, err)
	}
	return nonNil(b), nil
}

// GetRange implements Store with one ranged GET ("bytes=a-b", or "bytes=-n"
// for a suffix).
func (s *S3) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	if err := s.check(ctx, "get range", key); err != nil {
		return nil, err
	}
	var rng string
	switch {
	case offset < 0:
		rng = fmt.Sprintf("bytes=%d", offset)
	case length < 0:
		return nil, s.errorf("get range", key, fmt.Errorf("%w: offset %d, length %d", ErrInvalidRange, offset, length))
	case length == 0:
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	default:
		end := offset + length - 1
		if end < offset {
			rng = fmt.Sprintf("bytes=%d-", offset)
		} else {
			rng = fmt.Sprintf("bytes=%d-%d", offset, end)
		}
	}
	b, contentRange, err := s.get(ctx, key, rng)
	if err != nil {
		if isS3InvalidRange(err) {
			// The object exists; the range starts at or past its end.
			return []byte{}, nil
		}
		return nil, s.s3Error(ctx, "get range", key, err)
	}
	if contentRange == "" {
		// A server that ignores Range answers 200 with the whole object.
		if b, err = sliceRange(b, offset, length); err != nil {
			return nil, s.errorf("get range", key, err)
		}
	}
	return nonNil(b), nil
}

// Stat implements Store with HeadObject.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := s.check(ctx, "stat", key); err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key),
	})
	if err != nil {
		return Info{}, s.s3Error(ctx, "stat", key, err)
	}
	return Info{
		Size:    aws.ToInt64(out.ContentLength),
		ETag:    s3ETag(out.ETag),
		ModTime: aws.ToTime(out.LastModified),
	}, nil
}

// Put implements Store with one PutObject; the body is seekable, so the SDK
// can retry it.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if err := s.check(ctx, "put", key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("application/octet-stream"),
	})
	if err != nil {
		return s.s3Error(ctx, "put", key, err)
	}
	return nil
}

// Delete implements Store with DeleteObject, which S3 answers with success
// for a missing key too.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, "delete", key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	})
	if err != nil && !isS3NotFound(err) {
		return s.s3Error(ctx, "delete", key, err)
	}
	return nil
}

// List implements Store with ListObjectsV2, page by page.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	entries, err := s.listInfo(ctx, "list", prefix)
	return keysOf(entries), err
}

// ListInfo implements InfoLister: ListObjectsV2 carries each object's ETag
// and size, so a listing costs one request per 1000 objects.
func (s *S3) ListInfo(ctx context.Context, prefix string) ([]Entry, error) {
	return s.listInfo(ctx, "list info", prefix)
}

func (s *S3) listInfo(ctx context.Context, op, prefix string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.errorf(op, prefix, err)
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, s.errorf(op, prefix, err)
	}
	// MinIO refuses a prefix whose last segment is "." (as in "arr/." for
	// the v2 dot files), so ask for the directory and filter here.
	query := prefix
	if query == "." || strings.HasSuffix(query, "/.") {
		query = strings.TrimSuffix(query, ".")
	}
	var entries []Entry
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.prefix + query),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.s3Error(ctx, op, prefix, err)
		}
		for _, o := range page.Contents {
			k := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			// Folder markers made by consoles are not objects of ours.
			if k == "" || strings.HasSuffix(k, "/") || !strings.HasPrefix(k, prefix) {
				continue
			}
			entries = append(entries, Entry{Key: k, Info: Info{
				Size:    aws.ToInt64(o.Size),
				ETag:    s3ETag(o.ETag),
				ModTime: aws.ToTime(o.LastModified),
			}})
		}
	}
	// S3 lists in UTF-8 byte order already, but S3-compatible servers need
	// not, and the contract is sorted.
	sortEntries(entries)
	return entries, nil
}

// s3ETag is the ETag as Stat and ListInfo report it, without the quotes
// S3 sends.
func s3ETag(etag *string) string { return strings.Trim(aws.ToString(etag), `"`) }

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
