// Package ogcapi serves the job system (package jobs) over HTTP as OGC API –
// Processes – Part 1: Core 1.0 with every conformance class: core, OGC process
// description, JSON, HTML, OpenAPI 3.0, job list, callback and dismiss. It
// owns content negotiation, the OpenAPI document, HTML pages, bearer-token
// auth, CORS, request limits, health, readiness and Prometheus metrics.
//
// It knows jobs only through the jobs.Service interface, and maps the job
// system's sentinel errors to OGC exception types in one place (errors.go).
// It must not know about Redis, asynq, the engine or Zarr.
package ogcapi
