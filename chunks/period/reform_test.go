package period

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zarrproc/zarrproc/zarr/cftime"
)

// TestGregorianReform bins daily standard-calendar data across 1582-10-04 →
// 1582-10-15: bins stay contiguous and every day falls in its bin.
func TestGregorianReform(t *testing.T) {
	times := days(t, cftime.Standard, 1582, 9, 25, 60, 24*time.Hour)
	for _, name := range []string{"day", "week", "dekad", "month", "season"} {
		b, err := mustParse(t, name).Assign(times, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range times {
			bin := b.Bins[b.Index[i]]
			if x.Before(bin.Start) || !x.Before(bin.End) || bin.Start.Validate() != nil {
				t.Errorf("%s: %s outside [%s, %s)", name, x, bin.Start, bin.End)
			}
		}
		if name == "dekad" {
			var got []string
			for _, bin := range b.Bins[1:4] {
				got = append(got, fmt.Sprintf("%s %s %d/%d", bin.ID, bin.Start.DateString(), bin.Count, bin.Expected))
			}
			want := []string{"158210D1 1582-10-01 4/4", "158210D2 1582-10-15 6/6", "158210D3 1582-10-21 11/11"}
			if !slices.Equal(got, want) {
				t.Errorf("dekads across the reform: %q, want %q", got, want)
			}
		}
	}
}
