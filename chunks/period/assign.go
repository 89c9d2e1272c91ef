package period

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"

	"github.com/zarrproc/zarrproc/zarr/cftime"
)

const day = 24 * time.Hour

// Step is the spacing of a time coordinate: a fixed duration, a whole number
// of calendar months (12 for yearly data), or dekads (CHIRPS-style dekadal
// data dated the 1st, 11th and 21st).
type Step struct {
	Fixed  time.Duration
	Months int
	Dekads int
}

// IsZero reports whether the step is unset.
func (s Step) IsZero() bool { return s.Fixed == 0 && s.Months == 0 && s.Dekads == 0 }

// String formats the step as an ISO 8601 duration.
func (s Step) String() string {
	switch {
	case s.Dekads > 0:
		return fmt.Sprintf("%d dekads", s.Dekads)
	case s.Months%12 == 0 && s.Months > 0:
		return fmt.Sprintf("P%dY", s.Months/12)
	case s.Months > 0:
		return fmt.Sprintf("P%dM", s.Months)
	case s.Fixed%day == 0 && s.Fixed > 0:
		return fmt.Sprintf("P%dD", s.Fixed/day)
	}
	return "PT" + s.Fixed.String()
}

// Options tune Assign.
type Options struct {
	// UTCOffset moves day boundaries to local midnight (+03:00 for Uganda)
	// for sub-daily data; see the package documentation.
	UTCOffset time.Duration
	// DropPartial drops partial bins; their timesteps get index -1.
	DropPartial bool
	// Step is the data's time step; zero infers it from the timesteps.
	Step Step
}

// Bin is one output period.
type Bin struct {
	Start cftime.Date // first instant (local wall time); zero for climatology groups
	End   cftime.Date // exclusive; zero for climatology groups
	Label cftime.Date // the label, equal to Start
	Group int         // month (1–12) or day of year (1–366) for climatology groups, else 0
	ID    string      // DHIS2 period ID
	// Count is the number of timesteps in the bin, Expected the number a
	// complete bin holds; Partial is Count < Expected.
	Count, Expected int
	Partial         bool
}

// Binning is the result of Assign.
type Binning struct {
	Spec      Spec
	Step      Step          // the data's step, given or inferred
	UTCOffset time.Duration // the offset applied (zero for daily or coarser data)
	Bins      []Bin
	// Index holds, per timestep, the index of its bin in Bins, or -1 when
	// the timestep was dropped with its partial bin.
	Index []int32
}

// Assign bins the timesteps, which must share one calendar and be sorted
// ascending (equal timesteps are allowed). It runs in one pass, O(len(times)
// + len(bins)). Bins cover the span of the data without holes: a period with
// no timestep inside the span is an empty, partial bin, as in xarray's
// resample. Climatology groups come sorted by Group, one per group present.
func (s Spec) Assign(times []cftime.Date, opts Options) (Binning, error) {
	if opts.UTCOffset <= -day || opts.UTCOffset >= day {
		return Binning{}, fmt.Errorf("utc_offset %v is not within ±24h: %w", opts.UTCOffset, ErrBadUTCOffset)
	}
	if opts.Step.Fixed < 0 || opts.Step.Months < 0 || opts.Step.Dekads < 0 {
		return Binning{}, fmt.Errorf("time step %+v is negative", opts.Step)
	}
	b := Binning{Spec: s, Step: opts.Step, Index: make([]int32, len(times))}
	if len(times) == 0 {
		return b, nil
	}
	cal := times[0].Calendar
	if b.Step.IsZero() {
		b.Step = inferStep(times)
	}
	if b.Step.Fixed > 0 && b.Step.Fixed < day && b.Step.Months == 0 && b.Step.Dekads == 0 {
		b.UTCOffset = opts.UTCOffset
	}
	off := b.UTCOffset
	local := func(t cftime.Date) cftime.Date {
		if off != 0 {
			return t.Add(off)
		}
		return t
	}

	if !s.IsClimatology() && s.Kind != All {
		span := local(times[len(times)-1]).Days() - local(times[0]).Days()
		if span >= 0 && span < 1<<24 {
			b.Bins = make([]Bin, 0, int(span)/s.Kind.minDays()+2)
		}
	}
	var groups []int32 // climatology: group number → bin index
	if s.IsClimatology() {
		groups = make([]int32, 367)
		for i := range groups {
			groups[i] = -1
		}
	}
	const nsPerDay = int64(day)
	var endDays, endNanos int64 // current bin's End
	var prevDays, prevNanos int64
	lastGroupDay, group := int64(math.MinInt64), 0
	for i, t := range times {
		if t.Calendar != cal {
			return Binning{}, fmt.Errorf("time index %d is %s, index 0 is %s: %w", i, t.Calendar, cal, ErrMixedCalendar)
		}
		// Local day and time of day, without building a Date per timestep.
		ld, ln := t.Days(), t.NanoOfDay()+int64(off)
		if ln < 0 {
			ld, ln = ld-1, ln+nsPerDay
		} else if ln >= nsPerDay {
			ld, ln = ld+1, ln-nsPerDay
		}
		if i > 0 && (ld < prevDays || (ld == prevDays && ln < prevNanos)) {
			return Binning{}, fmt.Errorf("time index %d (%s) is before index %d: %w", i, t, i-1, ErrUnsorted)
		}
		prevDays, prevNanos = ld, ln
		switch {
		case groups != nil:
			if ld != lastGroupDay {
				lt := cftime.FromDays(cal, ld, 0)
				group, lastGroupDay = lt.Month, ld
				if s.Kind == DayOfYear {
					group = lt.YearDay()
				}
			}
			if groups[group] < 0 {
				groups[group] = int32(len(b.Bins))
				b.Bins = append(b.Bins, Bin{Group: group})
			}
			b.Index[i] = groups[group]
		case s.Kind == All:
			if i == 0 {
				b.Bins = append(b.Bins, Bin{Start: cftime.FromDays(cal, ld, 0)})
			}
		case len(b.Bins) == 0 || ld > endDays || (ld == endDays && ln >= endNanos):
			start := s.Floor(cftime.FromDays(cal, ld, ln))
			if n := len(b.Bins); n > 0 {
				// Empty bins over a gap in the data.
				for next := b.Bins[n-1].End; next.Before(start); next = s.Next(next) {
					b.Bins = append(b.Bins, Bin{Start: next, End: s.Next(next)})
				}
			}
			end := s.Next(start)
			b.Bins = append(b.Bins, Bin{Start: start, End: end})
			endDays, endNanos = end.Days(), end.NanoOfDay()
		}
		if groups == nil {
			b.Index[i] = int32(len(b.Bins) - 1)
		}
		b.Bins[b.Index[i]].Count++
	}

	if groups != nil {
		b.sortGroups()
	}
	first, last := local(times[0]), local(times[len(times)-1])
	for i := range b.Bins {
		bin := &b.Bins[i]
		switch {
		case groups != nil:
			bin.Expected = bin.Count
			if s.Kind == DayOfYear {
				bin.ID = string(pad(nil, bin.Group, 3))
			} else {
				bin.ID = string(pad(nil, bin.Group, 2))
			}
			continue
		case s.Kind == All:
			bin.End = last.StartOfDay().AddDays(1)
			bin.Expected = gridCount(b.Step, first, first, last) + 1
			bin.ID = s.ID(bin.Start, last)
		default:
			bin.Expected = s.expected(b.Step, first, bin.Start, bin.End, bin.Count)
			bin.ID = s.ID(bin.Start, bin.End.AddDays(-1))
		}
		bin.Label = bin.Start
		bin.Partial = bin.Count < bin.Expected
	}
	if opts.DropPartial {
		b.dropPartial()
	}
	return b, nil
}

func (b *Binning) sortGroups() {
	order := make([]int, len(b.Bins))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return b.Bins[order[i]].Group < b.Bins[order[j]].Group })
	remap := make([]int32, len(order))
	sorted := make([]Bin, len(order))
	for newIdx, old := range order {
		remap[old] = int32(newIdx)
		sorted[newIdx] = b.Bins[old]
	}
	b.Bins = sorted
	for i, x := range b.Index {
		b.Index[i] = remap[x]
	}
}

func (b *Binning) dropPartial() {
	remap := make([]int32, len(b.Bins))
	kept := b.Bins[:0]
	for i, bin := range b.Bins {
		if bin.Partial {
			remap[i] = -1
			continue
		}
		remap[i] = int32(len(kept))
		kept = append(kept, bin)
	}
	b.Bins = kept
	for i, x := range b.Index {
		if x >= 0 {
			b.Index[i] = remap[x]
		}
	}
}

// inferStep takes the smallest positive gap between consecutive timesteps;
// gaps of 28–31 days are one month, 89–92 days three months and 360–366
// days a year; gaps of 8–11 days between dates all on the 1st, 11th or 21st
// are one dekad. A single timestep counts as daily.
func inferStep(times []cftime.Date) Step {
	var min time.Duration
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d > 0 && (min == 0 || d < min) {
			min = d
		}
	}
	switch {
	case min == 0:
		return Step{Fixed: day}
	case min >= 8*day && min <= 11*day && onDekadStarts(times):
		return Step{Dekads: 1}
	case min >= 28*day && min <= 31*day:
		return Step{Months: 1}
	case min >= 89*day && min <= 92*day:
		return Step{Months: 3}
	case min >= 360*day && min <= 366*day:
		return Step{Months: 12}
	}
	return Step{Fixed: min}
}

func onDekadStarts(times []cftime.Date) bool {
	for _, t := range times {
		if t.Day != 1 && t.Day != 11 && t.Day != 21 {
			return false
		}
	}
	return true
}

// dekadIndex numbers dekads consecutively.
func dekadIndex(d cftime.Date) int { return (d.Year*12+d.Month-1)*3 + (d.Day-1)/10 }

// minDays is the shortest length of a bin of the kind, in days.
func (k Kind) minDays() int {
	switch k {
	case Dekad:
		return 8
	case Month:
		return 28
	case Quarter, Season:
		return 89
	case Year:
		return 360
	}
	if _, ok := k.weekStart(); ok {
		return 7
	}
	return 1
}

// monthsIn returns how many whole calendar months a bin of the kind spans,
// or 0 for bins shorter than a month and for All.
func (k Kind) monthsIn() int {
	switch k {
	case Month:
		return 1
	case Quarter, Season:
		return 3
	case Year:
		return 12
	}
	return 0
}

// expected returns the timesteps a complete bin [start, end) holds.
func (s Spec) expected(step Step, first, start, end cftime.Date, count int) int {
	if step.Dekads > 0 {
		d := 3 * s.Kind.monthsIn()
		if s.Kind == Dekad {
			d = 1
		}
		if d == 0 || d < step.Dekads || d%step.Dekads != 0 {
			return count
		}
		return d / step.Dekads
	}
	if step.Months > 0 {
		m := s.Kind.monthsIn()
		if m == 0 || m < step.Months || m%step.Months != 0 {
			return count
		}
		return m / step.Months
	}
	return gridCount(step, first, start, end)
}

// gridCount returns the number of grid points first + k·step (any integer
// k) in [start, end): ceil((end−first)/step) − ceil((start−first)/step).
// For month (dekad) steps it counts months (dekads) between start and end.
func gridCount(step Step, first, start, end cftime.Date) int {
	if step.Dekads > 0 {
		return (dekadIndex(end) - dekadIndex(start)) / step.Dekads
	}
	if step.Months > 0 {
		return ((end.Year-start.Year)*12 + end.Month - start.Month) / step.Months
	}
	st := int64(step.Fixed)
	return int(ceilDivSpan(end, first, st) - ceilDivSpan(start, first, st))
}

// ceilDivSpan returns ceil((a − b)/step) for step > 0 in nanoseconds,
// exactly, whatever the span.
func ceilDivSpan(a, b cftime.Date, step int64) int64 {
	days := a.Days() - b.Days()
	ns := a.NanoOfDay() - b.NanoOfDay()
	const nsPerDay = int64(day)
	if days < 100000 && days > -100000 {
		v := days*nsPerDay + ns
		q := v / step
		if v%step != 0 && v > 0 {
			q++
		}
		return q
	}
	v := new(big.Int).Mul(big.NewInt(days), big.NewInt(nsPerDay))
	v.Add(v, big.NewInt(ns))
	// ceil(v/step) = -floor(-v/step); big.Int.Div is Euclidean (floor for step > 0).
	v.Neg(v)
	v.Div(v, big.NewInt(step))
	return -v.Int64()
}
