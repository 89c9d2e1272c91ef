// Package period owns temporal binning: it turns a period name ("month",
// "week", "epi-week", "dekad", "season", "month-of-year", …) and the decoded
// time coordinate of a dataset into bins, and says for each timestep which
// bin it falls in.
//
// Bins are closed on the left and labelled by their start, in the time
// coordinate's own calendar (cftime.Date), so noleap and 360_day data bin
// exactly. Every bin carries its DHIS2 period ID, its timestep count, the
// count a complete bin would have, and whether it is partial.
//
// DHIS2 period IDs:
//
//	day            20240101
//	week (ISO)     2024W5        Monday weeks
//	epi-week       2024SunW8     Sunday weeks (alias week-sunday)
//	week-wednesday 2024WedW3
//	week-thursday  2024ThuW3
//	week-saturday  2024SatW3
//	dekad          202401D1      D1 = days 1–10, D2 = 11–20, D3 = 21–end (no DHIS2 type; our form)
//	month          202401
//	quarter        2024Q1
//	season         2024DJF       DJF/MAM/JJA/SON, DJF labelled by the year of its January
//	                             (2024DJF = 2023-12-01 … 2024-02-29; no DHIS2 type; our form)
//	year           2024
//	all            2020-01-01/2020-12-31   first and last day of the data (ISO interval)
//	month-of-year  01 … 12
//	day-of-year    001 … 366
//
// The same bins in xarray (checked in chunks/reduce/xarray_test.go against
// chunks/testdata/gen_expected.py): day resample("D"); week
// resample("W-MON", closed="left", label="left"), epi-week "W-SUN",
// week-wednesday "W-WED", week-thursday "W-THU", week-saturday "W-SAT" (same
// closed/label); month "MS"; quarter "QS-JAN"; season "QS-DEC"; year "YS";
// month-of-year groupby("time.month"); day-of-year groupby("time.dayofyear").
// Dekads have no pandas alias. xarray cannot resample weeks on cftime
// calendars; here a week of a noleap, all_leap or 360_day calendar starts on
// the weekday cftime's dayofwk gives.
//
// Week numbering follows DHIS2 (dhis2-core WeeklyAbstractPeriodType.getIsoDate,
// which uses java.time WeekFields.of(firstDayOfWeek, 4)): week 1 of a year is
// the first week, starting on the period's weekday, that has at least 4 days
// in that year — the week holding 4 January. A week therefore belongs to the
// year of its 4th day: Thursday for ISO weeks, Wednesday for Sunday (epi)
// weeks, Saturday for Wednesday weeks, Sunday for Thursday weeks, Tuesday for
// Saturday weeks. Numbers are not zero-padded ("%d%s%d").
//
// Partial bins: a bin is complete when it holds every timestep of the data's
// regular grid that falls inside it. The grid is the first timestep plus
// multiples of the data's step (Options.Step, or the smallest gap between
// consecutive timesteps). Steps of 28–31 days count as one calendar month,
// 89–92 days as three months and 360–366 days as one year; 8–11 days between
// dates all on the 1st, 11th or 21st count as one dekad. For those, a bin made
// of whole months (dekads) expects one timestep per step and shorter bins are
// never partial.
// Edge bins the data only partly covers, and bins with missing timesteps
// inside, are partial; they are kept unless Options.DropPartial.
// Climatology groups (month-of-year, day-of-year) are never partial.
//
// UTC offset: with Options.UTCOffset the day boundaries are local days, so a
// timestep t falls in the bin of the local wall time t+offset, and bin starts
// are local midnights. The offset only applies to sub-daily data: a daily or
// coarser value already stands for a whole day, and shifting it would move it
// into the neighbouring day.
//
// In the standard calendar, a bin boundary that falls on a day lost to the
// Gregorian reform (1582-10-05 … 14) moves to 1582-10-15: dekad 1 of October
// 1582 has 4 days and dekad 2 has 6.
//
// The package knows nothing of arrays, reducers or Zarr; it imports only
// zarr/cftime.
package period
