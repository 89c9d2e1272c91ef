package ogcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/zarrproc/zarrproc/jobs"
)

// The front end over the real job system (jobs.Queue and an in-process
// jobs.Worker): on miniredis always, and on the redis-server at
// ZARRPROC_TEST_REDIS_URL when it is set. This package's tests take
// database 8 of that server, below the ones the jobs tests use.
const queueTestDB = 8

func queueServer(t *testing.T, rdb redis.UniversalClient) *testServer {
	t.Helper()
	cfg := jobs.Config{
		Redis:         rdb,
		KeyPrefix:     fmt.Sprintf("ogcapi-test:%s:%d:", t.Name(), time.Now().UnixNano()),
		ResultsURL:    "file://" + t.TempDir(),
		AllowedStores: []string{"s3://chirps/"},
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		PollInterval:  20 * time.Millisecond,
		Concurrency:   2,
	}
	q, err := jobs.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	w, err := jobs.NewWorker(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	ts := httptest.NewServer(&documented{t: t, next: New(q, Config{
		Ready: q.Ping, SyncWait: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})})
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, t: t}
}

func TestQueueMiniredis(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close() })
	exerciseQueue(t, queueServer(t, rdb))
}

func TestQueueRedis(t *testing.T) {
	base := os.Getenv("ZARRPROC_TEST_REDIS_URL")
	if base == "" {
		t.Skip("ZARRPROC_TEST_REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("ZARRPROC_TEST_REDIS_URL: %v", err)
	}
	opts.DB = queueTestDB
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	var keys []string
	iter := rdb.Scan(ctx, 0, "asynq:*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("test Redis %s: %v", base, err)
	}
	if len(keys) > 0 {
		rdb.Unlink(ctx, keys...)
	}
	exerciseQueue(t, queueServer(t, rdb))
}

func exerciseQueue(t *testing.T, ts *testServer) {
	wantStatus(t, ts.do("GET", "/readyz", ""), 200)

	// Synchronous, raw, one output.
	r := ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"teststring"}}`)
	wantStatus(t, r, 200)
	if string(r.body) != `"teststring"` || !strings.Contains(r.header.Get("Link"), `rel="monitor"`) {
		t.Errorf("sync raw: %q, Link %q", r.body, r.header.Get("Link"))
	}

	// Asynchronous, then the results as a document.
	r = ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"a","doubleInput":2.5,"pause":0.2},"response":"document"}`,
		"Prefer", "respond-async")
	wantStatus(t, r, 201)
	id := r.json(t)["jobID"].(string)
	if r.header.Get("Location") != ts.URL+"/jobs/"+id {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	st := ts.waitDone(id)
	if st["status"] != "successful" || st["processID"] != "echo" {
		t.Fatalf("job %v", st)
	}
	m := ts.do("GET", "/jobs/"+id+"/results", "").json(t)
	if m["stringInput"] != "a" || m["doubleInput"] != 2.5 {
		t.Errorf("results %v", m)
	}

	// Any output by reference, though the job system only says "value".
	r = ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"r"},"outputs":{"stringInput":{"transmissionMode":"reference"}}}`)
	wantStatus(t, r, 204)
	ref := ""
	for _, l := range r.header.Values("Link") {
		if strings.Contains(l, relResults) {
			ref = strings.TrimPrefix(strings.SplitN(l, ">", 2)[0], "<"+ts.URL)
		}
	}
	if r := ts.do("GET", ref, ""); string(r.body) != `"r"` {
		t.Errorf("output by reference at %q: %d %q", ref, r.status, r.body)
	}

	// The job list has both, newest first; a filter that matches neither.
	js := ts.do("GET", "/jobs?processID=echo&status=successful", "").json(t)["jobs"].([]any)
	if len(js) != 3 || js[0].(map[string]any)["jobID"] == id {
		t.Errorf("job list %v", js)
	}
	if js := ts.do("GET", "/jobs?processID=temporal-aggregate", "").json(t)["jobs"].([]any); len(js) != 0 {
		t.Errorf("filtered job list %v", js)
	}

	// Callbacks: the worker POSTs the results document to successUri.
	got := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		if r.URL.Path == "/done" {
			got <- m
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()
	wantStatus(t, ts.do("POST", "/processes/echo/execution", `{"inputs":{"stringInput":"called back"},
		"subscriber":{"successUri":"`+hook.URL+`/done","inProgressUri":"`+hook.URL+`/running"}}`, "Prefer", "respond-async"), 201)
	select {
	case m := <-got:
		if m["stringInput"] != "called back" {
			t.Errorf("callback body %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Error("no callback from the worker in 10s")
	}

	// Dismissing a running job.
	r = ts.do("POST", "/processes/echo/execution", `{"inputs":{"pause":30}}`, "Prefer", "respond-async")
	wantStatus(t, r, 201)
	id = r.json(t)["jobID"].(string)
	r = ts.do("DELETE", "/jobs/"+id, "")
	wantStatus(t, r, 200)
	if r.json(t)["status"] != "dismissed" {
		t.Errorf("dismissed: %s", r.body)
	}

	// Errors from the job system, mapped.
	m = wantException(t, ts.do("POST", "/processes/echo/execution", `{"inputs":{"doubleInput":"x"}}`), 400, typeInvalidInput)
	if m["input"] != "doubleInput" {
		t.Errorf("invalid input not named: %v", m)
	}
	wantException(t, ts.do("POST", "/processes/temporal-aggregate/execution",
		`{"inputs":{"dataset":"s3://elsewhere/x.zarr","variable":"precip","period":"month"}}`), 403, typeForbidden)
	wantException(t, ts.do("GET", "/jobs/no-such-job", ""), 404, typeNoSuchJob)
	wantException(t, ts.do("GET", "/processes/nope", ""), 404, typeNoSuchProcess)
}
