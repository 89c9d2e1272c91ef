package ogcapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zarrproc/zarrproc/jobs"
)

// statusInfo is statusInfo.yaml of 1.0 (processID always set: job-list).
type statusInfo struct {
	JobID     string      `json:"jobID"`
	Type      string      `json:"type"`
	ProcessID string      `json:"processID"`
	Status    jobs.Status `json:"status"`
	Message   string      `json:"message,omitempty"`
	Created   *time.Time  `json:"created,omitempty"`
	Started   *time.Time  `json:"started,omitempty"`
	Finished  *time.Time  `json:"finished,omitempty"`
	Updated   *time.Time  `json:"updated,omitempty"`
	Progress  int         `json:"progress"`
	Links     []link      `json:"links"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// jobURL is the URL of a job's status.
func jobURL(base, id string) string { return base + "/jobs/" + url.PathEscape(id) }

func toStatusInfo(base string, j *jobs.Job) statusInfo {
	u := jobURL(base, j.ID)
	links := []link{
		{Href: u, Rel: "self", Type: mediaJSON, Title: "job status"},
		{Href: u + "?f=html", Rel: "alternate", Type: mediaHTML, Title: "job status as HTML"},
		{Href: base + "/processes/" + url.PathEscape(j.ProcessID), Rel: "up", Type: mediaJSON, Title: "the process"},
	}
	if j.Status == jobs.StatusSuccessful {
		links = append(links, link{Href: u + "/results", Rel: relResults, Type: mediaJSON, Title: "job results"})
	}
	return statusInfo{
		JobID: j.ID, Type: "process", ProcessID: j.ProcessID, Status: j.Status, Message: j.Message,
		Created: timePtr(j.Created), Started: timePtr(j.Started), Finished: timePtr(j.Finished),
		Updated: timePtr(j.Updated), Progress: min(max(j.Progress, 0), 100), Links: links,
	}
}

type jobList struct {
	Jobs  []statusInfo `json:"jobs"`
	Links []link       `json:"links"`
}

// defaultStatuses are those a job list shows when status is not given: 1.0
// leaves accepted jobs out by default.
var defaultStatuses = []jobs.Status{jobs.StatusRunning, jobs.StatusSuccessful, jobs.StatusFailed, jobs.StatusDismissed}

// listValues returns the values of a parameter given repeated or
// comma-separated (both are found in clients of 1.0's "array" parameters).
func listValues(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// jobFilter reads the job-list query parameters. ok is false when the type
// filter excludes every job this server has (all are of type process).
func jobFilter(q url.Values) (f jobs.ListFilter, ok bool, err error) {
	bad := func(name, v, want string) error {
		return problem(http.StatusBadRequest, typeInvalidQueryParam,
			name+" must be "+want+", not "+strconv.Quote(v))
	}
	ok = true
	if types := listValues(q, "type"); len(types) > 0 && !slices.Contains(types, "process") {
		ok = false
	}
	f.ProcessIDs = listValues(q, "processID")
	for _, v := range listValues(q, "status") {
		st := jobs.Status(v)
		switch st {
		case jobs.StatusAccepted, jobs.StatusRunning, jobs.StatusSuccessful, jobs.StatusFailed, jobs.StatusDismissed:
			f.Statuses = append(f.Statuses, st)
		default:
			return f, false, bad("status", v, "accepted, running, successful, failed or dismissed")
		}
	}
	if len(f.Statuses) == 0 {
		f.Statuses = slices.Clone(defaultStatuses)
	}
	if v := q.Get("datetime"); v != "" {
		from, to, err := parseInterval(v)
		if err != nil {
			return f, false, bad("datetime", v, "an RFC 3339 instant or an interval START/END with .. for an open end")
		}
		f.From, f.To = from, to
	}
	dur := func(name string) (time.Duration, bool, error) {
		v := q.Get(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > int64(time.Duration(1<<62)/time.Second) {
			return 0, false, bad(name, v, "a non-negative integer number of seconds")
		}
		return time.Duration(n) * time.Second, true, nil
	}
	if d, set, err := dur("minDuration"); err != nil {
		return f, false, err
	} else if set {
		f.MinDuration = d
	}
	if d, set, err := dur("maxDuration"); err != nil {
		return f, false, err
	} else if set {
		// The job system reads 0 as "no bound"; maxDuration=0 means jobs
		// that took no time at all, which one nanosecond says.
		f.MaxDuration = max(d, time.Nanosecond)
	}
	f.Limit, f.Offset, err = paging(q, 10, 10000)
	if err != nil {
		return f, false, err
	}
	return f, ok, nil
}

// parseInterval parses an RFC 3339 instant or interval (a/b, ../b, a/..,
// /b, a/); dates without a time are whole UTC days.
func parseInterval(v string) (from, to time.Time, err error) {
	a, b, isInterval := strings.Cut(v, "/")
	if !isInterval {
		t, err := parseInstant(a, false)
		if err != nil {
			return from, to, err
		}
		if len(a) == len(time.DateOnly) {
			return t, t.Add(24*time.Hour - time.Nanosecond), nil
		}
		return t, t, nil
	}
	if a != "" && a != ".." {
		if from, err = parseInstant(a, false); err != nil {
			return from, to, err
		}
	}
	if b != "" && b != ".." {
		if to, err = parseInstant(b, true); err != nil {
			return from, to, err
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, strconv.ErrRange
	}
	return from, to, nil
}

func parseInstant(v string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, err
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

func (s *server) jobList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, ok, err := jobFilter(q)
	if err != nil {
		return err
	}
	var list []*jobs.Job
	total := 0
	if ok {
		if list, total, err = s.svc.List(r.Context(), f); err != nil {
			return err
		}
	}
	base := s.baseURL(r)
	out := jobList{Jobs: []statusInfo{}}
	for _, j := range list {
		out.Jobs = append(out.Jobs, toStatusInfo(base, j))
	}
	out.Links = append(selfLinks(r, base, "/jobs", q), pageLinks(base, "/jobs", q, f.Limit, f.Offset, total)...)
	return s.respond(w, r, http.StatusOK, "jobs", out)
}

func (s *server) jobStatus(w http.ResponseWriter, r *http.Request) error {
	return s.jobReply(w, r, s.svc.Job)
}

// dismiss cancels a running job or removes a finished one (Dismiss class);
// the job system decides what becomes of outputs already written.
func (s *server) dismiss(w http.ResponseWriter, r *http.Request) error {
	return s.jobReply(w, r, s.svc.Dismiss)
}

// jobReply answers with the status of the path's job after op (reading it,
// or dismissing it).
func (s *server) jobReply(w http.ResponseWriter, r *http.Request, op func(context.Context, string) (*jobs.Job, error)) error {
	id := r.PathValue("jobID")
	noteJob(r, id)
	j, err := op(r.Context(), id)
	if err != nil {
		return err
	}
	return s.respond(w, r, http.StatusOK, "job", toStatusInfo(s.baseURL(r), j))
}

func (s *server) jobResults(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("jobID")
	noteJob(r, id)
	j, err := s.svc.Job(r.Context(), id)
	if err != nil {
		return err
	}
	outs, err := s.outputs(r.Context(), j)
	if err != nil {
		return err
	}
	prefs, known := s.prefs.get(id)
	if !known {
		prefs = resultPrefs{Response: "document"}
	}
	return s.writeResults(w, r, j, outs, prefs)
}

// jobResult serves one output of a job: what by-reference links point at
// when the output is a value the job system holds rather than a URL.
func (s *server) jobResult(w http.ResponseWriter, r *http.Request) error {
	id, out := r.PathValue("jobID"), r.PathValue("outputID")
	noteJob(r, id)
	j, err := s.svc.Job(r.Context(), id)
	if err != nil {
		return err
	}
	outs, err := s.outputs(r.Context(), j)
	if err != nil {
		return err
	}
	v, ok := outs[out]
	if !ok {
		return problem(http.StatusNotFound, typeNoSuchOutput, "job "+id+" has no output "+strconv.Quote(out))
	}
	o := s.output(j.ProcessID, out, v)
	if o.href != "" {
		http.Redirect(w, r, o.href, http.StatusSeeOther)
		return nil
	}
	return writeValue(w, http.StatusOK, asText(r, o))
}

// outputs returns a job's outputs; a dismissed job's are gone (410), which
// the job system reports as a failure.
func (s *server) outputs(ctx context.Context, j *jobs.Job) (map[string]any, error) {
	if j.Status == jobs.StatusDismissed {
		return nil, fmt.Errorf("job %s was dismissed: %w", j.ID, errDismissed)
	}
	return s.svc.Results(ctx, j.ID)
}
