package ogcapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the HTML templates, each one file defining "content" (and
// optionally "head") inside the shared layout.
var pages = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"json": func(v any) string {
			b, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				return err.Error()
			}
			return string(b)
		},
		"time": func(t *time.Time) string {
			if t == nil {
				return "–"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"join":   strings.Join,
		"isLink": func(v any) bool { _, ok := v.(link); return ok },
		// webURL tells links a browser can follow from store URLs (s3://,
		// gs://) shown as text.
		"webURL": func(u string) bool { return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") },
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+e.Name()))
	}
	return out
}()

// pageData is what every page template gets.
type pageData struct {
	Title string
	Base  string
	Data  any
	// Refresh, when set, reloads the page after that many seconds (a job
	// still running).
	Refresh int
}

func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, v any) error {
	t, ok := pages[page]
	if !ok {
		return problem(http.StatusNotAcceptable, typeNotAcceptable, "no HTML page for this resource")
	}
	d := pageData{Title: s.cfg.Title, Base: s.baseURL(r), Data: v}
	if si, ok := v.(statusInfo); ok && !si.Status.Done() {
		d.Refresh = 2
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", d); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}
