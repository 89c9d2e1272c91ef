package ogcapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/zarrproc/zarrproc/jobs"
)

// Exception types. The OGC ones are the URIs of OGC API – Processes (the last
// two come from the 2.0 draft, which keeps the 1.0 namespace); the others are
// zarrproc's own, for failures the standard does not name.
const (
	ogcExceptions          = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
	typeNoSuchProcess      = ogcExceptions + "no-such-process"
	typeNoSuchJob          = ogcExceptions + "no-such-job"
	typeResultNotReady     = ogcExceptions + "result-not-ready"
	typeNoSuchOutput       = ogcExceptions + "no-such-output"
	typeInvalidQueryParam  = ogcExceptions + "invalid-query-parameter-value"
	zarrprocExceptions     = "urn:zarrproc:exception:"
	typeInvalidInput       = zarrprocExceptions + "invalid-input"
	typeInvalidRequest     = zarrprocExceptions + "invalid-request"
	typeForbidden          = zarrprocExceptions + "forbidden"
	typeLimit              = zarrprocExceptions + "limit-exceeded"
	typeRateLimit          = zarrprocExceptions + "too-many-requests"
	typeJobFailed          = zarrprocExceptions + "job-failed"
	typeJobDismissed       = zarrprocExceptions + "job-dismissed"
	typeUnauthorized       = zarrprocExceptions + "unauthorized"
	typeNotFound           = zarrprocExceptions + "not-found"
	typeMethodNotAllowed   = zarrprocExceptions + "method-not-allowed"
	typeNotAcceptable      = zarrprocExceptions + "not-acceptable"
	typeUnsupportedMedia   = zarrprocExceptions + "unsupported-media-type"
	typePayloadTooLarge    = zarrprocExceptions + "payload-too-large"
	typeInternal           = zarrprocExceptions + "internal"
	typeServiceUnavailable = zarrprocExceptions + "unavailable"
)

// errDismissed marks the results of a dismissed job: gone, not failed.
var errDismissed = errors.New("job dismissed")

// exception is an OGC API exception (exception.yaml), an RFC 7807 problem.
type exception struct {
	Type     string `json:"type"`
	Title    string `json:"title,omitempty"`
	Status   int    `json:"status,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Input names the invalid input of an execute request.
	Input string `json:"input,omitempty"`
	// retryAfter, when set, becomes a Retry-After header.
	retryAfter time.Duration
}

func (e *exception) Error() string { return e.Title + ": " + e.Detail }

// problem builds an exception with a status and a type this package chooses
// itself (bad query parameters, unknown routes, auth).
func problem(status int, typ, detail string) *exception {
	return &exception{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail}
}

// retryAfterer is implemented by limit errors that pass with time (jobs per
// client): they answer 429 with Retry-After instead of 413.
type retryAfterer interface {
	RetryAfter() time.Duration
}

// toException is the one place where errors of the job system become OGC
// exceptions with an HTTP status.
func toException(err error) *exception {
	var ex *exception
	if errors.As(err, &ex) {
		return ex
	}
	var inErr *jobs.InputError
	var tooBig *http.MaxBytesError
	var ra retryAfterer
	switch {
	case errors.As(err, &inErr):
		e := problem(http.StatusBadRequest, typeInvalidInput, err.Error())
		e.Input = inErr.Input
		return e
	case errors.Is(err, jobs.ErrNoCache):
		return problem(http.StatusNotFound, typeNotFound, err.Error())
	case errors.Is(err, jobs.ErrNoSuchProcess):
		return problem(http.StatusNotFound, typeNoSuchProcess, err.Error())
	case errors.Is(err, jobs.ErrNoSuchJob):
		return problem(http.StatusNotFound, typeNoSuchJob, err.Error())
	case errors.Is(err, jobs.ErrResultNotReady):
		return problem(http.StatusNotFound, typeResultNotReady, err.Error())
	case errors.Is(err, jobs.ErrForbidden):
		return problem(http.StatusForbidden, typeForbidden, err.Error())
	case errors.Is(err, jobs.ErrLimit) && errors.As(err, &ra):
		e := problem(http.StatusTooManyRequests, typeRateLimit, err.Error())
		e.retryAfter = ra.RetryAfter()
		return e
	case errors.Is(err, jobs.ErrLimit):
		return problem(http.StatusRequestEntityTooLarge, typeLimit, err.Error())
	case errors.As(err, &tooBig):
		return problem(http.StatusRequestEntityTooLarge, typePayloadTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit))
	case errors.Is(err, errDismissed):
		return problem(http.StatusGone, typeJobDismissed, err.Error())
	case errors.Is(err, jobs.ErrJobFailed):
		// The job ran and failed (a corrupt chunk, a store that went away):
		// the reason is the server's side of the exchange.
		return problem(http.StatusInternalServerError, typeJobFailed, err.Error())
	default:
		return problem(http.StatusInternalServerError, typeInternal, err.Error())
	}
}
