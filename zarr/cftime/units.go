package cftime

import (
	"fmt"
	"math"
	"strings"
)

// Unit is the unit of a CF time coordinate.
type Unit uint8

// The units CF and xarray decode. Months and years are not fixed durations
// and are rejected.
const (
	Nanosecond Unit = iota
	Microsecond
	Millisecond
	Second
	Minute
	Hour
	Day
)

var unitNanos = [...]int64{1, 1e3, 1e6, 1e9, 60e9, 3600e9, 86400e9}
var unitNames = [...]string{"nanoseconds", "microseconds", "milliseconds", "seconds", "minutes", "hours", "days"}

// Nanoseconds returns the length of the unit.
func (u Unit) Nanoseconds() int64 { return unitNanos[u] }

// String returns the plural CF name, "days".
func (u Unit) String() string { return unitNames[u] }

// ParseUnit reads a unit name case-insensitively: the spellings cftime
// accepts (days/day/d, hours/hour/hrs/hr/h, minutes/minute/mins/min,
// seconds/second/secs/sec/s, milliseconds/millisecond/millisecs/millisec/
// msecs/msec/ms, microseconds/microsecond/microsecs/microsec) plus those
// xarray/numpy add (nanoseconds/nanosecond/ns, us/µs/usec, nsec).
func ParseUnit(s string) (Unit, error) {
	if u, ok := lookupUnit(s); ok {
		return u, nil
	}
	return 0, fmt.Errorf("cftime: time unit %q (want days, hours, minutes, seconds, milliseconds, microseconds or nanoseconds): %w", s, ErrBadUnits)
}

func lookupUnit(s string) (Unit, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "days", "day", "d":
		return Day, true
	case "hours", "hour", "hrs", "hr", "h":
		return Hour, true
	case "minutes", "minute", "mins", "min":
		return Minute, true
	case "seconds", "second", "secs", "sec", "s":
		return Second, true
	case "milliseconds", "millisecond", "millisecs", "millisec", "msecs", "msec", "ms":
		return Millisecond, true
	case "microseconds", "microsecond", "microsecs", "microsec", "usecs", "usec", "us", "µs":
		return Microsecond, true
	case "nanoseconds", "nanosecond", "nanosecs", "nanosec", "nsecs", "nsec", "ns":
		return Nanosecond, true
	}
	return 0, false
}

// Units is a parsed CF time units attribute: values count Unit from Epoch.
type Units struct {
	Unit  Unit
	Epoch Date // the reference date moved to UTC; its Calendar is the coordinate's calendar
}

// ParseUnits parses a CF units attribute "<unit> since <reference date>" for
// a calendar. The reference date is read loosely, as cftime does:
// "1970-1-1 0:00:00 UTC", "1900-01-01T00:00:00Z", "2000-01-01",
// "1850-01-01 00:00:00.0", "2000-01-01 12:00 +05:30", "-0001-06-01".
// Errors wrap ErrBadUnits (or ErrInvalidDate) and quote the units string.
func ParseUnits(units string, cal Calendar) (Units, error) {
	if !cal.valid() {
		return Units{}, fmt.Errorf("cftime: units %q: calendar %s: %w", units, cal, ErrUnknownCalendar)
	}
	s := strings.TrimSpace(units)
	unit, date, ok := splitSince(s)
	if !ok {
		return Units{}, fmt.Errorf("cftime: units %q: want \"<unit> since <date>\": %w", units, ErrBadUnits)
	}
	u, ok := lookupUnit(unit)
	if !ok {
		return Units{}, fmt.Errorf("cftime: units %q: time unit %q (want days, hours, minutes, seconds, milliseconds, microseconds or nanoseconds): %w", units, unit, ErrBadUnits)
	}
	ref, offset, err := parseRefDate(date, cal)
	if err != nil {
		return Units{}, fmt.Errorf("cftime: units %q: %w", units, err)
	}
	// A date written at UTC+hh:mm is hh:mm earlier in UTC.
	ref = FromDays(cal, ref.Days(), ref.NanoOfDay()-offset)
	return Units{Unit: u, Epoch: ref}, nil
}

// splitSince splits "<unit> since <date>" at the word "since" (any case,
// surrounded by blanks).
func splitSince(s string) (unit, date string, ok bool) {
	for i := 1; i+5 < len(s); i++ {
		if isSpace(s[i-1]) && isSpace(s[i+5]) && strings.EqualFold(s[i:i+5], "since") {
			unit, date = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+5:])
			return unit, date, unit != "" && date != ""
		}
	}
	return "", "", false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// NewUnits returns units of u since epoch (a date in UTC).
func NewUnits(u Unit, epoch Date) Units { return Units{Unit: u, Epoch: epoch} }

// Calendar returns the calendar of the coordinate.
func (u Units) Calendar() Calendar { return u.Epoch.Calendar }

// String formats the units as CF writes them: "days since 1970-01-01
// 00:00:00" (with a fraction of second when the epoch has one).
func (u Units) String() string {
	return u.Unit.String() + " since " + strings.Replace(u.Epoch.String(), "T", " ", 1)
}

// unitsPerDay is exact for every Unit.
func (u Units) unitsPerDay() int64 { return nsPerDay / unitNanos[u.Unit] }

// DecodeInt64 returns the date v units after the epoch. Values that land
// beyond about ±5 million years (such as an int64 NaT sentinel) are errors
// wrapping ErrOutOfRange.
func (u Units) DecodeInt64(v int64) (Date, error) {
	upd := u.unitsPerDay()
	days := floorDiv(v, upd)
	if days > maxDecodeDays || days < -maxDecodeDays {
		return Date{}, fmt.Errorf("cftime: time value %d %s: %w", v, u, ErrOutOfRange)
	}
	rest := floorMod(v, upd) * unitNanos[u.Unit]
	return FromDays(u.Epoch.Calendar, u.Epoch.Days()+days, u.Epoch.NanoOfDay()+rest), nil
}

// maxDecodeDays bounds decoded dates to years within about ±5 million.
const maxDecodeDays = 5_000_000 * 366

// DecodeFloat64 returns the date v units after the epoch, rounded to the
// nearest nanosecond. NaN, ±Inf and values beyond about ±5 million years are
// errors wrapping ErrOutOfRange.
func (u Units) DecodeFloat64(v float64) (Date, error) {
	upd := float64(u.unitsPerDay())
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v/upd) > maxDecodeDays {
		return Date{}, fmt.Errorf("cftime: time value %v %s: %w", v, u, ErrOutOfRange)
	}
	whole := math.Floor(v)
	if math.Abs(whole) >= 1<<62 {
		return Date{}, fmt.Errorf("cftime: time value %v %s: %w", v, u, ErrOutOfRange)
	}
	frac := v - whole
	w := int64(whole)
	ud := int64(upd)
	days := floorDiv(w, ud)
	ns := floorMod(w, ud)*unitNanos[u.Unit] + int64(math.Round(frac*float64(unitNanos[u.Unit])))
	return FromDays(u.Epoch.Calendar, u.Epoch.Days()+days, u.Epoch.NanoOfDay()+ns), nil
}

// DecodeInt64s decodes a slice of int64 time values; the error names the
// index of the first value out of range.
func (u Units) DecodeInt64s(vals []int64) ([]Date, error) {
	out := make([]Date, len(vals))
	for i, v := range vals {
		d, err := u.DecodeInt64(v)
		if err != nil {
			return nil, fmt.Errorf("time index %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}

// DecodeInt32s decodes a slice of int32 time values.
func (u Units) DecodeInt32s(vals []int32) ([]Date, error) {
	out := make([]Date, len(vals))
	for i, v := range vals {
		d, err := u.DecodeInt64(int64(v))
		if err != nil {
			return nil, fmt.Errorf("time index %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}

// DecodeFloat64s decodes a slice of float64 time values; the error names the
// index of the first value that cannot be a date (NaN, ±Inf, too large).
func (u Units) DecodeFloat64s(vals []float64) ([]Date, error) {
	out := make([]Date, len(vals))
	for i, v := range vals {
		d, err := u.DecodeFloat64(v)
		if err != nil {
			return nil, fmt.Errorf("time index %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}

// DecodeFloat32s decodes a slice of float32 time values.
func (u Units) DecodeFloat32s(vals []float32) ([]Date, error) {
	out := make([]Date, len(vals))
	for i, v := range vals {
		d, err := u.DecodeFloat64(float64(v))
		if err != nil {
			return nil, fmt.Errorf("time index %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}

func (u Units) checkCalendar(d Date) error {
	if d.Calendar != u.Epoch.Calendar {
		return fmt.Errorf("cftime: encode %s date %s in %q (%s): %w", d.Calendar, d, u.String(), u.Epoch.Calendar, ErrCalendarMismatch)
	}
	return nil
}

// EncodeInt64 returns d as a whole number of units since the epoch. It fails
// with ErrInexact when d is not a whole number of units away from the epoch,
// with ErrOutOfRange on int64 overflow, and with ErrCalendarMismatch when d
// is of another calendar than the units.
func (u Units) EncodeInt64(d Date) (int64, error) {
	if err := u.checkCalendar(d); err != nil {
		return 0, err
	}
	days := d.Days() - u.Epoch.Days()
	ns := d.NanoOfDay() - u.Epoch.NanoOfDay()
	un := unitNanos[u.Unit]
	if ns%un != 0 {
		return 0, fmt.Errorf("cftime: encode %s in %q: %w", d, u.String(), ErrInexact)
	}
	upd := u.unitsPerDay()
	if days > math.MaxInt64/upd-1 || days < math.MinInt64/upd+1 {
		return 0, fmt.Errorf("cftime: encode %s in %q: %w", d, u.String(), ErrOutOfRange)
	}
	return days*upd + ns/un, nil
}

// EncodeFloat64 returns d as a (possibly fractional) number of units since
// the epoch.
func (u Units) EncodeFloat64(d Date) (float64, error) {
	if err := u.checkCalendar(d); err != nil {
		return 0, err
	}
	days := d.Days() - u.Epoch.Days()
	ns := d.NanoOfDay() - u.Epoch.NanoOfDay()
	un := unitNanos[u.Unit]
	whole := float64(days) * float64(u.unitsPerDay())
	return whole + float64(ns/un) + float64(ns%un)/float64(un), nil
}

// EncodeInt64s encodes dates as whole units; see EncodeInt64.
func (u Units) EncodeInt64s(dates []Date) ([]int64, error) {
	out := make([]int64, len(dates))
	for i, d := range dates {
		v, err := u.EncodeInt64(d)
		if err != nil {
			return nil, fmt.Errorf("time index %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// EncodeFloat64s encodes dates as float64 units; see EncodeFloat64.
func (u Units) EncodeFloat64s(dates []Date) ([]float64, error) {
	out := make([]float64, len(dates))
	for i, d := range dates {
		v, err := u.EncodeFloat64(d)
		if err != nil {
			return nil, fmt.Errorf("time index %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}
