package period

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zarrproc/zarrproc/zarr/cftime"
)

func date(t testing.TB, cal cftime.Calendar, y, m, d int) cftime.Date {
	t.Helper()
	dt, err := cftime.NewDate(cal, y, m, d, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func mustParse(t testing.TB, name string) Spec {
	t.Helper()
	s, err := Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDHIS2IDs checks period IDs against known dates. Week rules: dhis2-core
// WeeklyAbstractPeriodType.getIsoDate (WeekFields.of(firstDayOfWeek, 4));
// ISO 8601 for Monday weeks; CDC MMWR weeks for Sunday (epi) weeks, whose
// week 1 is the first Sunday week with at least four days in January.
func TestDHIS2IDs(t *testing.T) {
	g := cftime.ProlepticGregorian
	tests := []struct {
		period  string
		y, m, d int
		want    string
		start   string
	}{
		{"day", 2024, 1, 1, "20240101", "2024-01-01"},
		{"week", 2020, 12, 31, "2020W53", "2020-12-28"}, // ISO: 2020 has 53 weeks
		{"week", 2021, 1, 3, "2020W53", "2020-12-28"},
		{"week", 2021, 1, 4, "2021W1", "2021-01-04"},
		{"week", 2024, 2, 1, "2024W5", "2024-01-29"},
		{"week", 2019, 12, 30, "2020W1", "2019-12-30"}, // ISO week 1 of 2020 starts 2019-12-30
		{"week", 2026, 11, 23, "2026W48", "2026-11-23"},
		{"epi-week", 2021, 1, 3, "2021SunW1", "2021-01-03"}, // MMWR 2021 week 1 starts Sun 3 Jan
		{"epi-week", 2021, 1, 2, "2020SunW53", "2020-12-27"},
		{"epi-week", 2024, 1, 1, "2024SunW1", "2023-12-31"}, // MMWR 2024 week 1 starts Sun 31 Dec 2023
		{"week-sunday", 2024, 2, 20, "2024SunW8", "2024-02-18"},
		{"epi-week", 2022, 1, 1, "2021SunW52", "2021-12-26"}, // MMWR 2022 week 1 starts 2 Jan
		// Wednesday weeks belong to the year of their Saturday.
		{"week-wednesday", 2024, 1, 1, "2023WedW52", "2023-12-27"}, // Sat 2023-12-30
		{"week-wednesday", 2024, 1, 3, "2024WedW1", "2024-01-03"},
		{"week-wednesday", 2024, 1, 17, "2024WedW3", "2024-01-17"},
		{"week-wednesday", 2020, 12, 30, "2021WedW1", "2020-12-30"}, // Sat 2021-01-02
		// Thursday weeks belong to the year of their Sunday.
		{"week-thursday", 2024, 1, 18, "2024ThuW3", "2024-01-18"}, // W1 = Thu 2024-01-04 (Sun 7 Jan)
		{"week-thursday", 2024, 1, 3, "2023ThuW53", "2023-12-28"}, // Sun 2023-12-31
		// Saturday weeks belong to the year of their Tuesday.
		{"week-saturday", 2024, 1, 13, "2024SatW3", "2024-01-13"}, // W1 = Sat 2023-12-30 (its Tuesday is 2 Jan)
		{"week-saturday", 2023, 12, 30, "2024SatW1", "2023-12-30"},
		{"week-saturday", 2023, 12, 29, "2023SatW52", "2023-12-23"},
		{"dekad", 2024, 2, 29, "202402D3", "2024-02-21"},
		{"dekad", 2024, 2, 11, "202402D2", "2024-02-11"},
		{"month", 2024, 1, 31, "202401", "2024-01-01"},
		{"quarter", 2024, 5, 1, "2024Q2", "2024-04-01"},
		{"season", 2020, 12, 15, "2021DJF", "2020-12-01"},
		{"season", 2021, 2, 28, "2021DJF", "2020-12-01"},
		{"season", 2021, 3, 1, "2021MAM", "2021-03-01"},
		{"season", 2021, 8, 31, "2021JJA", "2021-06-01"},
		{"season", 2021, 11, 30, "2021SON", "2021-09-01"},
		{"year", 2024, 7, 4, "2024", "2024-01-01"},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.period)
		d := date(t, g, tt.y, tt.m, tt.d)
		start := s.Floor(d)
		if got := s.ID(start, start); got != tt.want || start.DateString() != tt.start {
			t.Errorf("%s %s: got %s starting %s, want %s starting %s", tt.period, d.DateString(), got, start.DateString(), tt.want, tt.start)
		}
		if b, err := s.Assign([]cftime.Date{d}, Options{}); err != nil || b.Bins[0].ID != tt.want {
			t.Errorf("%s %s: Assign gives %+v, %v", tt.period, d.DateString(), b.Bins, err)
		}
	}
}

// TestWeekNumbersExhaustive checks, for every week kind and every day of
// 1990–2040, that the week number sequence restarts at 1 exactly on the week
// holding 4 January and otherwise increases by one each week.
func TestWeekNumbersExhaustive(t *testing.T) {
	for _, name := range []string{"week", "epi-week", "week-wednesday", "week-thursday", "week-saturday"} {
		s := mustParse(t, name)
		d := s.Floor(date(t, cftime.Standard, 1990, 1, 1))
		py, pw := s.WeekNumber(d.AddDays(-7))
		for d.Year < 2041 {
			start := s.Floor(d)
			if start.Days() != d.Days() {
				d = d.AddDays(1)
				continue
			}
			y, w := s.WeekNumber(d)
			holds4Jan := false
			for k := 0; k < 7; k++ {
				x := start.AddDays(k)
				holds4Jan = holds4Jan || (x.Month == 1 && x.Day == 4)
			}
			if holds4Jan {
				if w != 1 || y != start.AddDays(6).Year {
					t.Fatalf("%s %s: %d W%d, want week 1", name, start.DateString(), y, w)
				}
				if pw != 52 && pw != 53 {
					t.Fatalf("%s: year %d ended at week %d", name, py, pw)
				}
			} else if y != py || w != pw+1 {
				t.Fatalf("%s %s: %d W%d after %d W%d", name, start.DateString(), y, w, py, pw)
			}
			py, pw = y, w
			d = d.AddDays(7)
		}
	}
}

func TestParse(t *testing.T) {
	for name, want := range map[string]Kind{
		"day": Day, "Week": Week, "iso_week": Week, "epi-week": EpiWeek, "epiweek": EpiWeek,
		"week-sunday": EpiWeek, "week_wednesday": WeekWednesday, "week-thursday": WeekThursday,
		"week-saturday": WeekSaturday, "dekad": Dekad, "month": Month, "quarter": Quarter,
		"season": Season, "year": Year, "all": All, "month-of-year": MonthOfYear, "day_of_year": DayOfYear,
	} {
		s, err := Parse(name)
		if err != nil || s.Kind != want {
			t.Errorf("Parse(%q) = %v, %v", name, s, err)
		}
		if again, err := Parse(s.String()); err != nil || again != s {
			t.Errorf("Parse(%q.String()) = %v, %v", name, again, err)
		}
	}
	if _, err := Parse("fortnight"); !errors.Is(err, ErrUnknownPeriod) || !strings.Contains(err.Error(), `"fortnight"`) {
		t.Errorf("Parse(fortnight): %v", err)
	}
}

func TestParseUTCOffset(t *testing.T) {
	good := map[string]time.Duration{
		"+03:00": 3 * time.Hour, "-05:30": -(5*time.Hour + 30*time.Minute), "+0545": 5*time.Hour + 45*time.Minute,
		"-02": -2 * time.Hour, "Z": 0, "": 0, "UTC": 0, "+00:00": 0,
	}
	for s, want := range good {
		if got, err := ParseUTCOffset(s); err != nil || got != want {
			t.Errorf("ParseUTCOffset(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"3", "+3", "+24:00", "+03:60", "+03:0", "+0300:", "++03:00", "+0a:00", "+03:00:00"} {
		if _, err := ParseUTCOffset(s); !errors.Is(err, ErrBadUTCOffset) {
			t.Errorf("ParseUTCOffset(%q): %v", s, err)
		}
	}
}

func days(t testing.TB, cal cftime.Calendar, y, m, d, n int, step time.Duration) []cftime.Date {
	t.Helper()
	out := make([]cftime.Date, n)
	x := date(t, cal, y, m, d)
	for i := range out {
		out[i] = x
		x = x.Add(step)
	}
	return out
}

func TestAssignPartialAndGaps(t *testing.T) {
	// Daily 2020-01-10 … 2020-03-05 with 2020-02-01…02-29 missing entirely.
	var times []cftime.Date
	for _, d := range days(t, cftime.Standard, 2020, 1, 10, 56, 24*time.Hour) {
		if d.Month != 2 {
			times = append(times, d)
		}
	}
	b, err := mustParse(t, "month").Assign(times, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id              string
		count, expected int
		partial         bool
	}
	want := []row{{"202001", 22, 31, true}, {"202002", 0, 29, true}, {"202003", 5, 31, true}}
	if len(b.Bins) != len(want) || b.Step != (Step{Fixed: 24 * time.Hour}) {
		t.Fatalf("bins %+v step %v", b.Bins, b.Step)
	}
	for i, w := range want {
		got := b.Bins[i]
		if got.ID != w.id || got.Count != w.count || got.Expected != w.expected || got.Partial != w.partial || !got.Label.Equal(got.Start) {
			t.Errorf("bin %d: %+v want %+v", i, got, w)
		}
	}
	if b.Index[0] != 0 || b.Index[len(times)-1] != 2 {
		t.Errorf("index %v", b.Index)
	}
	// Complete middle bins survive DropPartial; the timesteps of dropped bins get -1.
	times = days(t, cftime.Standard, 2020, 1, 10, 100, 24*time.Hour)
	b, err = mustParse(t, "month").Assign(times, Options{DropPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Bins) != 2 || b.Bins[0].ID != "202002" || b.Bins[1].ID != "202003" || b.Index[0] != -1 || b.Index[22] != 0 || b.Index[99] != -1 {
		t.Errorf("drop partial: %+v %v", b.Bins, b.Index)
	}
}

func TestAssignUTCOffset(t *testing.T) {
	// Hourly from 2024-01-01T00:00Z for 48 h; Uganda days (UTC+3) start at 21:00Z.
	times := days(t, cftime.Standard, 2024, 1, 1, 48, time.Hour)
	b, err := mustParse(t, "day").Assign(times, Options{UTCOffset: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Bins) != 3 || b.Bins[0].Count != 21 || b.Bins[1].Count != 24 || b.Bins[2].Count != 3 ||
		!b.Bins[0].Partial || b.Bins[1].Partial || b.Bins[1].ID != "20240102" || b.Index[20] != 0 || b.Index[21] != 1 {
		t.Errorf("%+v", b.Bins)
	}
	// Daily data ignores the offset.
	b, _ = mustParse(t, "day").Assign(days(t, cftime.Standard, 2024, 1, 1, 3, 24*time.Hour), Options{UTCOffset: -5 * time.Hour})
	if b.UTCOffset != 0 || b.Bins[0].ID != "20240101" || len(b.Bins) != 3 {
		t.Errorf("daily with offset: %+v", b.Bins)
	}
}

func TestAssignCalendarsAndSteps(t *testing.T) {
	// 360_day: every month has 30 days, a year 360.
	times := days(t, cftime.Day360, 2000, 1, 1, 720, 24*time.Hour)
	b, _ := mustParse(t, "month").Assign(times, Options{})
	if len(b.Bins) != 24 || b.Bins[1].Count != 30 || b.Bins[1].Partial || b.Bins[1].ID != "200002" {
		t.Errorf("360_day months: %d %+v", len(b.Bins), b.Bins[1])
	}
	b, _ = mustParse(t, "dekad").Assign(times, Options{})
	if len(b.Bins) != 72 || b.Bins[5].Count != 10 || b.Bins[5].ID != "200002D3" {
		t.Errorf("360_day dekads: %d %+v", len(b.Bins), b.Bins[5])
	}
	// noleap: February has 28 days, DJF 2001 = 90 days.
	times = days(t, cftime.NoLeap, 2000, 12, 1, 90, 24*time.Hour)
	b, _ = mustParse(t, "season").Assign(times, Options{})
	if len(b.Bins) != 1 || b.Bins[0].Count != 90 || b.Bins[0].Expected != 90 || b.Bins[0].ID != "2001DJF" {
		t.Errorf("noleap DJF: %+v", b.Bins)
	}
	// Monthly data (mid-month timestamps): a year expects 12 timesteps.
	var monthly []cftime.Date
	for m := 3; m <= 24; m++ {
		monthly = append(monthly, date(t, cftime.Standard, 2000+(m-1)/12, (m-1)%12+1, 15))
	}
	b, _ = mustParse(t, "year").Assign(monthly, Options{})
	if b.Step != (Step{Months: 1}) || len(b.Bins) != 2 || b.Bins[0].Expected != 12 || !b.Bins[0].Partial || b.Bins[1].Partial {
		t.Errorf("monthly data by year: %v %+v", b.Step, b.Bins)
	}
	b, _ = mustParse(t, "quarter").Assign(monthly, Options{})
	if len(b.Bins) != 8 || b.Bins[0].Count != 1 || !b.Bins[0].Partial || b.Bins[1].Partial {
		t.Errorf("monthly data by quarter: %+v", b.Bins)
	}
	// Dekadal data (1st, 11th, 21st): a month expects 3 timesteps, a year 36.
	var dekadal []cftime.Date
	for m := 1; m <= 14; m++ {
		for _, d := range []int{1, 11, 21} {
			dekadal = append(dekadal, date(t, cftime.Standard, 2000+(m-1)/12, (m-1)%12+1, d))
		}
	}
	dekadal = dekadal[1:] // starts on 2000-01-11
	b, _ = mustParse(t, "month").Assign(dekadal, Options{})
	if b.Step != (Step{Dekads: 1}) || len(b.Bins) != 14 || b.Bins[0].Expected != 3 || !b.Bins[0].Partial || b.Bins[1].Partial || b.Bins[1].Count != 3 {
		t.Errorf("dekadal data by month: %v %+v", b.Step, b.Bins[:2])
	}
	b, _ = mustParse(t, "year").Assign(dekadal, Options{})
	if len(b.Bins) != 2 || b.Bins[0].Expected != 36 || b.Bins[0].Count != 35 || b.Bins[1].Count != 6 {
		t.Errorf("dekadal data by year: %+v", b.Bins)
	}
	b, _ = mustParse(t, "all").Assign(dekadal, Options{})
	if b.Bins[0].Expected != 41 || b.Bins[0].Partial {
		t.Errorf("dekadal data, all: %+v", b.Bins)
	}
	// All: one bin over the data.
	b, _ = mustParse(t, "all").Assign(monthly, Options{})
	if len(b.Bins) != 1 || b.Bins[0].Count != 22 || b.Bins[0].Expected != 22 || b.Bins[0].Partial || b.Bins[0].ID != "2000-03-15/2001-12-15" {
		t.Errorf("all: %+v", b.Bins)
	}
	// Climatology groups come sorted, with every timestep mapped.
	b, _ = mustParse(t, "month-of-year").Assign(monthly, Options{})
	if len(b.Bins) != 12 || b.Bins[0].Group != 1 || b.Bins[0].Count != 1 || b.Bins[2].Count != 2 || b.Bins[11].ID != "12" || b.Index[0] != 2 {
		t.Errorf("month-of-year: %+v %v", b.Bins, b.Index)
	}
	b, _ = mustParse(t, "day-of-year").Assign(days(t, cftime.AllLeap, 2001, 12, 30, 4, 24*time.Hour), Options{})
	if len(b.Bins) != 4 || b.Bins[0].ID != "001" || b.Bins[3].ID != "366" || b.Index[0] != 2 {
		t.Errorf("day-of-year: %+v %v", b.Bins, b.Index)
	}
}

func TestAssignErrors(t *testing.T) {
	s := mustParse(t, "month")
	times := []cftime.Date{date(t, cftime.Standard, 2000, 1, 2), date(t, cftime.Standard, 2000, 1, 1)}
	if _, err := s.Assign(times, Options{}); !errors.Is(err, ErrUnsorted) || !strings.Contains(err.Error(), "index 1") {
		t.Errorf("unsorted: %v", err)
	}
	times[1] = date(t, cftime.NoLeap, 2000, 1, 3)
	if _, err := s.Assign(times, Options{}); !errors.Is(err, ErrMixedCalendar) {
		t.Errorf("mixed: %v", err)
	}
	if _, err := s.Assign(times[:1], Options{UTCOffset: 25 * time.Hour}); !errors.Is(err, ErrBadUTCOffset) {
		t.Errorf("25h offset: %v", err)
	}
	if b, err := s.Assign(nil, Options{}); err != nil || len(b.Bins) != 0 {
		t.Errorf("empty: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"day", "week", "epi-week", "week-wednesday", "DEKAD", "month_of_year", "season", " all ", "fortnight", "", "+03:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		s, err := Parse(name)
		if err != nil {
			if !errors.Is(err, ErrUnknownPeriod) {
				t.Fatalf("Parse(%q): %v", name, err)
			}
		} else if again, err := Parse(s.String()); err != nil || again != s {
			t.Fatalf("Parse(%q) round trip: %v %v", name, again, err)
		}
		if d, err := ParseUTCOffset(name); err == nil && (d <= -24*time.Hour || d >= 24*time.Hour) {
			t.Fatalf("ParseUTCOffset(%q) = %v", name, d)
		}
	})
}

// Measured 2026-11-23 (go1.26.8, 2 shared EPYC cores, quiet): 30 years of
// daily steps (10,957) bin in 8.4 ms into days, 2.3 ms into weeks, 1.4 ms
// into dekads, 0.9 ms into months, 1.7 ms into month-of-year; 30 years of
// hourly steps (263 k) into local days in 26 ms.
func BenchmarkAssign30YearsDaily(b *testing.B) {
	times := days(b, cftime.Standard, 1991, 1, 1, 10957, 24*time.Hour)
	for _, name := range []string{"day", "week", "dekad", "month", "season", "month-of-year"} {
		s := mustParse(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Assign(times, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAssign30YearsHourly(b *testing.B) {
	times := days(b, cftime.Standard, 1991, 1, 1, 10957*24, time.Hour)
	s := mustParse(b, "day")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Assign(times, Options{UTCOffset: 3 * time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAssignInvariants bins random series of every calendar with every
// period and checks that each timestep lies inside its bin, bins are
// contiguous and ordered, counts add up and DropPartial keeps exactly the
// complete bins.
func TestAssignInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	steps := []time.Duration{time.Hour, 3 * time.Hour, 24 * time.Hour, 5 * 24 * time.Hour, 30 * time.Minute}
	for trial := 0; trial < 300; trial++ {
		cal := cftime.Calendar(rng.IntN(6))
		step := steps[rng.IntN(len(steps))]
		first := cftime.FromDays(cal, int64(rng.IntN(400000)-200000), int64(rng.IntN(24))*int64(time.Hour))
		n := 1 + rng.IntN(400)
		var times []cftime.Date
		for i, x := 0, first; i < n; i, x = i+1, x.Add(step) {
			if rng.Float64() < 0.9 { // holes
				times = append(times, x)
			}
		}
		if len(times) == 0 {
			continue
		}
		off := time.Duration(rng.IntN(48)-24) * 30 * time.Minute
		for k := range kindNames {
			s := Spec{Kind(k)}
			b, err := s.Assign(times, Options{UTCOffset: off})
			if err != nil {
				t.Fatalf("%s %s: %v", cal, s, err)
			}
			total := 0
			for i, bin := range b.Bins {
				total += bin.Count
				if bin.Partial != (bin.Count < bin.Expected) {
					t.Fatalf("%s %s bin %+v: partial flag", cal, s, bin)
				}
				if s.IsClimatology() || s.Kind == All {
					continue
				}
				if !bin.Start.Before(bin.End) || (i > 0 && !b.Bins[i-1].End.Equal(bin.Start)) || s.Floor(bin.Start) != bin.Start {
					t.Fatalf("%s %s: bins %d not contiguous: %+v", cal, s, i, b.Bins[max(0, i-1):i+1])
				}
			}
			if total != len(times) {
				t.Fatalf("%s %s: counts add to %d of %d", cal, s, total, len(times))
			}
			for i, x := range times {
				bin := b.Bins[b.Index[i]]
				lt := x.Add(b.UTCOffset)
				switch {
				case s.Kind == MonthOfYear:
					if lt.Month != bin.Group {
						t.Fatalf("%s %s: %s in group %d", cal, s, lt, bin.Group)
					}
				case s.Kind == DayOfYear:
					if lt.YearDay() != bin.Group {
						t.Fatalf("%s %s: %s in group %d", cal, s, lt, bin.Group)
					}
				default:
					if lt.Before(bin.Start) || !lt.Before(bin.End) {
						t.Fatalf("%s %s: %s (local %s) outside bin [%s, %s)", cal, s, x, lt, bin.Start, bin.End)
					}
				}
			}
			d, _ := s.Assign(times, Options{UTCOffset: off, DropPartial: true})
			kept := 0
			for _, bin := range b.Bins {
				if !bin.Partial {
					kept++
				}
			}
			if len(d.Bins) != kept {
				t.Fatalf("%s %s: DropPartial kept %d of %d complete bins", cal, s, len(d.Bins), kept)
			}
			for i, x := range d.Index {
				if x >= 0 && d.Bins[x].ID != b.Bins[b.Index[i]].ID {
					t.Fatalf("%s %s: DropPartial moved timestep %d", cal, s, i)
				}
			}
		}
	}
}

// TestISOWeeksAgainstGo compares ISO week numbering with the standard
// library's independent time.Time.ISOWeek for every day of 1900–2100.
func TestISOWeeksAgainstGo(t *testing.T) {
	s := mustParse(t, "week")
	for tm := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() <= 2100; tm = tm.AddDate(0, 0, 1) {
		d, _ := cftime.FromTime(tm, cftime.ProlepticGregorian)
		y, w := s.WeekNumber(d)
		gy, gw := tm.ISOWeek()
		if y != gy || w != gw {
			t.Fatalf("%s: %dW%d, time.ISOWeek %dW%d", d.DateString(), y, w, gy, gw)
		}
	}
}

// TestEpiWeekOneStarts checks the first day of MMWR (epi) week 1, which
// CDC defines as the first Sunday week with at least four days in January.
func TestEpiWeekOneStarts(t *testing.T) {
	s := mustParse(t, "epi-week")
	for year, start := range map[int]string{
		2014: "2013-12-29", 2015: "2015-01-04", 2016: "2016-01-03", 2017: "2017-01-01",
		2018: "2017-12-31", 2019: "2018-12-30", 2020: "2019-12-29", 2021: "2021-01-03",
		2022: "2022-01-02", 2023: "2023-01-01", 2024: "2023-12-31", 2025: "2024-12-29",
	} {
		d := s.Floor(date(t, cftime.Standard, year, 1, 4))
		if got := s.ID(d, d); d.DateString() != start || got != strconv.Itoa(year)+"SunW1" {
			t.Errorf("epi week 1 of %d: %s starting %s, want %s", year, got, d.DateString(), start)
		}
	}
}
