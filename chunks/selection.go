package chunks

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/zarrproc/zarrproc/zarr/cftime"
)

// timeBound is one end of a time interval: an instant, and for the end the
// first instant after it (a date-only end includes its whole day, a month
// its whole month, as xarray's partial-string slicing does).
type timeBound struct {
	open  bool
	start cftime.Date // the first instant the bound names
	next  cftime.Date // the first instant after the period the bound names
}

// parseInterval reads "START/END" ("..", "" for open ends) in cal.
func parseInterval(s string, cal cftime.Calendar) (lo, hi timeBound, err error) {
	if strings.TrimSpace(s) == "" {
		return timeBound{open: true}, timeBound{open: true}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) != 2 {
		return lo, hi, fmt.Errorf("want START/END (e.g. 1991-01-01/2020-12-31, .. for an open end), got %q", s)
	}
	if lo, err = parseBound(parts[0], cal); err != nil {
		return lo, hi, err
	}
	if hi, err = parseBound(parts[1], cal); err != nil {
		return lo, hi, err
	}
	if !lo.open && !hi.open && hi.start.Before(lo.start) {
		return lo, hi, fmt.Errorf("end %s is before start %s", parts[1], parts[0])
	}
	return lo, hi, nil
}

func parseBound(s string, cal cftime.Calendar) (timeBound, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == ".." {
		return timeBound{open: true}, nil
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "Z"), "z")
	datePart, clock, hasClock := strings.Cut(strings.Replace(s, " ", "T", 1), "T")
	fields := strings.Split(datePart, "-")
	if len(fields) > 3 || fields[0] == "" {
		return timeBound{}, fmt.Errorf("cannot read %q as a date (want YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)", s)
	}
	ymd := []int{0, 1, 1}
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil {
			return timeBound{}, fmt.Errorf("cannot read %q as a date: %q is not a number", s, f)
		}
		ymd[i] = v
	}
	hms := []int{0, 0, 0}
	if hasClock {
		if len(fields) != 3 {
			return timeBound{}, fmt.Errorf("cannot read %q: a time of day needs a full date", s)
		}
		for i, f := range strings.Split(clock, ":") {
			if i > 2 {
				return timeBound{}, fmt.Errorf("cannot read %q as a time", s)
			}
			v, err := strconv.Atoi(f)
			if err != nil {
				return timeBound{}, fmt.Errorf("cannot read %q as a time: %q is not a number", s, f)
			}
			hms[i] = v
		}
	}
	start, err := cftime.NewDate(cal, ymd[0], ymd[1], ymd[2], hms[0], hms[1], hms[2], 0)
	if err != nil {
		return timeBound{}, fmt.Errorf("%q: %w", s, err)
	}
	var next cftime.Date
	switch {
	case hasClock:
		next = start.Add(1) // the instant itself is included
	case len(fields) == 3:
		next = start.AddDays(1)
	case len(fields) == 2:
		next = start.AddDays(start.DaysInMonth())
	default:
		next = start.AddDays(cal.DaysInYear(ymd[0]))
	}
	return timeBound{start: start, next: next}, nil
}

// timeRange returns the index range [i0, i1) of the sorted dates inside the
// interval.
func timeRange(dates []cftime.Date, lo, hi timeBound) (int, int) {
	i0, i1 := 0, len(dates)
	if !lo.open {
		i0 = sort.Search(len(dates), func(i int) bool { return !dates[i].Before(lo.start) })
	}
	if !hi.open {
		i1 = sort.Search(len(dates), func(i int) bool { return !dates[i].Before(hi.next) })
	}
	if i1 < i0 {
		i1 = i0
	}
	return i0, i1
}

// axisRange returns the index range [i0, i1) of a monotonic coordinate
// whose values lie in [lo, hi], edges inclusive, whichever way it runs.
func axisRange(vals []float64, lo, hi float64) (int, int, error) {
	if len(vals) == 0 {
		return 0, 0, nil
	}
	i0, i1 := -1, -1
	for i, v := range vals {
		if v >= lo && v <= hi {
			if i0 < 0 {
				i0 = i
			} else if i1 != i {
				return 0, 0, fmt.Errorf("coordinate is not monotonic")
			}
			i1 = i + 1
		}
	}
	if i0 < 0 {
		return 0, 0, nil
	}
	return i0, i1, nil
}

// finiteBBox checks a [west, south, east, north] box.
func finiteBBox(b [4]float64) error {
	for _, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("bbox %v has a non-finite value", b)
		}
	}
	if b[0] > b[2] {
		return fmt.Errorf("bbox west %g is east of east %g", b[0], b[2])
	}
	if b[1] > b[3] {
		return fmt.Errorf("bbox south %g is north of north %g", b[1], b[3])
	}
	return nil
}
