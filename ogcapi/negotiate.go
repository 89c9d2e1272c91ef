package ogcapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// format is a representation the server offers for its resources.
type format int

const (
	formatJSON format = iota
	formatHTML
)

const (
	mediaJSON    = "application/json"
	mediaHTML    = "text/html"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaProblem = "application/problem+json"
)

// negotiate picks JSON or HTML: the f query parameter wins, then Accept
// (by quality; JSON when tied or absent). Other f values are a 400, an
// Accept header that allows neither a 406.
func negotiate(r *http.Request) (format, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "json":
		return formatJSON, nil
	case "html":
		return formatHTML, nil
	case "":
	default:
		return formatJSON, problem(http.StatusBadRequest, typeInvalidQueryParam,
			"f must be json or html, not "+strconv.Quote(f))
	}
	accept := r.Header.Values("Accept")
	if len(accept) == 0 {
		return formatJSON, nil
	}
	jsonQ, htmlQ := -1.0, -1.0
	for _, header := range accept {
		for _, rng := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
			switch {
			case mt == mediaJSON || strings.HasSuffix(mt, "+json") || mt == "application/*":
				jsonQ = max(jsonQ, q)
			case mt == mediaHTML || mt == "application/xhtml+xml" || mt == "text/*":
				htmlQ = max(htmlQ, q)
			case mt == "*/*":
				// A wildcard prefers nothing: JSON unless HTML is named.
				jsonQ = max(jsonQ, q*0.99)
				htmlQ = max(htmlQ, q*0.98)
			}
		}
	}
	switch {
	case htmlQ > jsonQ && htmlQ > 0:
		return formatHTML, nil
	case jsonQ > 0:
		return formatJSON, nil
	}
	return formatJSON, problem(http.StatusNotAcceptable, typeNotAcceptable,
		"this resource is available as application/json or text/html")
}

// writeJSON writes v as JSON with status and content type.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// respond writes v as JSON or renders page with it, as negotiated.
func (s *server) respond(w http.ResponseWriter, r *http.Request, status int, page string, v any) error {
	f, err := negotiate(r)
	if err != nil {
		return err
	}
	w.Header().Add("Vary", "Accept")
	if f == formatHTML {
		return s.render(w, r, status, page, v)
	}
	return writeJSON(w, status, mediaJSON, v)
}

// writeError writes err as an OGC exception: JSON, or an HTML page when the
// client asked for HTML.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ex := toException(err)
	if ex.Status == 0 {
		ex.Status = http.StatusInternalServerError
	}
	if ex.Title == "" {
		ex.Title = http.StatusText(ex.Status)
	}
	if ex.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(ex.retryAfter.Seconds()+0.5)))
	}
	if ex.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if f, nerr := negotiate(r); nerr == nil && f == formatHTML {
		if rerr := s.render(w, r, ex.Status, "error", ex); rerr == nil {
			return
		}
	}
	// application/json rather than application/problem+json: the ETS and
	// most OGC clients expect the former for exceptions.
	_ = writeJSON(w, ex.Status, mediaJSON, ex)
}
