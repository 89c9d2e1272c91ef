// Package cftime owns CF-convention time: calendars, calendar dates, and the
// "<unit> since <reference date>" encoding of time coordinates.
//
// It decodes the numbers stored in a time coordinate (int32, int64, float32,
// float64) into Dates and encodes Dates back into numbers, for every CF
// calendar: standard/gregorian (Julian before 1582-10-15, Gregorian from then
// on, as cftime does), proleptic_gregorian, julian, noleap/365_day,
// all_leap/366_day and 360_day.
//
// Conventions, chosen to agree with cftime and numpy:
//
//   - Years are astronomical: year 0 exists and is 1 BC. cftime agrees for the
//     idealised calendars and numpy.datetime64 for proleptic_gregorian; cftime's
//     real-world calendars skip year 0 by default, which only matters before
//     year 1.
//   - Date.Days counts days since the calendar's own 1970-01-01. For the real
//     calendars (standard, proleptic_gregorian, julian) it is the Unix day of
//     the instant, so dates of different real calendars compare through it.
//   - Weekday of a real-calendar date is the true weekday of that instant. For
//     noleap, all_leap and 360_day there is no true weekday; like cftime's
//     dayofwk, the weekday is (days since 0000-01-01 of that calendar) mod 7,
//     with 0 = Monday (so noleap 1970-01-01 is a Thursday, 360_day 1970-01-01
//     a Wednesday, all_leap 1970-01-01 a Sunday).
//   - Decoded dates are in UTC: a reference date with a timezone offset
//     ("hours since 1970-01-01 00:00 +05:00") is moved to UTC, as cftime and
//     xarray do. Decoding resolves to the nanosecond.
//
// The package knows nothing of Zarr, attributes or arrays: callers hand it the
// units and calendar strings and the raw values.
package cftime
