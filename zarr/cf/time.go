package cf

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cftime"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// ErrNoTime is returned when a variable has no time dimension.
var ErrNoTime = errors.New("no time dimension")

// TimeAxis is a decoded CF time coordinate.
type TimeAxis struct {
	// Dim is the time dimension's name and Axis its position in the variable.
	Dim   string
	Axis  int
	Units cftime.Units
	Dates []cftime.Date
}

// TimeDim finds v's time dimension: a dimension whose coordinate has CF time
// units ("<unit> since <date>"), axis T or standard_name time, or else a
// dimension named "time".
func (d *Dataset) TimeDim(v *Variable) (dim string, axis int, err error) {
	for i, dim := range v.Dims {
		c, ok := d.vars[dim]
		if !ok {
			continue
		}
		if strings.Contains(attrString(c.Attrs, "units"), " since ") ||
			attrString(c.Attrs, "axis") == "T" || attrString(c.Attrs, "standard_name") == "time" ||
			c.Array.DType.Kind == dtype.Datetime64 {
			return dim, i, nil
		}
	}
	for i, dim := range v.Dims {
		if dim == "time" {
			return dim, i, nil
		}
	}
	return "", -1, fmt.Errorf("variable %q (dims %v): %w", v.Name, v.Dims, ErrNoTime)
}

// Time reads and decodes v's time coordinate.
func (d *Dataset) Time(ctx context.Context, v *Variable) (*TimeAxis, error) {
	dim, axis, err := d.TimeDim(v)
	if err != nil {
		return nil, err
	}
	c, ok := d.vars[dim]
	if !ok {
		return nil, fmt.Errorf("time dimension %q of %q has no coordinate variable", dim, v.Name)
	}
	units, err := timeUnits(c)
	if err != nil {
		return nil, err
	}
	var dates []cftime.Date
	k := c.Array.DType.Kind
	switch {
	case k.IsInt() || k.IsUint() || k == dtype.Datetime64:
		raw, err := zarr.ReadAll[int64](ctx, c.Array)
		if err != nil {
			return nil, fmt.Errorf("time coordinate %q: %w", dim, err)
		}
		dates, err = units.DecodeInt64s(raw)
		if err != nil {
			return nil, fmt.Errorf("time coordinate %q: %w", dim, err)
		}
	default:
		raw, err := zarr.ReadAll[float64](ctx, c.Array)
		if err != nil {
			return nil, fmt.Errorf("time coordinate %q: %w", dim, err)
		}
		dates, err = units.DecodeFloat64s(raw)
		if err != nil {
			return nil, fmt.Errorf("time coordinate %q: %w", dim, err)
		}
	}
	return &TimeAxis{Dim: dim, Axis: axis, Units: units, Dates: dates}, nil
}

func timeUnits(c *Variable) (cftime.Units, error) {
	cal, err := cftime.ParseCalendar(attrString(c.Attrs, "calendar"))
	if err != nil {
		return cftime.Units{}, fmt.Errorf("time coordinate %q: %w", c.Name, err)
	}
	u := attrString(c.Attrs, "units")
	if u == "" && c.Array.DType.Kind == dtype.Datetime64 {
		// numpy datetime64 storage: counts of the dtype's unit since the Unix epoch.
		u = datetimeUnitName(c.Array.DType.Unit) + " since 1970-01-01"
	}
	if u == "" {
		return cftime.Units{}, fmt.Errorf("time coordinate %q has no units attribute", c.Name)
	}
	units, err := cftime.ParseUnits(u, cal)
	if err != nil {
		return cftime.Units{}, fmt.Errorf("time coordinate %q: %w", c.Name, err)
	}
	return units, nil
}

func datetimeUnitName(u string) string {
	switch u {
	case "D":
		return "days"
	case "h":
		return "hours"
	case "m":
		return "minutes"
	case "s":
		return "seconds"
	case "ms":
		return "milliseconds"
	case "us":
		return "microseconds"
	case "ns":
		return "nanoseconds"
	}
	return u
}
