package jobs

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestProcessSchemasAreOpenAPISchemas: every input and output schema of
// every process is a valid OpenAPI 3.0 Schema Object (what OGC API –
// Processes requires, and what the ETS checks), e.g. an array has items.
func TestProcessSchemasAreOpenAPISchemas(t *testing.T) {
	check := func(process, what string, schema map[string]any) {
		b, err := json.Marshal(schema)
		if err != nil {
			t.Fatal(err)
		}
		var s openapi3.Schema
		if err := json.Unmarshal(b, &s); err != nil {
			t.Errorf("%s %s: schema %s does not parse: %v", process, what, b, err)
			return
		}
		if err := s.Validate(context.Background()); err != nil {
			t.Errorf("%s %s: schema %s: %v", process, what, b, err)
		}
	}
	descs := newCatalogue().descriptions()
	if len(descs) < 2 {
		t.Fatalf("%d processes", len(descs))
	}
	for _, d := range descs {
		for name, in := range d.Inputs {
			check(d.ID, "input "+name, in.Schema)
		}
		for name, out := range d.Outputs {
			check(d.ID, "output "+name, out.Schema)
		}
	}
}
