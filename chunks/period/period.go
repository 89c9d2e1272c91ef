package period

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zarrproc/zarrproc/zarr/cftime"
)

// Sentinel errors; returned errors wrap them and name the offending input.
var (
	ErrUnknownPeriod = errors.New("unknown period")
	ErrBadUTCOffset  = errors.New("bad utc_offset")
	ErrUnsorted      = errors.New("time coordinate is not sorted ascending")
	ErrMixedCalendar = errors.New("time coordinate mixes calendars")
)

// Kind is a period type.
type Kind uint8

// The period types. The climatology groupings MonthOfYear and DayOfYear
// gather the same month or day of year across years.
const (
	Day           Kind = iota
	Week               // ISO week, Monday start
	EpiWeek            // Sunday start (DHIS2 WeeklySunday, CDC epi week)
	WeekWednesday      // DHIS2 WeeklyWednesday
	WeekThursday       // DHIS2 WeeklyThursday
	WeekSaturday       // DHIS2 WeeklySaturday
	Dekad              // 1–10, 11–20, 21–end of month
	Month
	Quarter
	Season // DJF, MAM, JJA, SON
	Year
	All
	MonthOfYear
	DayOfYear
)

var kindNames = [...]string{
	Day: "day", Week: "week", EpiWeek: "epi-week", WeekWednesday: "week-wednesday",
	WeekThursday: "week-thursday", WeekSaturday: "week-saturday", Dekad: "dekad",
	Month: "month", Quarter: "quarter", Season: "season", Year: "year", All: "all",
	MonthOfYear: "month-of-year", DayOfYear: "day-of-year",
}

// String returns the canonical name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Spec is a parsed period specification.
type Spec struct {
	Kind Kind
}

// Parse reads a period name, case-insensitively: day, week (iso-week),
// epi-week (epiweek, week-sunday), week-wednesday, week-thursday,
// week-saturday, dekad, month, quarter, season, year, all, month-of-year,
// day-of-year. Underscores may stand for hyphens.
func Parse(name string) (Spec, error) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "-")
	switch n {
	case "iso-week", "week-monday":
		return Spec{Week}, nil
	case "epiweek", "week-sunday":
		return Spec{EpiWeek}, nil
	}
	for k, s := range kindNames {
		if n == s {
			return Spec{Kind(k)}, nil
		}
	}
	return Spec{}, fmt.Errorf("period %q: %w (want one of %s)", name, ErrUnknownPeriod, strings.Join(kindNames[:], ", "))
}

// String returns the canonical period name.
func (s Spec) String() string { return s.Kind.String() }

// IsClimatology reports whether the spec groups across years (month-of-year,
// day-of-year) instead of cutting the time axis into consecutive bins.
func (s Spec) IsClimatology() bool { return s.Kind == MonthOfYear || s.Kind == DayOfYear }

// weekStart is the weekday a week kind starts on.
func (k Kind) weekStart() (time.Weekday, bool) {
	switch k {
	case Week:
		return time.Monday, true
	case EpiWeek:
		return time.Sunday, true
	case WeekWednesday:
		return time.Wednesday, true
	case WeekThursday:
		return time.Thursday, true
	case WeekSaturday:
		return time.Saturday, true
	}
	return 0, false
}

// ymd builds a midnight date. In the standard calendar a day lost to the
// Gregorian reform (1582-10-05 … 14) becomes 1582-10-15, so that dekad 2 of
// October 1582 runs 15–20.
func ymd(cal cftime.Calendar, y, m, d int) cftime.Date {
	if cal == cftime.Standard && y == 1582 && m == 10 && d > 4 && d < 15 {
		d = 15
	}
	return cftime.Date{Year: y, Month: m, Day: d, Calendar: cal}
}

// Floor returns the start of the bin holding the (local) date d. For All and
// the climatology kinds it returns the start of d's day.
func (s Spec) Floor(d cftime.Date) cftime.Date {
	d = d.StartOfDay()
	switch s.Kind {
	case Dekad:
		return ymd(d.Calendar, d.Year, d.Month, min(d.Day-1, 29)/10*10+1)
	case Month:
		return ymd(d.Calendar, d.Year, d.Month, 1)
	case Quarter:
		return ymd(d.Calendar, d.Year, (d.Month-1)/3*3+1, 1)
	case Season:
		switch {
		case d.Month == 12:
			return ymd(d.Calendar, d.Year, 12, 1)
		case d.Month <= 2:
			return ymd(d.Calendar, d.Year-1, 12, 1)
		}
		return ymd(d.Calendar, d.Year, d.Month/3*3, 1)
	case Year:
		return ymd(d.Calendar, d.Year, 1, 1)
	}
	if ws, ok := s.Kind.weekStart(); ok {
		back := (int(d.Weekday()) - int(ws) + 7) % 7
		return d.AddDays(-back)
	}
	return d
}

// Next returns the start of the bin after the one starting at start.
func (s Spec) Next(start cftime.Date) cftime.Date {
	switch s.Kind {
	case Dekad:
		if k := (start.Day - 1) / 10; k < 2 {
			return ymd(start.Calendar, start.Year, start.Month, k*10+11)
		}
		start.Day = 1
		return addMonths(start, 1)
	case Month:
		return addMonths(start, 1)
	case Quarter, Season:
		return addMonths(start, 3)
	case Year:
		start.Year++
		return start
	}
	if _, ok := s.Kind.weekStart(); ok {
		return start.AddDays(7)
	}
	return start.AddDays(1)
}

// addMonths moves a first-of-month date by n months.
func addMonths(d cftime.Date, n int) cftime.Date {
	m := d.Month - 1 + n
	d.Year += m / 12
	d.Month = m%12 + 1
	return d
}

// ID returns the DHIS2 period ID of the bin starting at start (see the
// package documentation for the forms). last is the last day of the bin and
// is used only by All.
func (s Spec) ID(start, last cftime.Date) string {
	b := make([]byte, 0, 24)
	y := start.Year
	switch s.Kind {
	case Day:
		return string(pad(pad(pad(b, y, 4), start.Month, 2), start.Day, 2))
	case Dekad:
		b = pad(pad(b, y, 4), start.Month, 2)
		return string(append(b, 'D', byte('1'+min(start.Day-1, 29)/10)))
	case Month:
		return string(pad(pad(b, y, 4), start.Month, 2))
	case Quarter:
		return string(append(pad(b, y, 4), 'Q', byte('1'+(start.Month-1)/3)))
	case Season:
		switch start.Month {
		case 12:
			return string(append(pad(b, y+1, 4), "DJF"...))
		case 3:
			return string(append(pad(b, y, 4), "MAM"...))
		case 6:
			return string(append(pad(b, y, 4), "JJA"...))
		}
		return string(append(pad(b, y, 4), "SON"...))
	case Year:
		return string(pad(b, y, 4))
	case All:
		return start.DateString() + "/" + last.DateString()
	case MonthOfYear:
		return string(pad(b, start.Month, 2))
	case DayOfYear:
		return string(pad(b, start.YearDay(), 3))
	}
	wy, wn := s.WeekNumber(start)
	b = strconv.AppendInt(b, int64(wy), 10)
	b = append(b, weekPrefix[s.Kind]...)
	return string(strconv.AppendInt(b, int64(wn), 10))
}

// pad appends v in decimal, zero-padded to width digits.
func pad(b []byte, v, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

var weekPrefix = [...]string{Week: "W", EpiWeek: "SunW", WeekWednesday: "WedW", WeekThursday: "ThuW", WeekSaturday: "SatW"}

// WeekNumber returns the DHIS2 week-based year and week number of the week
// (of the spec's kind) holding d: the week belongs to the year of its 4th
// day, and week 1 is the week holding 4 January (dhis2-core
// WeeklyAbstractPeriodType, WeekFields.of(firstDayOfWeek, 4)). For non-week
// kinds it returns 0, 0.
func (s Spec) WeekNumber(d cftime.Date) (year, week int) {
	if _, ok := s.Kind.weekStart(); !ok {
		return 0, 0
	}
	start := s.Floor(d)
	year = start.AddDays(3).Year
	w1 := s.Floor(ymd(d.Calendar, year, 1, 4))
	return year, int((start.Days()-w1.Days())/7) + 1
}

// ParseUTCOffset reads "±HH:MM", "±HHMM", "±HH" or "Z" (also "", "UTC").
func ParseUTCOffset(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	switch strings.ToUpper(t) {
	case "", "Z", "UTC":
		return 0, nil
	}
	bad := fmt.Errorf("utc_offset %q: want ±HH:MM: %w", s, ErrBadUTCOffset)
	var hh, mm string
	switch {
	case len(t) == 3:
		hh = t[1:3]
	case len(t) == 5:
		hh, mm = t[1:3], t[3:5]
	case len(t) == 6 && t[3] == ':':
		hh, mm = t[1:3], t[4:6]
	default:
		return 0, bad
	}
	if t[0] != '+' && t[0] != '-' || !isDigits(hh) || (mm != "" && !isDigits(mm)) {
		return 0, bad
	}
	h, _ := strconv.Atoi(hh)
	m := 0
	if mm != "" {
		m, _ = strconv.Atoi(mm)
	}
	if h > 23 || m > 59 {
		return 0, bad
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if t[0] == '-' {
		d = -d
	}
	return d, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
