package ogcapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zarrproc/zarrproc/jobs"
)

// executeRequest is execute.yaml of 1.0.
// Members it does not define are refused (a misspelt "inputs" must not run
// the process without its inputs), except those of earlier drafts that
// clients still send and that change nothing here.
type executeRequest struct {
	Inputs     map[string]any           `json:"inputs"`
	Outputs    map[string]outputRequest `json:"outputs"`
	Response   string                   `json:"response"`
	Subscriber *jobs.Subscriber         `json:"subscriber"`
	DraftID    any                      `json:"id,omitempty"`
	DraftMode  any                      `json:"mode,omitempty"`
}

type outputRequest struct {
	Format           map[string]any `json:"format,omitempty"`
	TransmissionMode string         `json:"transmissionMode,omitempty"`
}

// resultPrefs is how a job's results are to be returned: response raw or
// document, and the requested outputs with their transmission modes (all
// outputs by value when Outputs is nil).
type resultPrefs struct {
	Response string
	Outputs  map[string]string
}

// preferences is the parsed Prefer header (RFC 7240).
type preferences struct {
	async bool
	wait  time.Duration
}

func parsePrefer(h []string) preferences {
	var p preferences
	for _, v := range h {
		for _, pref := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(pref), "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if i := strings.IndexByte(val, ';'); i >= 0 {
				val = val[:i]
			}
			switch name {
			case "respond-async":
				p.async = true
			case "wait":
				if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`)); err == nil && n >= 0 {
					p.wait = time.Duration(n) * time.Second
				}
			}
		}
	}
	return p
}

func (s *server) execute(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("processID")
	desc, err := s.svc.Process(id)
	if err != nil {
		return err
	}
	desc.ProcessSummary = withDefaults(desc.ProcessSummary)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != mediaJSON && !strings.HasSuffix(mt, "+json")) {
			return problem(http.StatusUnsupportedMediaType, typeUnsupportedMedia,
				"an execute request is application/json, not "+strconv.Quote(ct))
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return fmt.Errorf("reading the execute request: %w", err)
	}
	req, prefs, err := parseExecute(body, desc)
	if err != nil {
		return err
	}
	pref := parsePrefer(r.Header.Values("Prefer"))
	canSync := slices.Contains(desc.JobControlOptions, "sync-execute")
	canAsync := slices.Contains(desc.JobControlOptions, "async-execute")
	async := canAsync && (pref.async || !canSync)
	job, err := s.svc.Submit(r.Context(), id, req.Inputs, jobs.SubmitOptions{
		Async: async, Subscriber: req.Subscriber, Client: client(r),
	})
	if err != nil {
		return err
	}
	noteJob(r, job.ID)
	s.prefs.put(job.ID, prefs)
	base := s.baseURL(r)
	if async {
		if pref.async {
			w.Header().Set("Preference-Applied", "respond-async")
		}
		return s.created(w, r, base, job)
	}
	wait := s.cfg.SyncWait
	if pref.wait > 0 && pref.wait < wait {
		wait = pref.wait
		w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(pref.wait/time.Second)))
	}
	job, err = s.svc.Wait(r.Context(), job.ID, wait)
	if err != nil {
		return err
	}
	w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="monitor"; type="%s"`, jobURL(base, job.ID), mediaJSON))
	if !job.Status.Done() {
		// Outlived the wait: answer as if asked for async, so the client
		// can follow the job instead of holding a connection open.
		return s.created(w, r, base, job)
	}
	outs, err := s.outputs(r.Context(), job)
	if err != nil {
		return err
	}
	return s.writeResults(w, r, job, outs, prefs)
}

// created answers 201 with the job's status and its URL in Location.
func (s *server) created(w http.ResponseWriter, r *http.Request, base string, j *jobs.Job) error {
	w.Header().Set("Location", jobURL(base, j.ID))
	return writeJSON(w, http.StatusCreated, mediaJSON, toStatusInfo(base, j))
}

// parseExecute decodes and checks an execute request against the process
// description; the inputs themselves are the job system's to validate.
func parseExecute(body []byte, desc jobs.ProcessDescription) (executeRequest, resultPrefs, error) {
	var req executeRequest
	bad := func(format string, a ...any) error {
		return problem(http.StatusBadRequest, typeInvalidRequest, fmt.Sprintf(format, a...))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, resultPrefs{}, bad("the execute request has no body (an empty one is {})")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, resultPrefs{}, bad("the execute request is not a JSON execute document: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return req, resultPrefs{}, bad("the execute request has more than one JSON value")
	}
	if req.Inputs == nil {
		req.Inputs = map[string]any{}
	}
	prefs := resultPrefs{Response: req.Response}
	switch req.Response {
	case "":
		prefs.Response = "raw"
	case "raw", "document":
	default:
		return req, prefs, bad("response must be raw or document, not %q", req.Response)
	}
	if len(req.Outputs) > 0 {
		prefs.Outputs = make(map[string]string, len(req.Outputs))
		for _, name := range slices.Sorted(maps.Keys(req.Outputs)) {
			o := req.Outputs[name]
			if _, ok := desc.Outputs[name]; !ok {
				return req, prefs, &exception{Type: typeNoSuchOutput, Title: "Bad Request", Status: http.StatusBadRequest,
					Detail: fmt.Sprintf("process %s has no output %q", desc.ID, name)}
			}
			mode := o.TransmissionMode
			switch mode {
			case "":
				mode = "value"
			case "value", "reference":
			default:
				return req, prefs, bad("outputs.%s.transmissionMode must be value or reference, not %q", name, mode)
			}
			if len(desc.OutputTransmission) > 0 && !slices.Contains(desc.OutputTransmission, mode) {
				return req, prefs, bad("process %s does not return outputs by %s", desc.ID, mode)
			}
			prefs.Outputs[name] = mode
		}
	}
	if sub := req.Subscriber; sub != nil {
		for name, u := range map[string]string{"successUri": sub.SuccessURI, "inProgressUri": sub.InProgressURI, "failedUri": sub.FailedURI} {
			if u == "" {
				continue
			}
			p, err := url.Parse(u)
			if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
				return req, prefs, bad("subscriber.%s must be an absolute http(s) URL, not %q", name, u)
			}
		}
	}
	return req, prefs, nil
}

// output is one result of a job, normalised: a value with its media type,
// or a link to it.
type output struct {
	id        string
	value     any
	mediaType string
	href      string
}

// output interprets a job output: a {"href": ...} object is a link (the
// job system writes Zarr stores and gives their URL), {"value": ...,
// "mediaType": ...} a qualified value, anything else a plain value whose
// media type comes from the output's schema.
func (s *server) output(processID, id string, v any) output {
	o := output{id: id, value: v}
	if m, ok := v.(map[string]any); ok {
		if href, ok := m["href"].(string); ok && href != "" {
			o.href = href
			o.mediaType, _ = m["type"].(string)
			return o
		}
		if val, ok := m["value"]; ok {
			if mt, ok := m["mediaType"].(string); ok && mt != "" {
				o.value, o.mediaType = val, mt
				return o
			}
		}
	}
	if desc, err := s.svc.Process(processID); err == nil {
		if od, ok := desc.Outputs[id]; ok {
			if mt, ok := od.Schema["contentMediaType"].(string); ok {
				o.mediaType = mt
			}
		}
	}
	if o.mediaType == "" {
		// A plain value is a JSON value of the job system: JSON is its
		// native type (the ETS parses every raw result as JSON).
		o.mediaType = mediaJSON
	}
	return o
}

// asText returns o as text/plain when it is a string sent as JSON only by
// default and the client ranks text/plain above JSON.
func asText(r *http.Request, o output) output {
	if _, isString := o.value.(string); !isString || o.mediaType != mediaJSON {
		return o
	}
	textQ, jsonQ := -1.0, -1.0
	for _, header := range r.Header.Values("Accept") {
		for _, rng := range strings.Split(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			q := 1.0
			if v, err := strconv.ParseFloat(params["q"], 64); err == nil {
				q = v
			}
			switch mt {
			case "text/plain":
				textQ = max(textQ, q)
			case mediaJSON:
				jsonQ = max(jsonQ, q)
			}
		}
	}
	if textQ > jsonQ && textQ > 0 {
		o.mediaType = "text/plain; charset=utf-8"
	}
	return o
}

// encodeValue returns the bytes of a value in its media type: strings as
// they are for non-JSON types, JSON otherwise.
func encodeValue(o output) ([]byte, error) {
	if str, ok := o.value.(string); ok && !isJSONMedia(o.mediaType) {
		return []byte(str), nil
	}
	return json.Marshal(o.value)
}

func isJSONMedia(mt string) bool {
	base, _, _ := mime.ParseMediaType(mt)
	return base == mediaJSON || strings.HasSuffix(base, "+json")
}

func writeValue(w http.ResponseWriter, status int, o output) error {
	b, err := encodeValue(o)
	if err != nil {
		return fmt.Errorf("encoding output %s: %w", o.id, err)
	}
	w.Header().Set("Content-Type", o.mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// referenceURL is where an output transmitted by reference can be fetched.
func referenceURL(base, jobID string, o output) string {
	if o.href != "" {
		return o.href
	}
	return jobURL(base, jobID) + "/results/" + url.PathEscape(o.id)
}

// writeResults answers with a successful job's outputs as 1.0's table of
// execute responses says: document → 200 JSON results; raw → the value
// (one output), multipart/related (several), or 204 with one Link header
// per output when all go by reference.
func (s *server) writeResults(w http.ResponseWriter, r *http.Request, j *jobs.Job, outs map[string]any, prefs resultPrefs) error {
	base := s.baseURL(r)
	names := slices.Sorted(maps.Keys(outs))
	if prefs.Outputs != nil {
		names = slices.DeleteFunc(names, func(n string) bool { _, ok := prefs.Outputs[n]; return !ok })
	}
	selected := make([]output, 0, len(names))
	byRef := make(map[string]bool, len(names))
	for _, n := range names {
		o := s.output(j.ProcessID, n, outs[n])
		selected = append(selected, o)
		byRef[n] = o.href != "" || prefs.Outputs[n] == "reference"
	}
	if f, err := negotiate(r); err == nil && f == formatHTML || prefs.Response == "document" {
		doc := make(map[string]any, len(selected))
		for _, o := range selected {
			switch {
			case byRef[o.id]:
				doc[o.id] = link{Href: referenceURL(base, j.ID, o), Type: o.mediaType, Title: o.id}
			case isObject(o.value):
				doc[o.id] = map[string]any{"value": o.value, "mediaType": o.mediaType}
			default:
				doc[o.id] = o.value
			}
		}
		return s.respond(w, r, http.StatusOK, "results", resultsPage{Job: toStatusInfo(base, j), Outputs: doc})
	}
	allRef := len(selected) > 0
	for _, o := range selected {
		allRef = allRef && byRef[o.id]
	}
	switch {
	case len(selected) == 0:
		w.WriteHeader(http.StatusNoContent)
		return nil
	case allRef:
		for _, o := range selected {
			w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="%s"; type="%s"; title="%s"`,
				referenceURL(base, j.ID, o), relResults, o.mediaType, o.id))
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case len(selected) == 1:
		return writeValue(w, http.StatusOK, asText(r, selected[0]))
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, o := range selected {
		h := textproto.MIMEHeader{}
		h.Set("Content-ID", "<"+o.id+">")
		var b []byte
		if byRef[o.id] {
			h.Set("Content-Location", referenceURL(base, j.ID, o))
			h.Set("Content-Type", o.mediaType)
		} else {
			var err error
			if b, err = encodeValue(o); err != nil {
				return fmt.Errorf("encoding output %s: %w", o.id, err)
			}
			h.Set("Content-Type", o.mediaType)
		}
		part, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := part.Write(b); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "multipart/related; boundary="+mw.Boundary())
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// resultsPage is what the results HTML page shows; its JSON form is the
// results document itself.
type resultsPage struct {
	Job     statusInfo
	Outputs map[string]any
}

func (p resultsPage) MarshalJSON() ([]byte, error) { return json.Marshal(p.Outputs) }
