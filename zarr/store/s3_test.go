package store_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/zarrproc/zarrproc/zarr/store"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

// s3TestEnv points the AWS SDK at the test MinIO through the same
// environment variables a deployment would use, and returns the endpoint.
func s3TestEnv(t *testing.T) string {
	t.Helper()
	endpoint := storetest.RequireEnv(t, "ZARRPROC_TEST_S3_ENDPOINT")
	t.Setenv("AWS_ACCESS_KEY_ID", storetest.RequireEnv(t, "ZARRPROC_TEST_S3_ACCESS_KEY"))
	t.Setenv("AWS_SECRET_ACCESS_KEY", storetest.RequireEnv(t, "ZARRPROC_TEST_S3_SECRET_KEY"))
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", endpoint)
	t.Setenv("ZARRPROC_S3_ANONYMOUS", "")
	return endpoint
}

// newS3Bucket creates a bucket of its own for t and returns a store on
// prefix inside it.
func newS3Bucket(t *testing.T, prefix string) *store.S3 {
	t.Helper()
	ctx := context.Background()
	bucket := storetest.UniqueName(t, "zarrproc-s3")
	s, err := store.NewS3(ctx, store.S3Config{Bucket: bucket, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	// Leave a long-running MinIO as we found it.
	t.Cleanup(func() {
		c := s.Client()
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Logf("cleanup: list %s: %v", bucket, err)
				return
			}
			for _, o := range page.Contents {
				if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key}); err != nil {
					t.Logf("cleanup: delete %s/%s: %v", bucket, aws.ToString(o.Key), err)
				}
			}
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Logf("cleanup: delete bucket %s: %v", bucket, err)
		}
	})
	return s
}

func TestS3(t *testing.T) {
	s3TestEnv(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return newS3Bucket(t, "")
	})
}

func TestS3WithPrefix(t *testing.T) {
	s3TestEnv(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return newS3Bucket(t, "datasets/chirps.zarr")
	})
}

func TestS3Open(t *testing.T) {
	s3TestEnv(t)
	ctx := context.Background()
	s := newS3Bucket(t, "")
	if err := s.Put(ctx, "root/a/zarr.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	opened, err := store.Open(ctx, "s3://"+s.Bucket()+"/root/a", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "s3://" + s.Bucket() + "/root/a"; opened.URL() != want {
		t.Errorf("URL() = %q, want %q", opened.URL(), want)
	}
	got, err := opened.Get(ctx, "zarr.json")
	if err != nil || string(got) != "{}" {
		t.Errorf("Get through Open = %q, %v", got, err)
	}
}

func TestS3MissingBucketIsNotErrNotFound(t *testing.T) {
	// A wrong bucket name is a configuration error to report, not a missing
	// chunk to fill with the fill value.
	s3TestEnv(t)
	s, err := store.NewS3(context.Background(), store.S3Config{Bucket: storetest.UniqueName(t, "missing")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "k")
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get in a missing bucket = %v, want an error that is not ErrNotFound", err)
	}
}

func TestS3Anonymous(t *testing.T) {
	s3TestEnv(t)
	ctx := context.Background()
	s := newS3Bucket(t, "")
	if err := s.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZARRPROC_S3_ANONYMOUS", "1")
	anon, err := store.Open(ctx, "s3://"+s.Bucket(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The bucket is private: an unsigned request must be refused, which
	// proves no credentials were sent.
	if _, err := anon.Get(ctx, "k"); err == nil {
		t.Fatal("anonymous Get of a private bucket succeeded")
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + s.Bucket() + `/*"]}]}`
	if _, err := s.Client().PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(s.Bucket()), Policy: aws.String(policy)}); err != nil {
		t.Fatalf("make bucket public: %v", err)
	}
	got, err := anon.Get(ctx, "k")
	if err != nil || string(got) != "v" {
		t.Errorf("anonymous Get of a public object = %q, %v", got, err)
	}
}

// TestS3RetriesThrottling needs no MinIO: a fake endpoint throttles twice
// (429, then 503 SlowDown as S3 does while it re-partitions a prefix), and
// the configured retryer must carry the request through.
func TestS3RetriesThrottling(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
		default:
			if r.URL.Path != "/bucket/root/chunk" {
				http.Error(w, "unexpected path "+r.URL.Path, http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Length", "2")
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	s, err := store.Open(context.Background(), "s3://bucket/root", store.Options{
		Endpoint: srv.URL, Anonymous: true, Retry: fastRetry,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), "chunk")
	if err != nil || string(got) != "ok" {
		t.Fatalf("Get = %q, %v; want ok after retries", got, err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("endpoint saw %d requests, want 3", n)
	}
}

func TestS3CancelInFlight(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	srv := hangingServer(t)
	s, err := store.Open(context.Background(), "s3://bucket", store.Options{
		Endpoint: srv.URL, Anonymous: true, Retry: fastRetry,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkCancelInFlight(t, s)
}
