package cf

import "testing"

// A blank or extended grid_mapping attribute names its variable or nothing;
// it never panics.
func TestGridMappingVar(t *testing.T) {
	for in, want := range map[string]string{
		"spatial_ref": "spatial_ref", "crs: lat lon crs_2: x y": "crs", "  ": "", "": "",
	} {
		if got := gridMappingVar(map[string]any{"grid_mapping": in}); got != want {
			t.Errorf("grid_mapping %q: %q, want %q", in, got, want)
		}
	}
}
