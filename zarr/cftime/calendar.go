package cftime

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors callers may branch on; every returned error wraps one of
// them and names the offending string or value.
var (
	ErrUnknownCalendar  = errors.New("unknown calendar")
	ErrBadUnits         = errors.New("bad time units")
	ErrInvalidDate      = errors.New("invalid date")
	ErrNotRealCalendar  = errors.New("calendar has no real-world instants")
	ErrCalendarMismatch = errors.New("calendars differ")
	ErrOutOfRange       = errors.New("time value out of range")
	ErrInexact          = errors.New("date is not a whole number of units")
)

// Calendar is a CF calendar.
type Calendar uint8

// The CF calendars. Standard is the CF default ("standard" and "gregorian").
const (
	Standard           Calendar = iota // Julian before 1582-10-15, Gregorian from then on
	ProlepticGregorian                 // Gregorian rules for every year
	Julian                             // a leap year every 4 years
	NoLeap                             // 365 days every year ("365_day")
	AllLeap                            // 366 days every year ("366_day")
	Day360                             // twelve 30-day months ("360_day")
)

var calendarNames = [...]string{
	Standard:           "standard",
	ProlepticGregorian: "proleptic_gregorian",
	Julian:             "julian",
	NoLeap:             "noleap",
	AllLeap:            "all_leap",
	Day360:             "360_day",
}

// ParseCalendar reads a CF calendar attribute, case-insensitively. The empty
// string is the CF default, Standard. "none" is rejected: CF's calendar-less
// time has no dates.
func ParseCalendar(name string) (Calendar, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "standard", "gregorian":
		return Standard, nil
	case "proleptic_gregorian":
		return ProlepticGregorian, nil
	case "julian":
		return Julian, nil
	case "noleap", "365_day":
		return NoLeap, nil
	case "all_leap", "366_day":
		return AllLeap, nil
	case "360_day":
		return Day360, nil
	}
	return 0, fmt.Errorf("cftime: calendar %q: %w", name, ErrUnknownCalendar)
}

// String returns the canonical CF name of the calendar.
func (c Calendar) String() string {
	if int(c) < len(calendarNames) {
		return calendarNames[c]
	}
	return fmt.Sprintf("Calendar(%d)", uint8(c))
}

// IsReal reports whether dates of the calendar are real instants that
// time.Time can hold (standard, proleptic_gregorian, julian).
func (c Calendar) IsReal() bool {
	return c == Standard || c == ProlepticGregorian || c == Julian
}

func (c Calendar) valid() bool { return int(c) < len(calendarNames) }

// IsLeapYear reports whether year has a 29 February (always for all_leap,
// never for noleap and 360_day).
func (c Calendar) IsLeapYear(year int) bool {
	switch c {
	case ProlepticGregorian:
		return gregorianLeap(year)
	case Julian:
		return year%4 == 0
	case Standard:
		if year < 1583 {
			return year%4 == 0
		}
		return gregorianLeap(year)
	case AllLeap:
		return true
	}
	return false
}

func gregorianLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

var cumDays = [2][13]int{
	{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
	{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
}

// DaysInMonth returns the number of days of month (1–12) in year. Like
// cftime's daysinmonth, October 1582 of the standard calendar counts 31 days
// although 5–14 October do not exist.
func (c Calendar) DaysInMonth(year, month int) int {
	if month < 1 || month > 12 {
		return 0
	}
	if c == Day360 {
		return 30
	}
	l := 0
	if c.IsLeapYear(year) {
		l = 1
	}
	return cumDays[l][month] - cumDays[l][month-1]
}

// DaysInYear returns the number of days in year by the calendar's leap rule
// (the standard calendar's 1582 counts 365, as in cftime).
func (c Calendar) DaysInYear(year int) int {
	if c == Day360 {
		return 360
	}
	if c.IsLeapYear(year) {
		return 366
	}
	return 365
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}

// Julian Day Number of 1970-01-01 (Gregorian), i.e. JDN - unixEpochJDN is the Unix day.
const unixEpochJDN = 2440588

// First JDN of the Gregorian reform (1582-10-15 Gregorian = 1582-10-05 Julian).
const gregorianReformJDN = 2299161

func gregorianJDN(y, m, d int64) int64 {
	a := floorDiv(14-m, 12)
	yy := y + 4800 - a
	mm := m + 12*a - 3
	return d + floorDiv(153*mm+2, 5) + 365*yy + floorDiv(yy, 4) - floorDiv(yy, 100) + floorDiv(yy, 400) - 32045
}

func julianJDN(y, m, d int64) int64 {
	a := floorDiv(14-m, 12)
	yy := y + 4800 - a
	mm := m + 12*a - 3
	return d + floorDiv(153*mm+2, 5) + 365*yy + floorDiv(yy, 4) - 32083
}

func gregorianFromJDN(j int64) (y, m, d int64) {
	a := j + 32044
	b := floorDiv(4*a+3, 146097)
	c := a - floorDiv(146097*b, 4)
	dd := floorDiv(4*c+3, 1461)
	e := c - floorDiv(1461*dd, 4)
	mm := floorDiv(5*e+2, 153)
	d = e - floorDiv(153*mm+2, 5) + 1
	m = mm + 3 - 12*floorDiv(mm, 10)
	y = 100*b + dd - 4800 + floorDiv(mm, 10)
	return
}

func julianFromJDN(j int64) (y, m, d int64) {
	c := j + 32082
	dd := floorDiv(4*c+3, 1461)
	e := c - floorDiv(1461*dd, 4)
	mm := floorDiv(5*e+2, 153)
	d = e - floorDiv(153*mm+2, 5) + 1
	m = mm + 3 - 12*floorDiv(mm, 10)
	y = dd - 4800 + floorDiv(mm, 10)
	return
}

// yearLen is the fixed year length of the idealised calendars.
func (c Calendar) yearLen() int64 {
	switch c {
	case NoLeap:
		return 365
	case AllLeap:
		return 366
	case Day360:
		return 360
	}
	return 0
}

// daysFromCivil returns days since the calendar's 1970-01-01. It never
// panics: months outside 1–12 roll into neighbouring years and days outside
// the month count on linearly, as time.Date normalises.
func (c Calendar) daysFromCivil(y, m, d int64) int64 {
	if m < 1 || m > 12 {
		y += floorDiv(m-1, 12)
		m = floorMod(m-1, 12) + 1
	}
	switch c {
	case ProlepticGregorian:
		return gregorianJDN(y, m, d) - unixEpochJDN
	case Julian:
		return julianJDN(y, m, d) - unixEpochJDN
	case Standard:
		if y > 1582 || (y == 1582 && (m > 10 || (m == 10 && d >= 15))) {
			return gregorianJDN(y, m, d) - unixEpochJDN
		}
		return julianJDN(y, m, d) - unixEpochJDN
	case NoLeap:
		return (y-1970)*365 + int64(cumDays[0][m-1]) + d - 1
	case AllLeap:
		return (y-1970)*366 + int64(cumDays[1][m-1]) + d - 1
	case Day360:
		return (y-1970)*360 + (m-1)*30 + d - 1
	}
	return 0
}

// civilFromDays is the inverse of daysFromCivil.
func (c Calendar) civilFromDays(n int64) (y, m, d int64) {
	switch c {
	case ProlepticGregorian:
		return gregorianFromJDN(n + unixEpochJDN)
	case Julian:
		return julianFromJDN(n + unixEpochJDN)
	case Standard:
		if n+unixEpochJDN >= gregorianReformJDN {
			return gregorianFromJDN(n + unixEpochJDN)
		}
		return julianFromJDN(n + unixEpochJDN)
	case Day360:
		y = 1970 + floorDiv(n, 360)
		r := floorMod(n, 360)
		return y, r/30 + 1, r%30 + 1
	case NoLeap, AllLeap:
		l := c.yearLen()
		y = 1970 + floorDiv(n, l)
		r := int(floorMod(n, l))
		cum := &cumDays[0]
		if c == AllLeap {
			cum = &cumDays[1]
		}
		mo := r/31 + 1 // never past the right month; step forward
		for mo < 12 && r >= cum[mo] {
			mo++
		}
		return y, int64(mo), int64(r-cum[mo-1]) + 1
	}
	return 0, 0, 0
}
