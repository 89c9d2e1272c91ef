//go:build !chunksplan

package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/zarrproc/zarrproc/chunks"
)

// errNoEngine: the engine's Plan API (chunks.NewPlan) is not in this build.
var errNoEngine = errors.New("temporal-aggregate: the aggregation engine is not available in this build")

func (e *env) checkPlan(ctx context.Context, req chunks.Request) error { return nil }

func openTemporalAggregate(ctx context.Context, e *env, rec *record) (work, error) {
	return nil, fmt.Errorf("%w (%w)", errNoEngine, ErrNoSuchProcess)
}
