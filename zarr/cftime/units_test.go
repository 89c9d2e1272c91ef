package cftime

import (
	"errors"
	"strings"
	"testing"
)

func TestParseUnits(t *testing.T) {
	tests := []struct {
		units string
		cal   Calendar
		unit  Unit
		epoch string // UTC
	}{
		{"days since 1970-01-01", Standard, Day, "1970-01-01T00:00:00"},
		{"days since 1970-1-1 0:00:00 UTC", Standard, Day, "1970-01-01T00:00:00"},
		{"hours since 1900-01-01T00:00:00Z", ProlepticGregorian, Hour, "1900-01-01T00:00:00"},
		{"Days Since 2000-01-01", NoLeap, Day, "2000-01-01T00:00:00"},
		{"  seconds   since   2000-01-01 12:00:00 +05:30 ", Standard, Second, "2000-01-01T06:30:00"},
		{"hours since 2000-01-01T00:00:00-0300", Standard, Hour, "2000-01-01T03:00:00"},
		{"minutes since 2000-01-01 00:00 -02", Day360, Minute, "2000-01-01T02:00:00"},
		{"hours since 2000-03-01 01:00:00+05", Day360, Hour, "2000-02-30T20:00:00"},
		{"milliseconds since 1850-01-01 00:00:00.0", NoLeap, Millisecond, "1850-01-01T00:00:00"},
		{"microseconds since 1850-01-01 00:00:00.123456789123", Julian, Microsecond, "1850-01-01T00:00:00.123456789"},
		{"ns since 2000-01-01T12", Standard, Nanosecond, "2000-01-01T12:00:00"},
		{"hrs since 2000", AllLeap, Hour, "2000-01-01T00:00:00"},
		{"d since 2000-06", AllLeap, Day, "2000-06-01T00:00:00"},
		{"days since -0001-06-01", ProlepticGregorian, Day, "-0001-06-01T00:00:00"},
		{"days since 1-1-1 GMT", Standard, Day, "0001-01-01T00:00:00"},
		{"days since 2000-01-01 Z", Standard, Day, "2000-01-01T00:00:00"},
	}
	for _, tt := range tests {
		u, err := ParseUnits(tt.units, tt.cal)
		if err != nil {
			t.Errorf("%q: %v", tt.units, err)
			continue
		}
		if u.Unit != tt.unit || u.Epoch.String() != tt.epoch || u.Calendar() != tt.cal {
			t.Errorf("%q: got %s since %s (%s)", tt.units, u.Unit, u.Epoch, u.Calendar())
		}
		again, err := ParseUnits(u.String(), tt.cal)
		if err != nil || again != u {
			t.Errorf("%q: String() %q does not parse back: %v", tt.units, u.String(), err)
		}
	}
}

func TestParseUnitsErrors(t *testing.T) {
	tests := []struct {
		units string
		cal   Calendar
		want  error
	}{
		{"days", Standard, ErrBadUnits},
		{"since 1970-01-01", Standard, ErrBadUnits},
		{"months since 1970-01-01", Standard, ErrBadUnits},
		{"fortnights since 1970-01-01", NoLeap, ErrBadUnits},
		{"days since", Standard, ErrBadUnits},
		{"days since yesterday", Standard, ErrBadUnits},
		{"days since 1970-01-01 00:00:00 +25:00", Standard, ErrBadUnits},
		{"days since 1970-01-01 00:", Standard, ErrBadUnits},
		{"days since 1970-02-30", Standard, ErrInvalidDate},
		{"days since 1970-01-31", Day360, ErrInvalidDate},
		{"days since 1582-10-10", Standard, ErrInvalidDate},
		{"days since 1970-01-01", Calendar(99), ErrUnknownCalendar},
	}
	for _, tt := range tests {
		_, err := ParseUnits(tt.units, tt.cal)
		if !errors.Is(err, tt.want) {
			t.Errorf("%q: got %v want %v", tt.units, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.units) {
			t.Errorf("%q: error %q does not name the units", tt.units, err)
		}
	}
	_, err := ParseCalendar("gregorain")
	if !errors.Is(err, ErrUnknownCalendar) || !strings.Contains(err.Error(), `"gregorain"`) {
		t.Errorf("ParseCalendar: %v", err)
	}
	for name, want := range map[string]Calendar{"": Standard, "Gregorian": Standard, "365_day": NoLeap, "366_day": AllLeap, "360_day": Day360, "proleptic_gregorian": ProlepticGregorian, "julian": Julian, "all_leap": AllLeap} {
		if got, err := ParseCalendar(name); err != nil || got != want {
			t.Errorf("ParseCalendar(%q) = %v, %v", name, got, err)
		}
	}
}

func TestDecodeSlicesAndEncode(t *testing.T) {
	u, err := ParseUnits("hours since 2000-02-28", NoLeap)
	if err != nil {
		t.Fatal(err)
	}
	got, err := u.DecodeInt32s([]int32{0, 24, 36, -1})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2000-02-28T00:00:00", "2000-03-01T00:00:00", "2000-03-01T12:00:00", "2000-02-27T23:00:00"}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %s want %s", i, got[i], want[i])
		}
	}
	i64, err := u.DecodeInt64s([]int64{48})
	if err != nil || i64[0].String() != "2000-03-02T00:00:00" {
		t.Error(i64, err)
	}
	if _, err := u.DecodeInt64s([]int64{0, -1 << 63}); !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "index 1") {
		t.Errorf("NaT time: %v", err)
	}
	f, err := u.DecodeFloat64s([]float64{0.5, 1.0 / 3600})
	if err != nil || f[0].String() != "2000-02-28T00:30:00" || f[1].String() != "2000-02-28T00:00:01" {
		t.Errorf("%v %v", f, err)
	}
	f32, err := u.DecodeFloat32s([]float32{1.5})
	if err != nil || f32[0].String() != "2000-02-28T01:30:00" {
		t.Errorf("%v %v", f32, err)
	}
	if _, err := u.DecodeFloat64s([]float64{1, nan()}); !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "index 1") {
		t.Errorf("NaN time: %v", err)
	}
	enc, err := u.EncodeFloat64s(got)
	if err != nil || enc[2] != 36 || enc[3] != -1 {
		t.Errorf("%v %v", enc, err)
	}
	half, _ := u.EncodeFloat64(f[0])
	if half != 0.5 {
		t.Error(half)
	}
	if _, err := u.EncodeInt64(f[0]); !errors.Is(err, ErrInexact) {
		t.Errorf("inexact: %v", err)
	}
	if _, err := u.EncodeInt64(mustDate(t, Standard, 2000, 1, 1)); !errors.Is(err, ErrCalendarMismatch) {
		t.Errorf("calendar mismatch: %v", err)
	}
	ints, err := u.EncodeInt64s(got)
	if err != nil || ints[1] != 24 {
		t.Errorf("%v %v", ints, err)
	}
	days := NewUnits(Day, mustDate(t, ProlepticGregorian, 1970, 1, 1))
	if days.String() != "days since 1970-01-01 00:00:00" {
		t.Error(days.String())
	}
}

func nan() float64 { var z float64; return z / z }

// FuzzParseUnits checks that parsing never panics and that whatever parses
// prints back to units that parse to the same thing.
func FuzzParseUnits(f *testing.F) {
	for _, s := range []string{
		"days since 1970-01-01", "hours since 1900-01-01T00:00:00Z", "d since 1970-1-1 0:00:00 UTC",
		"seconds since 2000-01-01 12:00:00 +05:30", "ms since -0001-1-1", "days since 1582-10-15",
		"minutes since 2000-01-01T00:00:00.5-0230",
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, c uint8) {
		cal := Calendar(c % 6)
		u, err := ParseUnits(s, cal)
		if err != nil {
			return
		}
		if err := u.Epoch.Validate(); err != nil {
			t.Fatalf("%q: epoch %s invalid: %v", s, u.Epoch, err)
		}
		again, err := ParseUnits(u.String(), cal)
		if err != nil || again != u {
			t.Fatalf("%q -> %q -> %v, %v", s, u.String(), again, err)
		}
		d, err := u.DecodeInt64(1000)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := u.EncodeInt64(d); err != nil || v != 1000 {
			t.Fatalf("%q: 1000 -> %s -> %d, %v", s, d, v, err)
		}
	})
}
