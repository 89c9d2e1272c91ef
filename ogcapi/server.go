package ogcapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/zarrproc/zarrproc/jobs"
)

// Config configures the HTTP front end. The zero value serves everything
// without auth and without CORS, with the defaults below.
type Config struct {
	// BaseURL is the public URL of the API root (https://host/prefix), used
	// in links and Location headers. Empty: derived from each request.
	BaseURL string
	// Tokens are bearer tokens, each "TOKEN" or "NAME:TOKEN". When any are
	// set, execution and dismissal need one (401 otherwise); the token's name
	// identifies the client to the job system's per-client limits.
	Tokens []string
	// MaxBodyBytes caps an execute request body (413 above). Default 1 MiB.
	MaxBodyBytes int64
	// SyncWait is how long a synchronous execution waits for its job before
	// it answers with the job instead (201 + Location). Default 30s.
	SyncWait time.Duration
	// CORSOrigins are the origins browsers may call from; "*" allows any.
	// Empty: no CORS headers.
	CORSOrigins []string
	// Ready reports whether the service can take work (the queue's Redis
	// answers); nil means always ready.
	Ready func(ctx context.Context) error
	// Logger logs one line per request; nil uses slog.Default().
	Logger *slog.Logger
	// Registry is where metrics are registered and what /metrics serves; the
	// job system may register its own collectors (tasks, bytes read, cache
	// hits) on it. Nil: a new registry.
	Registry *prometheus.Registry
	// AdminTokens guard the cache administration endpoints (clear,
	// invalidate). Empty: the API tokens guard them.
	AdminTokens []string
	// Title and Description appear on the landing page.
	Title, Description string
}

const (
	defaultMaxBody  = 1 << 20
	defaultSyncWait = 30 * time.Second
)

// server holds what the handlers share.
type server struct {
	svc     jobs.Service
	cfg     Config
	log     *slog.Logger
	tokens  []token
	admins  []token
	mux     *http.ServeMux
	metrics *metrics
	// prefs remembers how each job's results were asked for (the execute
	// request's response and outputs), which jobs.Service does not record.
	prefs *prefStore
	api   *apiDoc
}

type token struct {
	name   string
	secret []byte
}

// parseTokens reads "TOKEN" or "NAME:TOKEN" entries; an unnamed token is
// named after a short hash of itself (for logs and per-client limits).
func parseTokens(list []string) []token {
	var out []token
	for _, t := range list {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		name, secret, ok := strings.Cut(t, ":")
		if !ok {
			secret = t
			sum := sha256.Sum256([]byte(t))
			name = "token-" + hex.EncodeToString(sum[:4])
		}
		out = append(out, token{name: name, secret: []byte(secret)})
	}
	return out
}

// New returns the HTTP handler of the OGC API – Processes server over svc.
func New(svc jobs.Service, cfg Config) http.Handler {
	s := newServer(svc, cfg)
	return s.middleware(s.mux)
}

func newServer(svc jobs.Service, cfg Config) *server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBody
	}
	if cfg.SyncWait <= 0 {
		cfg.SyncWait = defaultSyncWait
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Title == "" {
		cfg.Title = "zarrproc"
	}
	if cfg.Description == "" {
		cfg.Description = "OGC API – Processes: temporal aggregates and zonal statistics of GeoZarr climate data, computed where the data lives."
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &server{
		svc:   svc,
		cfg:   cfg,
		log:   cfg.Logger,
		mux:   http.NewServeMux(),
		prefs: newPrefStore(100_000),
		api:   mustLoadAPIDoc(),
	}
	s.tokens = parseTokens(cfg.Tokens)
	s.admins = parseTokens(cfg.AdminTokens)
	if len(s.admins) == 0 {
		s.admins = s.tokens
	}
	s.metrics = newMetrics(cfg.Registry, svc)
	s.routes()
	return s
}

// routes is the one list of what the server serves; the OpenAPI document
// must describe every pattern here (a test checks it).
func (s *server) routes() {
	s.handle("GET /{$}", s.landing)
	s.handle("GET /conformance", s.conformance)
	s.handle("GET /api", s.apiDefinition)
	s.handle("GET /processes", s.processList)
	s.handle("GET /processes/{processID}", s.processDescription)
	s.handle("POST /processes/{processID}/execution", s.authorized(s.execute))
	s.handle("GET /jobs", s.jobList)
	s.handle("GET /jobs/{jobID}", s.jobStatus)
	s.handle("DELETE /jobs/{jobID}", s.authorized(s.dismiss))
	s.handle("GET /jobs/{jobID}/results", s.jobResults)
	s.handle("GET /jobs/{jobID}/results/{outputID}", s.jobResult)
	s.handle("GET /cache/stats", s.cacheStats)
	s.handle("POST /cache/clear", s.guard(s.admins, s.cacheClear))
	s.handle("POST /cache/invalidate", s.guard(s.admins, s.cacheInvalidate))
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metrics.handler(s.cfg.Registry))
	s.mux.HandleFunc("/", s.notFound)
}

// routePatterns lists the patterns of routes, for the OpenAPI test.
var routePatterns = []string{
	"GET /", "GET /conformance", "GET /api", "GET /processes", "GET /processes/{processID}",
	"POST /processes/{processID}/execution", "GET /jobs", "GET /jobs/{jobID}",
	"DELETE /jobs/{jobID}", "GET /jobs/{jobID}/results", "GET /jobs/{jobID}/results/{outputID}",
	"GET /cache/stats", "POST /cache/clear", "POST /cache/invalidate",
	"GET /healthz", "GET /readyz", "GET /metrics",
}

// handlerFunc is a handler that may fail; the error becomes an exception.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// notFound answers what no route matched: 405 with Allow when the path
// exists under another method, 404 otherwise, both as exceptions.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe, err := http.NewRequestWithContext(r.Context(), m, r.URL.String(), nil)
		if err != nil {
			break
		}
		if _, p := s.mux.Handler(probe); p != "/" && p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(append(allow, http.MethodOptions), ", "))
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.writeError(w, r, problem(http.StatusMethodNotAllowed, typeMethodNotAllowed,
			r.Method+" is not allowed on "+r.URL.Path))
		return
	}
	s.writeError(w, r, problem(http.StatusNotFound, typeNotFound, "no resource at "+r.URL.Path))
}

// authorized guards h with the API tokens, when any are configured.
func (s *server) authorized(h handlerFunc) handlerFunc { return s.guard(s.tokens, h) }

// guard lets through requests bearing one of tokens (all, when it is empty).
func (s *server) guard(tokens []token, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if len(tokens) == 0 {
			return h(w, r)
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			for _, t := range tokens {
				if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), t.secret) == 1 {
					return h(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, t.name)))
				}
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="zarrproc"`)
		return problem(http.StatusUnauthorized, typeUnauthorized, "a valid bearer token is required")
	}
}

type clientKey struct{}

// client names who sends r: its token's name, or its address. Not
// X-Forwarded-For, which a client could set to escape per-client limits.
func client(r *http.Request) string {
	if name, ok := r.Context().Value(clientKey{}).(string); ok {
		return name
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			return problem(http.StatusServiceUnavailable, typeServiceUnavailable, "not ready: "+err.Error())
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ready\n"))
	return err
}

// prefStore remembers the result preferences of recent jobs, oldest
// forgotten first. A job it does not know (another replica took the request,
// or this one restarted) gets its results as a JSON document, which holds
// every output whatever was asked.
type prefStore struct {
	mu    sync.Mutex
	max   int
	order []string
	m     map[string]resultPrefs
}

func newPrefStore(max int) *prefStore {
	return &prefStore{max: max, m: make(map[string]resultPrefs)}
}

func (p *prefStore) put(jobID string, rp resultPrefs) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[jobID]; !ok {
		p.order = append(p.order, jobID)
	}
	p.m[jobID] = rp
	for len(p.order) > p.max {
		delete(p.m, p.order[0])
		p.order = p.order[1:]
	}
}

func (p *prefStore) get(jobID string) (resultPrefs, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rp, ok := p.m[jobID]
	return rp, ok
}
