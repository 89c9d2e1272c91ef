package cftime

import (
	"fmt"
	"strconv"
	"time"
)

const (
	nsPerSecond = int64(time.Second)
	nsPerDay    = 86400 * nsPerSecond
)

// Date is a date and time of day in a CF calendar, always UTC. The zero
// value is 0000-01-01 in the standard calendar, which is not a valid date
// (months and days start at 1); build dates with NewDate or by decoding.
type Date struct {
	Year       int
	Month      int // 1–12
	Day        int // 1–DaysInMonth
	Hour       int // 0–23
	Minute     int // 0–59
	Second     int // 0–59 (no leap seconds in CF time)
	Nanosecond int // 0–999999999
	Calendar   Calendar
}

// NewDate returns the date after checking every field against the calendar.
func NewDate(cal Calendar, year, month, day, hour, minute, second, nanosecond int) (Date, error) {
	d := Date{year, month, day, hour, minute, second, nanosecond, cal}
	return d, d.Validate()
}

// Validate reports whether d names a real date of its calendar, e.g. it
// rejects 30 February in every calendar but 360_day and 1582-10-10 in the
// standard calendar.
func (d Date) Validate() error {
	if !d.Calendar.valid() {
		return fmt.Errorf("cftime: date %s: %w", d, ErrUnknownCalendar)
	}
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Hour < 0 || d.Hour > 23 ||
		d.Minute < 0 || d.Minute > 59 || d.Second < 0 || d.Second > 59 ||
		d.Nanosecond < 0 || d.Nanosecond >= int(nsPerSecond) {
		return fmt.Errorf("cftime: %s date %s: %w", d.Calendar, d, ErrInvalidDate)
	}
	if d.Year < -5000000 || d.Year > 5000000 {
		return fmt.Errorf("cftime: %s date %s: year beyond ±5,000,000: %w", d.Calendar, d, ErrInvalidDate)
	}
	lim := 31
	switch d.Calendar {
	case Day360:
		lim = 30
	case Standard:
		if d.Year == 1582 && d.Month == 10 && d.Day > 4 && d.Day < 15 {
			return fmt.Errorf("cftime: standard date %s falls in the Gregorian reform gap: %w", d, ErrInvalidDate)
		}
		fallthrough
	default:
		lim = d.Calendar.DaysInMonth(d.Year, d.Month)
	}
	if d.Day > lim {
		return fmt.Errorf("cftime: %s date %s: day out of range for the month: %w", d.Calendar, d, ErrInvalidDate)
	}
	return nil
}

// Days returns the number of days from the calendar's 1970-01-01 to d's day.
// For the real calendars it is the Unix day of the instant.
func (d Date) Days() int64 {
	return d.Calendar.daysFromCivil(int64(d.Year), int64(d.Month), int64(d.Day))
}

// NanoOfDay returns the time of day in nanoseconds.
func (d Date) NanoOfDay() int64 {
	return int64(d.Hour)*3600*nsPerSecond + int64(d.Minute)*60*nsPerSecond +
		int64(d.Second)*nsPerSecond + int64(d.Nanosecond)
}

// FromDays returns the date days after the calendar's 1970-01-01 plus
// nanoOfDay nanoseconds; nanoOfDay may be negative or exceed a day.
func FromDays(cal Calendar, days, nanoOfDay int64) Date {
	days += floorDiv(nanoOfDay, nsPerDay)
	nanoOfDay = floorMod(nanoOfDay, nsPerDay)
	y, m, dd := cal.civilFromDays(days)
	s := nanoOfDay / nsPerSecond
	return Date{
		Year: int(y), Month: int(m), Day: int(dd),
		Hour: int(s / 3600), Minute: int(s / 60 % 60), Second: int(s % 60),
		Nanosecond: int(nanoOfDay % nsPerSecond),
		Calendar:   cal,
	}
}

// StartOfDay returns midnight of d's day.
func (d Date) StartOfDay() Date {
	d.Hour, d.Minute, d.Second, d.Nanosecond = 0, 0, 0, 0
	return d
}

// AddDays returns d moved by n calendar days, keeping the time of day.
func (d Date) AddDays(n int) Date {
	return FromDays(d.Calendar, d.Days()+int64(n), d.NanoOfDay())
}

// Add returns d moved by dur.
func (d Date) Add(dur time.Duration) Date {
	days := int64(dur) / nsPerDay
	rest := int64(dur) % nsPerDay
	return FromDays(d.Calendar, d.Days()+days, d.NanoOfDay()+rest)
}

// Sub returns d − o, saturated to the range of time.Duration (about ±292
// years); use Days for longer spans. Dates of different calendars compare by
// their day counts, which is meaningful only between real calendars.
func (d Date) Sub(o Date) time.Duration {
	dd := d.Days() - o.Days()
	const maxDays = int64(1<<63-1) / nsPerDay
	if dd > maxDays {
		return time.Duration(1<<63 - 1)
	}
	if dd < -maxDays {
		return time.Duration(-1 << 63)
	}
	return time.Duration(dd*nsPerDay + d.NanoOfDay() - o.NanoOfDay())
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o. Dates of
// different calendars compare by Days (the instant, for real calendars).
func (d Date) Compare(o Date) int {
	a, b := d.Days(), o.Days()
	if a == b {
		a, b = d.NanoOfDay(), o.NanoOfDay()
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Equal reports whether d and o are the same instant.
func (d Date) Equal(o Date) bool { return d.Compare(o) == 0 }

// Weekday returns the day of the week. For real calendars it is the true
// weekday; for noleap, all_leap and 360_day it is cftime's convention:
// (days since 0000-01-01 of the calendar) mod 7, where 0 is Monday.
func (d Date) Weekday() time.Weekday {
	var mon0 int64 // 0 = Monday
	if l := d.Calendar.yearLen(); l != 0 {
		mon0 = floorMod(d.Days()+1970*l, 7)
	} else {
		mon0 = floorMod(d.Days()+unixEpochJDN, 7) // JDN 0 was a Monday
	}
	return time.Weekday((mon0 + 1) % 7)
}

// YearDay returns the day of the year, 1 for 1 January, up to 360, 365 or
// 366. As in cftime's dayofyr, the days skipped by the Gregorian reform still
// count: standard 1582-10-15 is day 288.
func (d Date) YearDay() int {
	if d.Month < 1 || d.Month > 12 { // not a valid date: normalise first
		d = FromDays(d.Calendar, d.Days(), 0)
	}
	if d.Calendar == Day360 {
		return (d.Month-1)*30 + d.Day
	}
	l := 0
	if d.Calendar.IsLeapYear(d.Year) {
		l = 1
	}
	return cumDays[l][d.Month-1] + d.Day
}

// DaysInMonth returns the number of days of d's month.
func (d Date) DaysInMonth() int { return d.Calendar.DaysInMonth(d.Year, d.Month) }

// String formats d as ISO 8601, "2024-01-05T00:00:00", with a fraction of
// second only when it is not zero. Years outside 0–9999 carry a sign.
func (d Date) String() string {
	b := make([]byte, 0, 32)
	b = appendYear(b, d.Year)
	b = append(b, '-')
	b = append2(b, d.Month)
	b = append(b, '-')
	b = append2(b, d.Day)
	b = append(b, 'T')
	b = append2(b, d.Hour)
	b = append(b, ':')
	b = append2(b, d.Minute)
	b = append(b, ':')
	b = append2(b, d.Second)
	if d.Nanosecond != 0 {
		f := strconv.Itoa(d.Nanosecond + int(nsPerSecond))[1:]
		for len(f) > 0 && f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		b = append(b, '.')
		b = append(b, f...)
	}
	return string(b)
}

// DateString formats the day of d as "2024-01-05".
func (d Date) DateString() string {
	b := make([]byte, 0, 12)
	b = appendYear(b, d.Year)
	b = append(b, '-')
	b = append2(b, d.Month)
	b = append(b, '-')
	b = append2(b, d.Day)
	return string(b)
}

func appendYear(b []byte, y int) []byte {
	if y < 0 || y > 9999 {
		if y < 0 {
			b = append(b, '-')
			y = -y
		} else {
			b = append(b, '+')
		}
	}
	s := strconv.Itoa(y)
	for i := len(s); i < 4; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func append2(b []byte, v int) []byte {
	if v >= 0 && v < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(v), 10)
}

// Time converts a date of a real calendar to a UTC time.Time (which uses the
// proleptic Gregorian calendar). A standard or julian date before the reform
// becomes the same instant in Gregorian reckoning.
func (d Date) Time() (time.Time, error) {
	if !d.Calendar.IsReal() {
		return time.Time{}, fmt.Errorf("cftime: %s date %s to time.Time: %w", d.Calendar, d, ErrNotRealCalendar)
	}
	y, m, dd := gregorianFromJDN(d.Days() + unixEpochJDN)
	return time.Date(int(y), time.Month(m), int(dd), d.Hour, d.Minute, d.Second, d.Nanosecond, time.UTC), nil
}

// FromTime converts t, taken in UTC, to a date of a real calendar.
func FromTime(t time.Time, cal Calendar) (Date, error) {
	if !cal.IsReal() {
		return Date{}, fmt.Errorf("cftime: time.Time to %s: %w", cal, ErrNotRealCalendar)
	}
	t = t.UTC()
	days := gregorianJDN(int64(t.Year()), int64(t.Month()), int64(t.Day())) - unixEpochJDN
	d := FromDays(cal, days, 0)
	d.Hour, d.Minute, d.Second, d.Nanosecond = t.Hour(), t.Minute(), t.Second(), t.Nanosecond()
	return d, nil
}

// Convert returns the same instant in another real calendar.
func (d Date) Convert(cal Calendar) (Date, error) {
	if !cal.IsReal() || !d.Calendar.IsReal() {
		return Date{}, fmt.Errorf("cftime: %s date %s to %s: %w", d.Calendar, d, cal, ErrNotRealCalendar)
	}
	return FromDays(cal, d.Days(), d.NanoOfDay()), nil
}
