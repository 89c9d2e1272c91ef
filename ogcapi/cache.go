package ogcapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/zarrproc/zarrproc/jobs"
)

// Cache administration: the job system's memo of per-chunk partial states.
// Reading stats is open; clearing and invalidating need an admin token (or,
// when no admin tokens are set, an API token; with neither, they are open,
// as execution is).

func (s *server) cacheAdmin() (jobs.CacheAdmin, error) {
	if a, ok := s.svc.(jobs.CacheAdmin); ok {
		return a, nil
	}
	return nil, jobs.ErrNoCache
}

func (s *server) cacheStats(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cacheAdmin()
	if err != nil {
		return err
	}
	st, err := a.CacheStats(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, "application/json", st)
}

func (s *server) cacheClear(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cacheAdmin()
	if err != nil {
		return err
	}
	n, err := a.ClearCache(r.Context())
	if err != nil {
		return err
	}
	s.log.Info("memo cache cleared", "deleted", n, "client", client(r))
	return writeJSON(w, http.StatusOK, "application/json", map[string]any{"deleted": n})
}

func (s *server) cacheInvalidate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cacheAdmin()
	if err != nil {
		return err
	}
	var body struct {
		Dataset string `json:"dataset"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)).Decode(&body); err != nil {
		return problem(http.StatusBadRequest, typeInvalidRequest, fmt.Sprintf("want {\"dataset\": \"<URL>\"}: %v", err))
	}
	if body.Dataset == "" {
		return problem(http.StatusBadRequest, typeInvalidRequest, `want {"dataset": "<URL>"}: dataset is missing`)
	}
	gen, err := a.InvalidateCache(r.Context(), body.Dataset)
	if err != nil {
		return err
	}
	s.log.Info("memo cache invalidated", "dataset", body.Dataset, "generation", gen, "client", client(r))
	return writeJSON(w, http.StatusOK, "application/json", map[string]any{"dataset": body.Dataset, "generation": gen})
}
