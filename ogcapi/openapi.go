package ogcapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/zarrproc/zarrproc/jobs"
)

// openapiYAML is the OpenAPI 3.0 definition of this server, written by hand
// beside the handlers it describes; a test checks it is valid and covers
// every route.
//
//go:embed openapi.yaml
var openapiYAML []byte

// apiDoc is the parsed definition, kept as generic JSON so each response
// can carry its own servers entry.
type apiDoc struct {
	doc  *openapi3.T
	json map[string]any
}

func loadAPIDoc() (*apiDoc, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("loading openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validating openapi.yaml: %w", err)
	}
	b, err := doc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encoding openapi.yaml as JSON: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding openapi.yaml as JSON: %w", err)
	}
	return &apiDoc{doc: doc, json: m}, nil
}

// mustLoadAPIDoc panics on a definition that does not load: that is a bug
// in the embedded file, caught by any test.
func mustLoadAPIDoc() *apiDoc {
	d, err := loadAPIDoc()
	if err != nil {
		panic(err)
	}
	return d
}

// apiOperation is one operation on the HTML API page.
type apiOperation struct {
	Method, Path, Summary, Description string
	Auth                               bool
	Params                             []*openapi3.Parameter
	Responses                          []string
}

type apiPage struct {
	Title, Version, Description string
	Operations                  []apiOperation
}

func (d *apiDoc) page() apiPage {
	p := apiPage{Title: d.doc.Info.Title, Version: d.doc.Info.Version, Description: d.doc.Info.Description}
	paths := d.doc.Paths.InMatchingOrder()
	slices.Sort(paths)
	for _, path := range paths {
		item := d.doc.Paths.Value(path)
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			o := apiOperation{Method: method, Path: path, Summary: op.Summary, Description: op.Description}
			o.Auth = op.Security != nil && len(*op.Security) > 0
			for _, pr := range op.Parameters {
				if pr.Value != nil {
					o.Params = append(o.Params, pr.Value)
				}
			}
			for code := range op.Responses.Map() {
				o.Responses = append(o.Responses, code)
			}
			slices.Sort(o.Responses)
			p.Operations = append(p.Operations, o)
		}
	}
	return p
}

func (s *server) apiDefinition(w http.ResponseWriter, r *http.Request) error {
	f, err := negotiate(r)
	if err != nil {
		return err
	}
	w.Header().Add("Vary", "Accept")
	if f == formatHTML {
		return s.render(w, r, http.StatusOK, "api", s.api.page())
	}
	doc, err := s.api.forServer(s.baseURL(r), s.svc.Processes())
	if err != nil {
		return err
	}
	ct := mediaOpenAPI
	if strings.Contains(r.Header.Get("Accept"), mediaJSON) && !strings.Contains(r.Header.Get("Accept"), "openapi") {
		ct = mediaJSON
	}
	return writeJSON(w, http.StatusOK, ct, doc)
}

// forServer returns a copy of the definition for one server: its URL, and
// the identifiers of its processes as the values processID takes (the
// document then says exactly which paths exist, which clients and fuzzers
// use).
func (d *apiDoc) forServer(base string, processes []jobs.ProcessDescription) (map[string]any, error) {
	b, err := json.Marshal(d.json)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	doc["servers"] = []map[string]string{{"url": base}}
	if len(processes) == 0 {
		return doc, nil
	}
	ids := make([]any, len(processes))
	for i, p := range processes {
		ids[i] = p.ID
	}
	if comps, ok := doc["components"].(map[string]any); ok {
		if params, ok := comps["parameters"].(map[string]any); ok {
			if p, ok := params["processID"].(map[string]any); ok {
				p["schema"] = map[string]any{"type": "string", "enum": ids}
			}
		}
	}
	return doc, nil
}
