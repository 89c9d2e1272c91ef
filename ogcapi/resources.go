package ogcapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/zarrproc/zarrproc/jobs"
)

// Link relations of OGC API – Processes 1.0 (clause 5) beside IANA ones.
const (
	relConformance = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
	relProcesses   = "http://www.opengis.net/def/rel/ogc/1.0/processes"
	relJobList     = "http://www.opengis.net/def/rel/ogc/1.0/job-list"
	relExecute     = "http://www.opengis.net/def/rel/ogc/1.0/execute"
	relResults     = "http://www.opengis.net/def/rel/ogc/1.0/results"
	relProcessDesc = "http://www.opengis.net/def/rel/ogc/1.0/process-desc"
)

// conformsTo lists the conformance classes, every one of Part 1 1.0.
var conformsTo = []string{
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback",
	"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
}

// link is link.yaml of OGC API Common.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel,omitempty"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// selfLinks returns self and alternate links for a resource at path (with
// query q, without f), self in the format being served.
func selfLinks(r *http.Request, base, path string, q url.Values) []link {
	f, _ := negotiate(r)
	with := func(fv string) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "f" {
				v[k] = vs
			}
		}
		v.Set("f", fv)
		return base + path + "?" + v.Encode()
	}
	jsonLink := link{Href: with("json"), Type: mediaJSON, Title: "this document as JSON"}
	htmlLink := link{Href: with("html"), Type: mediaHTML, Title: "this document as HTML"}
	if f == formatHTML {
		htmlLink.Rel, jsonLink.Rel = "self", "alternate"
		return []link{htmlLink, jsonLink}
	}
	jsonLink.Rel, htmlLink.Rel = "self", "alternate"
	return []link{jsonLink, htmlLink}
}

type landingPage struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Links       []link `json:"links"`
}

func (s *server) landing(w http.ResponseWriter, r *http.Request) error {
	base := s.baseURL(r)
	links := selfLinks(r, base, "/", nil)
	links = append(links,
		link{Href: base + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "the API definition (OpenAPI 3.0)"},
		link{Href: base + "/api?f=html", Rel: "service-doc", Type: mediaHTML, Title: "the API documentation"},
		link{Href: base + "/conformance", Rel: relConformance, Type: mediaJSON, Title: "conformance classes"},
		link{Href: base + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "conformance classes"},
		link{Href: base + "/processes", Rel: relProcesses, Type: mediaJSON, Title: "processes"},
		// The short relation too: some ETS versions look for "processes".
		link{Href: base + "/processes", Rel: "processes", Type: mediaJSON, Title: "processes"},
		link{Href: base + "/jobs", Rel: relJobList, Type: mediaJSON, Title: "jobs"},
	)
	return s.respond(w, r, http.StatusOK, "landing", landingPage{
		Title: s.cfg.Title, Description: s.cfg.Description, Links: links,
	})
}

type confClasses struct {
	ConformsTo []string `json:"conformsTo"`
	Links      []link   `json:"links,omitempty"`
}

func (s *server) conformance(w http.ResponseWriter, r *http.Request) error {
	return s.respond(w, r, http.StatusOK, "conformance", confClasses{
		ConformsTo: conformsTo,
		Links:      selfLinks(r, s.baseURL(r), "/conformance", nil),
	})
}

// processSummary is processSummary.yaml: the job system's summary plus links.
type processSummary struct {
	jobs.ProcessSummary
	Links []link `json:"links"`
}

type processDescription struct {
	jobs.ProcessDescription
	Links []link `json:"links"`
}

type processList struct {
	Processes []processSummary `json:"processes"`
	Links     []link           `json:"links"`
}

func processLinks(base, id string) []link {
	p := base + "/processes/" + url.PathEscape(id)
	return []link{
		{Href: p, Rel: relProcessDesc, Type: mediaJSON, Title: "process description"},
		{Href: p + "/execution", Rel: relExecute, Type: mediaJSON, Title: "execute the process"},
	}
}

func (s *server) processList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset, err := paging(q, 100, 10000)
	if err != nil {
		return err
	}
	all := s.svc.Processes()
	base := s.baseURL(r)
	list := processList{Processes: []processSummary{}}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		p := all[i]
		p.ProcessSummary = withDefaults(p.ProcessSummary)
		list.Processes = append(list.Processes, processSummary{ProcessSummary: p.ProcessSummary, Links: processLinks(base, p.ID)})
	}
	list.Links = append(selfLinks(r, base, "/processes", q), pageLinks(base, "/processes", q, limit, offset, len(all))...)
	return s.respond(w, r, http.StatusOK, "processes", list)
}

func (s *server) processDescription(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("processID")
	p, err := s.svc.Process(id)
	if err != nil {
		return err
	}
	p.ProcessSummary = withDefaults(p.ProcessSummary)
	base := s.baseURL(r)
	links := append(selfLinks(r, base, "/processes/"+url.PathEscape(id), nil), processLinks(base, id)[1])
	return s.respond(w, r, http.StatusOK, "process", processDescription{ProcessDescription: p, Links: links})
}

// withDefaults fills the lists 1.0 requires to be explicit (no defaults since
// the 2021 change), should the job system leave them empty, and adds
// transmission by reference, which this server offers for every output
// (GET /jobs/{jobID}/results/{outputID}).
func withDefaults(p jobs.ProcessSummary) jobs.ProcessSummary {
	if len(p.JobControlOptions) == 0 {
		p.JobControlOptions = []string{"sync-execute", "async-execute", "dismiss"}
	}
	if len(p.OutputTransmission) == 0 {
		p.OutputTransmission = []string{"value"}
	}
	if !slices.Contains(p.OutputTransmission, "reference") {
		p.OutputTransmission = append(slices.Clone(p.OutputTransmission), "reference")
	}
	return p
}

// paging reads limit (1..max, default def; larger values are clamped, as
// 1.0 allows) and offset (>= 0).
func paging(q url.Values, def, maxLimit int) (limit, offset int, err error) {
	limit = def
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, problem(http.StatusBadRequest, typeInvalidQueryParam,
				"limit must be an integer from 1 to "+strconv.Itoa(maxLimit)+", not "+strconv.Quote(v))
		}
		limit = min(n, maxLimit)
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, problem(http.StatusBadRequest, typeInvalidQueryParam,
				"offset must be a non-negative integer, not "+strconv.Quote(v))
		}
		offset = n
	}
	return limit, offset, nil
}

// pageLinks returns next and prev links for a page of a list of total items.
func pageLinks(base, path string, q url.Values, limit, offset, total int) []link {
	at := func(off int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("limit", strconv.Itoa(limit))
		v.Set("offset", strconv.Itoa(off))
		return base + path + "?" + v.Encode()
	}
	var links []link
	if offset+limit < total {
		links = append(links, link{Href: at(offset + limit), Rel: "next", Type: mediaJSON, Title: "next page"})
	}
	if offset > 0 {
		links = append(links, link{Href: at(max(0, offset-limit)), Rel: "prev", Type: mediaJSON, Title: "previous page"})
	}
	return links
}
