package ogcapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/zarrproc/zarrproc/jobs"
	"golang.org/x/net/html"
)

type testServer struct {
	*httptest.Server
	svc *fakeService
	t   *testing.T
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	svc := newFakeService()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ts := httptest.NewServer(&documented{t: t, next: New(svc, cfg)})
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, svc: svc, t: t}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request; headers are name, value pairs.
func (ts *testServer) do(method, path, body string, headers ...string) response {
	ts.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, status, r.body)
	}
}

func wantException(t *testing.T, r response, status int, typ string) map[string]any {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("exception content type %q", ct)
	}
	m := r.json(t)
	if m["type"] != typ {
		t.Errorf("exception type %v, want %s", m["type"], typ)
	}
	if m["title"] == "" || m["detail"] == "" || m["status"] != float64(status) {
		t.Errorf("exception lacks title, detail or status: %v", m)
	}
	return m
}

func links(t *testing.T, m map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	ls, _ := m["links"].([]any)
	for _, l := range ls {
		lm := l.(map[string]any)
		rel, _ := lm["rel"].(string)
		if _, seen := out[rel]; !seen {
			out[rel], _ = lm["href"].(string)
		}
	}
	return out
}

// waitDone polls a job until it is done.
func (ts *testServer) waitDone(id string) map[string]any {
	ts.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r := ts.do("GET", "/jobs/"+id, "")
		wantStatus(ts.t, r, 200)
		m := r.json(ts.t)
		if st := jobs.Status(m["status"].(string)); st.Done() {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.t.Fatalf("job %s not done in 5s", id)
	return nil
}

func TestLandingPage(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do("GET", "/", "")
	wantStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != mediaJSON {
		t.Errorf("content type %q", ct)
	}
	ls := links(t, r.json(t))
	for _, rel := range []string{"self", "alternate", "service-desc", "service-doc", relConformance, "conformance", relProcesses, "processes", relJobList} {
		if ls[rel] == "" {
			t.Errorf("landing page has no %s link", rel)
		}
	}
	if !strings.HasPrefix(ls["self"], ts.URL+"/") {
		t.Errorf("self link %q not under %s", ls["self"], ts.URL)
	}
	for _, rel := range []string{"service-desc", relConformance, relProcesses, relJobList} {
		u, _ := url.Parse(ls[rel])
		wantStatus(t, ts.do("GET", u.RequestURI(), ""), 200)
	}
}

func TestBaseURL(t *testing.T) {
	ts := newTestServer(t, Config{BaseURL: "https://climate.example.org/ogc/"})
	ls := links(t, ts.do("GET", "/", "").json(t))
	if ls[relProcesses] != "https://climate.example.org/ogc/processes" {
		t.Errorf("processes link %q", ls[relProcesses])
	}
}

func TestConformance(t *testing.T) {
	ts := newTestServer(t, Config{})
	m := ts.do("GET", "/conformance", "").json(t)
	got := m["conformsTo"].([]any)
	for _, c := range []string{"core", "ogc-process-description", "json", "html", "oas30", "job-list", "callback", "dismiss"} {
		if !slices.Contains(got, any("http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"+c)) {
			t.Errorf("conformance class %s not declared", c)
		}
	}
}

func TestContentNegotiation(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, tc := range []struct {
		path, accept string
		status       int
		ctype        string
	}{
		{"/", "", 200, mediaJSON},
		{"/", "application/json", 200, mediaJSON},
		{"/", "text/html", 200, "text/html; charset=utf-8"},
		{"/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200, "text/html; charset=utf-8"},
		{"/", "*/*", 200, mediaJSON},
		{"/", "application/json;q=0.5, text/html;q=0.9", 200, "text/html; charset=utf-8"},
		{"/?f=json", "text/html", 200, mediaJSON},
		{"/?f=html", "application/json", 200, "text/html; charset=utf-8"},
		{"/processes?f=html", "", 200, "text/html; charset=utf-8"},
		{"/", "application/xml", 406, mediaJSON},
		{"/?f=xml", "", 400, mediaJSON},
		{"/api", "", 200, mediaOpenAPI},
		{"/api", "application/json", 200, mediaJSON},
		{"/api?f=html", "", 200, "text/html; charset=utf-8"},
	} {
		var r response
		if tc.accept != "" {
			r = ts.do("GET", tc.path, "", "Accept", tc.accept)
		} else {
			r = ts.do("GET", tc.path, "")
		}
		if r.status != tc.status || r.header.Get("Content-Type") != tc.ctype {
			t.Errorf("GET %s Accept %q: %d %q, want %d %q", tc.path, tc.accept, r.status, r.header.Get("Content-Type"), tc.status, tc.ctype)
		}
	}
}

func TestProcesses(t *testing.T) {
	ts := newTestServer(t, Config{})
	m := ts.do("GET", "/processes", "").json(t)
	ps := m["processes"].([]any)
	if len(ps) != len(fakeProcesses) {
		t.Fatalf("%d processes, want %d", len(ps), len(fakeProcesses))
	}
	first := ps[0].(map[string]any)
	if first["id"] != "echo" || first["version"] != "1.0.0" || links(t, first)[relExecute] == "" {
		t.Errorf("first process summary: %v", first)
	}
	ls := links(t, m)
	if ls["self"] == "" || ls["alternate"] == "" {
		t.Errorf("process list links: %v", ls)
	}

	// Paging.
	m = ts.do("GET", "/processes?limit=1", "").json(t)
	if n := len(m["processes"].([]any)); n != 1 {
		t.Fatalf("limit=1 gave %d processes", n)
	}
	next := links(t, m)["next"]
	if next == "" || links(t, m)["prev"] != "" {
		t.Fatalf("first page links: %v", links(t, m))
	}
	u, _ := url.Parse(next)
	m = ts.do("GET", u.RequestURI(), "").json(t)
	if id := m["processes"].([]any)[0].(map[string]any)["id"]; id != "stats" {
		t.Errorf("second page starts with %v", id)
	}
	if links(t, m)["prev"] == "" {
		t.Errorf("second page has no prev link")
	}
	wantException(t, ts.do("GET", "/processes?limit=0", ""), 400, typeInvalidQueryParam)
	wantException(t, ts.do("GET", "/processes?offset=x", ""), 400, typeInvalidQueryParam)

	// One process.
	m = ts.do("GET", "/processes/echo", "").json(t)
	if _, ok := m["inputs"].(map[string]any)["stringInput"]; !ok || m["outputs"] == nil {
		t.Errorf("echo description: %v", m)
	}
	if !slices.Contains(m["jobControlOptions"].([]any), any("async-execute")) {
		t.Errorf("jobControlOptions %v", m["jobControlOptions"])
	}
	wantException(t, ts.do("GET", "/processes/nope", ""), 404, typeNoSuchProcess)
}

func TestExecuteSyncRawValue(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"teststring"}}`)
	wantStatus(t, r, 200)
	if string(r.body) != `"teststring"` || r.header.Get("Content-Type") != mediaJSON {
		t.Errorf("raw value %q as %q", r.body, r.header.Get("Content-Type"))
	}
	if l := r.header.Get("Link"); !strings.Contains(l, `rel="monitor"`) || !strings.Contains(l, ts.URL+"/jobs/job-0001") {
		t.Errorf("Link %q", l)
	}
	if r.header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied %q without a preference", r.header.Get("Preference-Applied"))
	}
	// A client that prefers text gets the string as text.
	r2 := ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"teststring"}}`, "Accept", "text/plain, application/json;q=0.5")
	if string(r2.body) != "teststring" || !strings.HasPrefix(r2.header.Get("Content-Type"), "text/plain") {
		t.Errorf("raw value for a text client %q as %q", r2.body, r2.header.Get("Content-Type"))
	}
	// The monitor link resolves to the job's status.
	m := ts.do("GET", "/jobs/job-0001", "").json(t)
	if m["status"] != "successful" || m["type"] != "process" || m["processID"] != "echo" {
		t.Errorf("job status %v", m)
	}
}

func TestExecuteSyncDocument(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do("POST", "/processes/stats/execution", `{"inputs":{"values":[1,2,6]},"response":"document"}`)
	wantStatus(t, r, 200)
	m := r.json(t)
	if m["mean"] != 3.0 {
		t.Errorf("mean %v", m["mean"])
	}
	summary := m["summary"].(map[string]any)
	if summary["mediaType"] != mediaJSON || summary["value"].(map[string]any)["sum"] != 9.0 {
		t.Errorf("summary %v", summary)
	}
	store := m["store"].(map[string]any)
	if store["href"] != "s3://results/job-0001.zarr" || store["type"] != "application/vnd+zarr" {
		t.Errorf("store %v", store)
	}

	// Only the outputs asked for, one by reference.
	r = ts.do("POST", "/processes/stats/execution", `{"inputs":{"values":[1]},"response":"document",
		"outputs":{"mean":{"transmissionMode":"reference"}}}`)
	wantStatus(t, r, 200)
	m = r.json(t)
	if len(m) != 1 {
		t.Fatalf("outputs %v, want only mean", m)
	}
	href := m["mean"].(map[string]any)["href"].(string)
	if href != ts.URL+"/jobs/job-0002/results/mean" {
		t.Fatalf("mean by reference at %q", href)
	}
	r = ts.do("GET", strings.TrimPrefix(href, ts.URL), "")
	wantStatus(t, r, 200)
	if string(r.body) != "1" || r.header.Get("Content-Type") != mediaJSON {
		t.Errorf("referenced mean %q %q", r.body, r.header.Get("Content-Type"))
	}
	wantException(t, ts.do("GET", "/jobs/job-0002/results/nope", ""), 404, typeNoSuchOutput)
	r = ts.do("GET", "/jobs/job-0002/results/store", "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "s3://results/job-0002.zarr" {
		t.Errorf("store output: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestExecuteSyncRawMultipart(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do("POST", "/processes/stats/execution", `{"inputs":{"values":[2,4]},"response":"raw"}`)
	wantStatus(t, r, 200)
	mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" {
		t.Fatalf("content type %q", r.header.Get("Content-Type"))
	}
	mr := multipart.NewReader(strings.NewReader(string(r.body)), params["boundary"])
	parts := map[string]string{}
	locations := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		id := strings.Trim(p.Header.Get("Content-ID"), "<>")
		parts[id] = string(b)
		locations[id] = p.Header.Get("Content-Location")
	}
	if parts["mean"] != "3" || !strings.Contains(parts["summary"], `"count":2`) {
		t.Errorf("parts %v", parts)
	}
	if parts["store"] != "" || locations["store"] != "s3://results/job-0001.zarr" {
		t.Errorf("store part %q at %q", parts["store"], locations["store"])
	}
}

func TestExecuteSyncRawReference(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do("POST", "/processes/stats/execution", `{"inputs":{"values":[2]},
		"outputs":{"mean":{"transmissionMode":"reference"},"store":{"transmissionMode":"reference"}}}`)
	wantStatus(t, r, 204)
	if len(r.body) != 0 {
		t.Errorf("204 with a body %q", r.body)
	}
	var got []string
	for _, l := range r.header.Values("Link") {
		if strings.Contains(l, relResults) {
			got = append(got, l)
		}
	}
	if len(got) != 2 || !strings.Contains(strings.Join(got, ","), "<"+ts.URL+"/jobs/job-0001/results/mean>") ||
		!strings.Contains(strings.Join(got, ","), "<s3://results/job-0001.zarr>") {
		t.Errorf("output links %q", got)
	}
}

func TestExecuteAsync(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"hi","pause":0.2}}`, "Prefer", "respond-async")
	wantStatus(t, r, 201)
	loc := r.header.Get("Location")
	if loc != ts.URL+"/jobs/job-0001" || r.header.Get("Preference-Applied") != "respond-async" {
		t.Fatalf("Location %q, Preference-Applied %q", loc, r.header.Get("Preference-Applied"))
	}
	m := r.json(t)
	if m["jobID"] != "job-0001" || m["type"] != "process" || (m["status"] != "accepted" && m["status"] != "running") {
		t.Errorf("status %v", m)
	}
	if !ts.svc.submitted[0].Async {
		t.Errorf("submitted sync, want async")
	}
	wantException(t, ts.do("GET", "/jobs/job-0001/results", ""), 404, typeResultNotReady)
	m = ts.waitDone("job-0001")
	if m["status"] != "successful" || m["progress"] != 100.0 || m["finished"] == nil || m["started"] == nil {
		t.Errorf("done status %v", m)
	}
	if links(t, m)[relResults] != ts.URL+"/jobs/job-0001/results" {
		t.Errorf("results link %v", links(t, m))
	}
	// Results as the execute request asked: raw value.
	r = ts.do("GET", "/jobs/job-0001/results", "")
	wantStatus(t, r, 200)
	if string(r.body) != `"hi"` {
		t.Errorf("results %q", r.body)
	}
	// A browser gets the results page whatever the request asked.
	r = ts.do("GET", "/jobs/job-0001/results", "", "Accept", "text/html")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "&#34;hi&#34;") {
		t.Errorf("results page: %q\n%s", r.header.Get("Content-Type"), r.body)
	}
	// Async-only processes are async without Prefer, and say nothing applied.
	r = ts.do("POST", "/processes/slow/execution", `{}`)
	wantStatus(t, r, 201)
	if r.header.Get("Preference-Applied") != "" || r.header.Get("Location") == "" {
		t.Errorf("async-only: headers %v", r.header)
	}
	// A job this server does not remember the request of: the document.
	ts.waitDone("job-0002")
	ts2 := &testServer{Server: httptest.NewServer(New(ts.svc, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})), svc: ts.svc, t: t}
	defer ts2.Close()
	r = ts2.do("GET", "/jobs/job-0002/results", "")
	wantStatus(t, r, 200)
	if r.json(t)["n"] != 42.0 {
		t.Errorf("document results %s", r.body)
	}
}

func TestExecuteSyncTimeout(t *testing.T) {
	ts := newTestServer(t, Config{SyncWait: 50 * time.Millisecond})
	r := ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"slow","pause":0.5}}`)
	wantStatus(t, r, 201)
	if r.header.Get("Location") != ts.URL+"/jobs/job-0001" || !strings.Contains(r.header.Get("Link"), "monitor") {
		t.Errorf("headers %v", r.header)
	}
	if ts.svc.submitted[0].Async {
		t.Errorf("a sync request was submitted as async")
	}
	ts.waitDone("job-0001")
	r = ts.do("GET", "/jobs/job-0001/results", "")
	if string(r.body) != `"slow"` {
		t.Errorf("results %q", r.body)
	}

	// Prefer: wait shortens the server's wait.
	ts = newTestServer(t, Config{SyncWait: time.Minute})
	start := time.Now()
	r = ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"x","pause":3}}`, "Prefer", "wait=1")
	wantStatus(t, r, 201)
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("wait=1 took %v", d)
	}
	if r.header.Get("Preference-Applied") != "wait=1" {
		t.Errorf("Preference-Applied %q", r.header.Get("Preference-Applied"))
	}
}

func TestExecuteErrors(t *testing.T) {
	ts := newTestServer(t, Config{MaxBodyBytes: 200})
	for _, tc := range []struct {
		name, process, body, ctype string
		status                     int
		typ                        string
	}{
		{"unknown process", "nope", `{}`, "", 404, typeNoSuchProcess},
		{"missing input", "echo", `{"inputs":{}}`, "", 400, typeInvalidInput},
		{"unknown input", "echo", `{"inputs":{"stringInput":"a","bogus":1}}`, "", 400, typeInvalidInput},
		{"not JSON", "echo", `{"inputs":`, "", 400, typeInvalidRequest},
		{"empty body", "echo", ``, "", 400, typeInvalidRequest},
		{"inputs not an object", "echo", `{"inputs":[1]}`, "", 400, typeInvalidRequest},
		{"unknown member", "echo", `{"invalid-execute-request":"true)"}`, "", 400, typeInvalidRequest},
		{"misspelt inputs", "echo", `{"input":{"stringInput":"a"}}`, "", 400, typeInvalidRequest},
		{"two documents", "echo", `{"inputs":{"stringInput":"a"}} {}`, "", 400, typeInvalidRequest},
		{"bad response", "echo", `{"inputs":{"stringInput":"a"},"response":"xml"}`, "", 400, typeInvalidRequest},
		{"bad transmission", "echo", `{"inputs":{"stringInput":"a"},"outputs":{"stringOutput":{"transmissionMode":"carrier-pigeon"}}}`, "", 400, typeInvalidRequest},
		{"unknown output", "echo", `{"inputs":{"stringInput":"a"},"outputs":{"nope":{}}}`, "", 400, typeNoSuchOutput},
		{"bad subscriber", "echo", `{"inputs":{"stringInput":"a"},"subscriber":{"successUri":"ftp://x/y"}}`, "", 400, typeInvalidRequest},
		{"forbidden dataset", "echo", `{"inputs":{"stringInput":"a","dataset":"s3://forbidden/x.zarr"}}`, "", 403, typeForbidden},
		{"over a limit", "echo", `{"inputs":{"stringInput":"a","dataset":"s3://huge/x.zarr"}}`, "", 413, typeLimit},
		{"too many jobs", "echo", `{"inputs":{"stringInput":"a","dataset":"s3://busy/x.zarr"}}`, "", 429, typeRateLimit},
		{"body too large", "echo", `{"inputs":{"stringInput":"` + strings.Repeat("a", 300) + `"}}`, "", 413, typePayloadTooLarge},
		{"not JSON media", "echo", `{}`, "text/xml", 415, typeUnsupportedMedia},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{}
			if tc.ctype != "" {
				hdr = append(hdr, "Content-Type", tc.ctype)
			}
			r := ts.do("POST", "/processes/"+tc.process+"/execution", tc.body, hdr...)
			if tc.body == "" {
				req, _ := http.NewRequest("POST", ts.URL+"/processes/echo/execution", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = response{status: resp.StatusCode, header: resp.Header, body: b}
			}
			m := wantException(t, r, tc.status, tc.typ)
			if tc.typ == typeInvalidInput && m["input"] == "" {
				t.Errorf("invalid input not named: %v", m)
			}
		})
	}
	r := ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"a","dataset":"s3://busy/x.zarr"}}`)
	if r.header.Get("Retry-After") != "30" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Members of earlier drafts are accepted.
	wantStatus(t, ts.do("POST", "/processes/echo/execution", `{"id":"echo","mode":"auto","inputs":{"stringInput":"a"}}`), 200)
	m := ts.do("POST", "/processes/echo/execution", `{"inputs":{"bogus":1,"stringInput":"a"}}`).json(t)
	if m["input"] != "bogus" || !strings.Contains(m["detail"].(string), "bogus") {
		t.Errorf("exception does not name the input: %v", m)
	}
}

func TestFailedJob(t *testing.T) {
	ts := newTestServer(t, Config{})
	m := wantException(t, ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"a","fail":true}}`), 500, typeJobFailed)
	if !strings.Contains(m["detail"].(string), "precip/0.0.0") {
		t.Errorf("failure detail does not name the chunk: %v", m)
	}
	st := ts.do("GET", "/jobs/job-0001", "").json(t)
	if st["status"] != "failed" || st["message"] != "chunk precip/0.0.0 is corrupt" {
		t.Errorf("failed job %v", st)
	}
	wantException(t, ts.do("GET", "/jobs/job-0001/results", ""), 500, typeJobFailed)
}

func TestJobs(t *testing.T) {
	ts := newTestServer(t, Config{})
	wantException(t, ts.do("GET", "/jobs/nope", ""), 404, typeNoSuchJob)
	wantException(t, ts.do("GET", "/jobs/nope/results", ""), 404, typeNoSuchJob)
	wantException(t, ts.do("DELETE", "/jobs/nope", ""), 404, typeNoSuchJob)
	r := ts.do("GET", "/jobs", "")
	wantStatus(t, r, 200)
	m := r.json(t)
	if js := m["jobs"].([]any); len(js) != 0 {
		t.Errorf("jobs %v", js)
	}
	if ls := links(t, m); ls["self"] == "" || ls["alternate"] == "" {
		t.Errorf("job list links %v", ls)
	}
}

func TestDismiss(t *testing.T) {
	ts := newTestServer(t, Config{})
	wantStatus(t, ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"a","pause":10}}`, "Prefer", "respond-async"), 201)
	r := ts.do("DELETE", "/jobs/job-0001", "")
	wantStatus(t, r, 200)
	m := r.json(t)
	if m["status"] != "dismissed" || m["jobID"] != "job-0001" {
		t.Errorf("dismissed %v", m)
	}
	if st := ts.do("GET", "/jobs/job-0001", "").json(t); st["status"] != "dismissed" {
		t.Errorf("status after dismiss %v", st)
	}
	wantException(t, ts.do("GET", "/jobs/job-0001/results", ""), 410, typeJobDismissed)
	wantException(t, ts.do("GET", "/jobs/job-0001/results/stringOutput", ""), 410, typeJobDismissed)
}

func TestJobListFilters(t *testing.T) {
	ts := newTestServer(t, Config{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := t0
	ts.svc.now = func() time.Time { return clock }
	submit := func(body string, process string, async bool) {
		hdr := []string{}
		if async {
			hdr = []string{"Prefer", "respond-async"}
		}
		r := ts.do("POST", "/processes/"+process+"/execution", body, hdr...)
		if r.status >= 300 && r.status != 201 {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
	}
	// job-0001..0003: echo, successful, created on days 0, 1, 2.
	for i := 0; i < 3; i++ {
		ts.svc.mu.Lock()
		clock = t0.Add(time.Duration(i) * 24 * time.Hour)
		ts.svc.mu.Unlock()
		submit(`{"inputs":{"stringInput":"a"}}`, "echo", false)
	}
	// job-0004: stats, successful, day 3.
	clock = t0.Add(72 * time.Hour)
	submit(`{"inputs":{"values":[1]}}`, "stats", false)
	// job-0005: echo, running for a long time.
	submit(`{"inputs":{"stringInput":"a","pause":30}}`, "echo", true)
	deadline := time.Now().Add(2 * time.Second)
	for ts.do("GET", "/jobs/job-0005", "").json(t)["status"] != "running" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Give job 3 a long duration: started on day 2, finished on day 2 + 2h.
	ts.svc.mu.Lock()
	ts.svc.jobs["job-0003"].job.Finished = ts.svc.jobs["job-0003"].job.Started.Add(2 * time.Hour)
	// job-0006: accepted, never started (as if the queue had not taken it).
	ts.svc.seq++
	ts.svc.jobs["job-0006"] = &fakeJob{done: make(chan struct{}), cancel: func() {}, job: jobs.Job{
		ID: "job-0006", ProcessID: "stats", Status: jobs.StatusAccepted, Created: clock, Updated: clock}}
	ts.svc.mu.Unlock()

	ids := func(q string) []string {
		t.Helper()
		r := ts.do("GET", "/jobs"+q, "")
		wantStatus(t, r, 200)
		var out []string
		for _, j := range r.json(t)["jobs"].([]any) {
			out = append(out, j.(map[string]any)["jobID"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", []string{"job-0005", "job-0004", "job-0003", "job-0002", "job-0001"}},
		{"?status=accepted", []string{"job-0006"}},
		{"?status=running", []string{"job-0005"}},
		{"?status=accepted,running", []string{"job-0006", "job-0005"}},
		{"?status=accepted&status=running", []string{"job-0006", "job-0005"}},
		{"?processID=stats", []string{"job-0004"}},
		{"?processID=stats&status=accepted,successful", []string{"job-0006", "job-0004"}},
		{"?type=process&processID=stats", []string{"job-0004"}},
		{"?type=openeo", nil},
		{"?datetime=2026-01-02T00:00:00Z/2026-01-03T00:00:00Z", []string{"job-0003", "job-0002"}},
		{"?datetime=../2026-01-01T12:00:00Z", []string{"job-0001"}},
		{"?datetime=2026-01-03T00:00:00Z/..", []string{"job-0005", "job-0004", "job-0003"}},
		{"?datetime=2026-01-02", []string{"job-0002"}},
		{"?datetime=2026-01-02T00:00:00Z", []string{"job-0002"}},
		{"?minDuration=3600", []string{"job-0003"}},
		{"?maxDuration=0", []string{"job-0005", "job-0004", "job-0002", "job-0001"}}, // the fake clock stands still
		{"?limit=2", []string{"job-0005", "job-0004"}},
		{"?limit=2&offset=4", []string{"job-0001"}},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("GET /jobs%s: %v, want %v", tc.q, got, tc.want)
		}
	}
	// Paging links walk the whole list and keep the filters.
	var seen []string
	path := "/jobs?limit=2&processID=echo"
	for pages := 0; path != "" && pages < 10; pages++ {
		m := ts.do("GET", path, "").json(t)
		for _, j := range m["jobs"].([]any) {
			seen = append(seen, j.(map[string]any)["jobID"].(string))
		}
		ls := links(t, m)
		if pages > 0 && ls["prev"] == "" {
			t.Errorf("page %d has no prev link", pages)
		}
		path = ""
		if next := ls["next"]; next != "" {
			if !strings.Contains(next, "processID=echo") {
				t.Errorf("next link %q drops the filter", next)
			}
			u, _ := url.Parse(next)
			path = u.RequestURI()
		}
	}
	if want := []string{"job-0005", "job-0003", "job-0002", "job-0001"}; !slices.Equal(seen, want) {
		t.Errorf("paged through %v, want %v", seen, want)
	}
	for _, q := range []string{"?status=done", "?datetime=yesterday", "?datetime=2026-01-03T00:00:00Z/2026-01-01T00:00:00Z",
		"?minDuration=-1", "?maxDuration=x", "?limit=0", "?limit=x", "?offset=-1"} {
		wantException(t, ts.do("GET", "/jobs"+q, ""), 400, typeInvalidQueryParam)
	}
	// A limit over the maximum is clamped, not refused.
	wantStatus(t, ts.do("GET", "/jobs?limit=100000", ""), 200)
}

func TestCallbackSubscriber(t *testing.T) {
	got := make(chan map[string]any, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		got <- m
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()
	ts := newTestServer(t, Config{})
	r := ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"called back"},
		"subscriber":{"successUri":"`+hook.URL+`/done","failedUri":"`+hook.URL+`/failed"}}`, "Prefer", "respond-async")
	wantStatus(t, r, 201)
	sub := ts.svc.submitted[0].Subscriber
	if sub == nil || sub.SuccessURI != hook.URL+"/done" || sub.FailedURI != hook.URL+"/failed" {
		t.Fatalf("subscriber passed to the job system: %+v", sub)
	}
	select {
	case m := <-got:
		if m["stringOutput"] != "called back" {
			t.Errorf("callback body %v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no callback")
	}
}

func TestAuth(t *testing.T) {
	ts := newTestServer(t, Config{Tokens: []string{"alice:s3cret", "plaintoken"}})
	body := `{"inputs":{"stringInput":"a"}}`
	r := ts.do("POST", "/processes/echo/execution", body)
	wantException(t, r, 401, typeUnauthorized)
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	wantException(t, ts.do("POST", "/processes/echo/execution", body, "Authorization", "Bearer wrong"), 401, typeUnauthorized)
	wantException(t, ts.do("POST", "/processes/echo/execution", body, "Authorization", "s3cret"), 401, typeUnauthorized)
	wantStatus(t, ts.do("POST", "/processes/echo/execution", body, "Authorization", "Bearer s3cret"), 200)
	wantStatus(t, ts.do("POST", "/processes/echo/execution", body, "Authorization", "Bearer plaintoken"), 200)
	if c := ts.svc.submitted[0].Client; c != "alice" {
		t.Errorf("client %q, want the token's name", c)
	}
	if c := ts.svc.submitted[1].Client; !strings.HasPrefix(c, "token-") || strings.Contains(c, "plaintoken") {
		t.Errorf("client %q for an unnamed token", c)
	}
	// Reading needs no token; dismissing does.
	wantStatus(t, ts.do("GET", "/jobs/job-0001", ""), 200)
	wantException(t, ts.do("DELETE", "/jobs/job-0001", ""), 401, typeUnauthorized)
	wantStatus(t, ts.do("DELETE", "/jobs/job-0001", "", "Authorization", "Bearer s3cret"), 200)
}

func TestCORS(t *testing.T) {
	ts := newTestServer(t, Config{CORSOrigins: []string{"https://app.example.org"}})
	r := ts.do("GET", "/processes", "", "Origin", "https://app.example.org")
	if r.header.Get("Access-Control-Allow-Origin") != "https://app.example.org" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Location") {
		t.Errorf("CORS headers %v", r.header)
	}
	r = ts.do("OPTIONS", "/processes/echo/execution", "", "Origin", "https://app.example.org",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type,prefer")
	wantStatus(t, r, 204)
	if !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Prefer") {
		t.Errorf("preflight headers %v", r.header)
	}
	r = ts.do("GET", "/processes", "", "Origin", "https://evil.example.com")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS allowed an unlisted origin")
	}
	ts = newTestServer(t, Config{CORSOrigins: []string{"*"}})
	if ts.do("GET", "/", "", "Origin", "https://any.example").header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("wildcard CORS not applied")
	}
}

func TestRoutingErrors(t *testing.T) {
	ts := newTestServer(t, Config{})
	wantException(t, ts.do("GET", "/nowhere", ""), 404, typeNotFound)
	r := ts.do("PUT", "/processes/echo", "")
	wantException(t, r, 405, typeMethodNotAllowed)
	if a := r.header.Get("Allow"); !strings.Contains(a, "GET") {
		t.Errorf("Allow %q", a)
	}
	r = ts.do("GET", "/processes/echo/execution", "")
	wantException(t, r, 405, typeMethodNotAllowed)
	if a := r.header.Get("Allow"); !strings.Contains(a, "POST") || strings.Contains(a, "GET") {
		t.Errorf("Allow %q", a)
	}
	r = ts.do("OPTIONS", "/jobs/x", "")
	wantStatus(t, r, 204)
	if a := r.header.Get("Allow"); !strings.Contains(a, "DELETE") {
		t.Errorf("Allow %q", a)
	}
	r = ts.do("HEAD", "/processes", "")
	wantStatus(t, r, 200)
}

func TestHealthReadyMetrics(t *testing.T) {
	ready := errors.New("dial tcp 127.0.0.1:6379: connection refused")
	var readyErr error
	ts := newTestServer(t, Config{Ready: func(ctx context.Context) error { return readyErr }})
	wantStatus(t, ts.do("GET", "/healthz", ""), 200)
	wantStatus(t, ts.do("GET", "/readyz", ""), 200)
	readyErr = ready
	m := wantException(t, ts.do("GET", "/readyz", ""), 503, typeServiceUnavailable)
	if !strings.Contains(m["detail"].(string), "6379") {
		t.Errorf("readiness detail %v", m)
	}
	wantStatus(t, ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"a"}}`), 200)
	r := ts.do("GET", "/metrics", "")
	wantStatus(t, r, 200)
	body := string(r.body)
	for _, want := range []string{
		`zarrproc_http_requests_total{code="200",route="POST /processes/{processID}/execution"} 1`,
		`zarrproc_http_requests_total{code="503",route="GET /readyz"} 1`,
		`zarrproc_jobs{status="successful"} 1`,
		`zarrproc_http_request_duration_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestHTMLPages(t *testing.T) {
	ts := newTestServer(t, Config{})
	wantStatus(t, ts.do("POST", "/processes/stats/execution", `{"inputs":{"values":[1,2]},"response":"document"}`), 200)
	wantStatus(t, ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"<b>x</b>","pause":10}}`, "Prefer", "respond-async"), 201)
	for _, tc := range []struct {
		path    string
		h1      string
		hrefs   []string
		refresh bool
	}{
		{"/", "zarrproc", []string{"/processes", "/conformance", "/jobs", "/api"}, false},
		{"/conformance", "Conformance classes", []string{"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss"}, false},
		{"/processes", "Processes", []string{"/processes/echo?f=html", "/processes/stats?f=html"}, false},
		{"/processes/stats", "Statistics", []string{"/processes/stats/execution"}, false},
		{"/jobs", "Jobs", []string{"/jobs/job-0001?f=html"}, false},
		{"/jobs?status=running", "Jobs", []string{"/jobs/job-0002?f=html"}, false},
		{"/jobs/job-0001", "Job job-0001", []string{"/jobs/job-0001/results?f=html"}, false},
		{"/jobs/job-0002", "Job job-0002", []string{"/processes/echo?f=html"}, true},
		{"/jobs/job-0001/results", "Results of job job-0001", []string{"/jobs/job-0001?f=html"}, false},
		{"/api", "zarrproc 1.0", []string{"/api?f=json"}, false},
		{"/processes/nope", "404 Not Found", nil, false},
	} {
		r := ts.do("GET", tc.path, "", "Accept", "text/html")
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: content type %q", tc.path, r.header.Get("Content-Type"))
			continue
		}
		doc, err := html.Parse(strings.NewReader(string(r.body)))
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		h1, hrefs, refresh := "", []string{}, false
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "h1":
					h1 = strings.Join(strings.Fields(textOf(n)), " ")
				case "a":
					for _, a := range n.Attr {
						if a.Key == "href" {
							hrefs = append(hrefs, a.Val)
						}
					}
				case "meta":
					for _, a := range n.Attr {
						if a.Key == "http-equiv" && a.Val == "refresh" {
							refresh = true
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if h1 != tc.h1 {
			t.Errorf("%s: h1 %q, want %q", tc.path, h1, tc.h1)
		}
		for _, want := range tc.hrefs {
			if !slices.ContainsFunc(hrefs, func(h string) bool { return strings.HasSuffix(h, want) || h == want }) {
				t.Errorf("%s: no link to %s among %v", tc.path, want, hrefs)
			}
		}
		if refresh != tc.refresh {
			t.Errorf("%s: meta refresh %v, want %v", tc.path, refresh, tc.refresh)
		}
		if tc.path == "/jobs/job-0001/results" && !strings.Contains(string(r.body), "<code>s3://results/job-0001.zarr</code>") {
			t.Errorf("%s: the store's URL is not shown", tc.path)
		}
		if strings.Contains(string(r.body), "<b>x</b>") || strings.Contains(string(r.body), "ZgotmplZ") {
			t.Errorf("%s: input rendered unescaped", tc.path)
		}
	}
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func TestOpenAPIDocument(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.do("GET", "/api", "")
	wantStatus(t, r, 200)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("loading /api: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/api is not a valid OpenAPI document: %v", err)
	}
	if doc.Servers[0].URL != ts.URL {
		t.Errorf("servers %v", doc.Servers[0].URL)
	}
	if enum := doc.Components.Parameters["processID"].Value.Schema.Value.Enum; !slices.Contains(enum, any("echo")) || len(enum) != len(fakeProcesses) {
		t.Errorf("processID takes %v, want this server's processes", enum)
	}
	// Every route the mux serves is in the document, and nothing else.
	s := newServer(newFakeService(), Config{})
	inDoc := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inDoc[method+" "+path] = true
		}
	}
	for _, p := range routePatterns {
		method, path, _ := strings.Cut(p, " ")
		probe := httptest.NewRequest(method, strings.NewReplacer("{processID}", "echo", "{jobID}", "j", "{outputID}", "o").Replace(path), nil)
		if _, pattern := s.mux.Handler(probe); pattern == "/" || pattern == "" {
			t.Errorf("route %s is not served", p)
		}
		if !inDoc[p] {
			t.Errorf("route %s is not in the OpenAPI document", p)
		}
		delete(inDoc, p)
	}
	for op := range inDoc {
		t.Errorf("the OpenAPI document has %s, which is not served", op)
	}
	// Every operation documents its error responses with the exception schema.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if code[0] == '4' || code[0] == '5' {
					if resp.Value.Content.Get(mediaJSON) == nil {
						t.Errorf("%s %s %s: no JSON exception", method, path, code)
					}
				}
			}
		}
	}
}
