package ogcapi

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// documented wraps the handler of a test server so that every response any
// test gets is checked against the OpenAPI document: its status code is
// listed for the operation, and a JSON body matches the schema.
type documented struct {
	t      *testing.T
	next   http.Handler
	once   sync.Once
	router routers.Router
}

func (d *documented) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	d.next.ServeHTTP(rec, r)
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	d.check(r, rec)
}

func (d *documented) check(r *http.Request, rec *httptest.ResponseRecorder) {
	d.once.Do(func() {
		doc, err := loadAPIDoc()
		if err != nil {
			d.t.Errorf("OpenAPI document: %v", err)
			return
		}
		doc.doc.Servers = openapi3.Servers{{URL: "http://" + r.Host}}
		if d.router, err = legacy.NewRouter(doc.doc); err != nil {
			d.t.Errorf("OpenAPI router: %v", err)
		}
	})
	if d.router == nil || r.Method == http.MethodOptions || r.Method == http.MethodHead {
		return
	}
	// A server's request has only a path; the router matches whole URLs.
	full := r.Clone(r.Context())
	full.URL.Scheme, full.URL.Host = "http", r.Host
	route, params, err := d.router.FindRoute(full)
	if err != nil {
		return // a path or method the document does not have: 404 and 405 tests
	}
	mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: full, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			// Only JSON bodies have schemas worth checking here.
			ExcludeResponseBody: mt != mediaJSON,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "\nSchema:"); i > 0 {
			msg = msg[:i]
		}
		d.t.Errorf("%s %s → %d does not match the OpenAPI document: %s", r.Method, r.URL, rec.Code, msg)
	}
}
