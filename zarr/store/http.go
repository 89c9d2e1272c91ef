package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HTTP is a read-only Store over HTTP(S): key "a/b" is GET base/a/b.
//
// Put fails with ErrReadOnly. List fails with ErrListNotSupported: HTTP has
// no standard listing, so datasets read over HTTP need consolidated metadata.
// Stat uses HEAD; the ETag is the server's ETag header, else
// "<size>-<Last-Modified>", else empty when the server sends neither (then
// nothing read from it can be memoized by version).
type HTTP struct {
	base   *url.URL // path without trailing slash
	client *http.Client
	retry  Retry
}

// HTTPConfig configures NewHTTP.
type HTTPConfig struct {
	// Client makes the requests. Default: a shared client that keeps enough
	// idle connections per host for parallel chunk reads and gives up on a
	// server that sends no response header within a minute.
	Client *http.Client
	Retry  Retry
}

// NewHTTP returns a store rooted at rawURL (http or https). A query string on
// rawURL (e.g. an access token) is sent with every request but left out of
// URL(), which ends up in logs and cache keys; so is user:password@.
func NewHTTP(rawURL string, cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("http store %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("http store %q: scheme must be http or https", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("http store %q: no host", rawURL)
	}
	u.Fragment = ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	c := cfg.Client
	if c == nil {
		c = defaultHTTPClient
	}
	return &HTTP{base: u, client: c, retry: cfg.Retry.withDefaults()}, nil
}

// maxIdleConnsPerHost matches the number of requests a worker keeps in
// flight to one object store (tensorstore's default is 32).
const maxIdleConnsPerHost = 64

var defaultHTTPClient = func() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
	tr.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: tr}
}()

// URL implements Store.
func (s *HTTP) URL() string {
	u := *s.base
	u.RawQuery = ""
	u.User = nil
	return u.String()
}

func (s *HTTP) errorf(op, key string, err error) error {
	return opError(s.URL(), op, key, err)
}

// objectURL escapes each key segment, so keys with spaces or '%' survive.
func (s *HTTP) objectURL(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	u := *s.base
	u.RawPath = u.EscapedPath() + "/" + strings.Join(segs, "/")
	u.Path = u.Path + "/" + key
	return u.String()
}

// httpResponse is a response read whole, so that a connection dropped in
// the middle of a body is retried like any other transient failure.
type httpResponse struct {
	status int
	header http.Header
	body   []byte
	// contentLength is the declared length, -1 when unknown. For HEAD it
	// is what a GET would return.
	contentLength int64
}

// statusError is a final HTTP status that is not success.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string {
	if e.body == "" {
		return fmt.Sprintf("HTTP %d %s", e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.status, http.StatusText(e.status), e.body)
}

// do sends one request, retrying throttling, 5xx and network errors with
// jittered exponential backoff (or the server's Retry-After, if shorter than
// MaxBackoff).
func (s *HTTP) do(ctx context.Context, method, key, rangeHeader string) (*httpResponse, error) {
	target := s.objectURL(key)
	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		resp, err := s.once(ctx, method, target, rangeHeader)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !retryableNetError(err) {
				return nil, err
			}
			lastErr = err
		case retryableStatus(resp.status):
			lastErr = &statusError{status: resp.status, body: snippet(resp.body)}
			wait = retryAfter(resp.header)
		default:
			return resp, nil
		}
		if attempt >= s.retry.MaxAttempts {
			return nil, fmt.Errorf("giving up after %d attempts: %w", attempt, lastErr)
		}
		if wait <= 0 || wait > s.retry.MaxBackoff {
			wait = s.retry.backoff(attempt)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (s *HTTP) once(ctx context.Context, method, target, rangeHeader string) (*httpResponse, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, err
	}
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	return &httpResponse{status: resp.StatusCode, header: resp.Header, body: body, contentLength: resp.ContentLength}, nil
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableNetError: a transport error is worth retrying unless it is about
// certificates or the request itself, which a retry cannot fix.
func retryableNetError(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname),
		errors.As(err, &certInvalid), errors.As(err, &verify):
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Op == "parse" {
		return false
	}
	return true
}

// retryAfter reads a Retry-After header given in seconds (the HTTP-date form
// is rare from object stores and falls back to our own backoff).
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// statusErr turns a final non-success status into the error callers see.
func statusErr(r *httpResponse) error {
	if r.status == http.StatusNotFound || r.status == http.StatusGone {
		return fmt.Errorf("%w (HTTP %d)", ErrNotFound, r.status)
	}
	return &statusError{status: r.status, body: snippet(r.body)}
}

func (s *HTTP) check(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return s.errorf(op, key, err)
	}
	if err := CheckKey(key); err != nil {
		return s.errorf(op, key, err)
	}
	return nil
}

// Get implements Store.
func (s *HTTP) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(ctx, "get", key); err != nil {
		return nil, err
	}
	r, err := s.do(ctx, http.MethodGet, key, "")
	if err != nil {
		return nil, s.errorf("get", key, err)
	}
	if r.status != http.StatusOK {
		return nil, s.errorf("get", key, statusErr(r))
	}
	return r.body, nil
}

// GetRange implements Store. A server that ignores Range and answers 200
// with the whole object still works: the body is cut here.
func (s *HTTP) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	if err := s.check(ctx, "get range", key); err != nil {
		return nil, err
	}
	var rng string
	switch {
	case offset < 0:
		rng = fmt.Sprintf("bytes=%d", offset) // "bytes=-n"
	case length < 0:
		return nil, s.errorf("get range", key, fmt.Errorf("%w: offset %d, length %d", ErrInvalidRange, offset, length))
	case length == 0:
		// No byte range can express "nothing"; still report a missing key.
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	default:
		end := offset + length - 1
		if end < offset { // overflow: read to the end
			rng = fmt.Sprintf("bytes=%d-", offset)
		} else {
			rng = fmt.Sprintf("bytes=%d-%d", offset, end)
		}
	}
	r, err := s.do(ctx, http.MethodGet, key, rng)
	if err != nil {
		return nil, s.errorf("get range", key, err)
	}
	switch r.status {
	case http.StatusPartialContent:
		b, err := partialBody(r, offset, length)
		if err != nil {
			return nil, s.errorf("get range", key, err)
		}
		return b, nil
	case http.StatusOK:
		b, err := sliceRange(r.body, offset, length)
		if err != nil {
			return nil, s.errorf("get range", key, err)
		}
		return b, nil
	case http.StatusRequestedRangeNotSatisfiable:
		// The object exists, the range starts at or past its end (or it is
		// empty): GetRange's contract is an empty result.
		return []byte{}, nil
	}
	return nil, s.errorf("get range", key, statusErr(r))
}

// partialBody checks a 206 answer against what was asked: a server that
// returns a different range than requested would silently corrupt chunks.
func partialBody(r *httpResponse, offset, length int64) ([]byte, error) {
	start, _, total, err := parseContentRange(r.header.Get("Content-Range"))
	if err != nil {
		return nil, err
	}
	if offset >= 0 && start != offset {
		return nil, fmt.Errorf("server returned range starting at %d, asked %d", start, offset)
	}
	if offset < 0 && total >= 0 && start != max(total+offset, 0) {
		return nil, fmt.Errorf("server returned range starting at %d for the last %d of %d bytes", start, -offset, total)
	}
	b := r.body
	if offset >= 0 && int64(len(b)) > length {
		b = b[:length]
	}
	return b, nil
}

// parseContentRange parses "bytes a-b/total" (total may be "*", reported
// as -1).
func parseContentRange(h string) (start, end, total int64, err error) {
	bad := fmt.Errorf("bad Content-Range %q", h)
	spec, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, 0, 0, bad
	}
	rng, tot, ok := strings.Cut(spec, "/")
	if !ok {
		return 0, 0, 0, bad
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, bad
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, 0, bad
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil {
		return 0, 0, 0, bad
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, 0, bad
		}
	}
	return start, end, total, nil
}

// Stat implements Store. Servers that refuse HEAD (405, 501) are asked for
// the first byte instead, and the size is read from Content-Range.
func (s *HTTP) Stat(ctx context.Context, key string) (Info, error) {
	if err := s.check(ctx, "stat", key); err != nil {
		return Info{}, err
	}
	r, err := s.do(ctx, http.MethodHead, key, "")
	if err != nil {
		return Info{}, s.errorf("stat", key, err)
	}
	size := int64(-1)
	switch r.status {
	case http.StatusOK:
		size = r.contentLength
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		// handled below
	default:
		return Info{}, s.errorf("stat", key, statusErr(r))
	}
	if size < 0 {
		if r, err = s.do(ctx, http.MethodGet, key, "bytes=0-0"); err != nil {
			return Info{}, s.errorf("stat", key, err)
		}
		switch r.status {
		case http.StatusPartialContent:
			_, _, total, err := parseContentRange(r.header.Get("Content-Range"))
			if err != nil || total < 0 {
				return Info{}, s.errorf("stat", key, fmt.Errorf("size unknown: %v", r.header.Get("Content-Range")))
			}
			size = total
		case http.StatusOK:
			size = int64(len(r.body))
		case http.StatusRequestedRangeNotSatisfiable:
			size = 0 // only an empty object cannot serve its first byte
		default:
			return Info{}, s.errorf("stat", key, statusErr(r))
		}
	}
	info := Info{Size: size, ETag: r.header.Get("ETag")}
	if lm := r.header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			info.ModTime = t
		}
		if info.ETag == "" {
			info.ETag = fmt.Sprintf("%d-%s", size, lm)
		}
	}
	return info, nil
}

// Put implements Store: always ErrReadOnly.
func (s *HTTP) Put(ctx context.Context, key string, data []byte) error {
	return s.errorf("put", key, ErrReadOnly)
}

// Delete implements Store: always ErrReadOnly.
func (s *HTTP) Delete(ctx context.Context, key string) error {
	return s.errorf("delete", key, ErrReadOnly)
}

// List implements Store: always ErrListNotSupported.
func (s *HTTP) List(ctx context.Context, prefix string) ([]string, error) {
	return nil, s.errorf("list", prefix, fmt.Errorf("%w over HTTP", ErrListNotSupported))
}
