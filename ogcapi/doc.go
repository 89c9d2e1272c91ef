// Package ogcapi serves the job system (package jobs) over HTTP as OGC API –
// Processes – Part 1: Core 1.0 with every conformance class: core, OGC process
// description, JSON, HTML, OpenAPI 3.0, job list, callback and dismiss. It
// owns content negotiation, the OpenAPI document, HTML pages, bearer-token
// auth, CORS, request limits, health, readiness and Prometheus metrics.
//
// It knows jobs only through the jobs.Service interface, and maps the job
// system's sentinel errors to OGC exception types in one place (errors.go).
// It must not know about Redis, asynq, the engine or Zarr.
//
// Choices the standard leaves open, documented in the OpenAPI document too:
//   - A synchronous execution that outlives Config.SyncWait (or a shorter
//     Prefer: wait=N) answers 201 with the job and its Location, as an
//     asynchronous one does.
//   - Plain output values are application/json; any output can also go by
//     reference, to GET /jobs/{jobID}/results/{outputID}; outputs the job
//     system gives as {"href": …} (Zarr stores) always go by reference.
//   - Results of a failed job are 500 job-failed with the job's message; of a
//     dismissed job, 410 Gone.
//   - The result preferences of an execute request (response, outputs) are
//     remembered by this process only; a job it does not know answers with
//     the JSON results document.
package ogcapi
