package cf

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// SpatialDims returns v's (y, x) dimensions and their axes: from the
// spatial:dimensions convention, else from coordinate attributes (axis Y/X,
// standard_name latitude/longitude/projection_*_coordinate, degrees_north/
// degrees_east units), else from common names, else the last two dimensions.
func (d *Dataset) SpatialDims(v *Variable) (ydim, xdim string, yaxis, xaxis int, err error) {
	if len(v.Dims) < 2 {
		return "", "", -1, -1, fmt.Errorf("variable %q has %d dimension(s), want at least 2 spatial ones", v.Name, len(v.Dims))
	}
	index := func(name string) int {
		for i, dn := range v.Dims {
			if dn == name {
				return i
			}
		}
		return -1
	}
	if sd, ok := v.Attrs["spatial:dimensions"].([]any); ok && len(sd) == 2 {
		y, _ := sd[0].(string)
		x, _ := sd[1].(string)
		if yi, xi := index(y), index(x); yi >= 0 && xi >= 0 {
			return y, x, yi, xi, nil
		}
	}
	yaxis, xaxis = -1, -1
	for i, dim := range v.Dims {
		switch d.axisOf(dim) {
		case "Y":
			if yaxis < 0 {
				yaxis = i
			}
		case "X":
			if xaxis < 0 {
				xaxis = i
			}
		}
	}
	if yaxis < 0 || xaxis < 0 {
		yaxis, xaxis = len(v.Dims)-2, len(v.Dims)-1
	}
	return v.Dims[yaxis], v.Dims[xaxis], yaxis, xaxis, nil
}

func (d *Dataset) axisOf(dim string) string {
	if c, ok := d.vars[dim]; ok {
		if a := attrString(c.Attrs, "axis"); a == "X" || a == "Y" {
			return a
		}
		switch attrString(c.Attrs, "standard_name") {
		case "latitude", "projection_y_coordinate", "grid_latitude":
			return "Y"
		case "longitude", "projection_x_coordinate", "grid_longitude":
			return "X"
		}
		switch strings.ToLower(attrString(c.Attrs, "units")) {
		case "degrees_north", "degree_north", "degrees_n", "degree_n":
			return "Y"
		case "degrees_east", "degree_east", "degrees_e", "degree_e":
			return "X"
		}
	}
	switch strings.ToLower(dim) {
	case "lat", "latitude", "y", "rlat":
		return "Y"
	case "lon", "longitude", "x", "rlon":
		return "X"
	}
	return ""
}

// CRS is a variable's coordinate reference system as the store describes it.
type CRS struct {
	// Code is an authority code such as "EPSG:4326" when one is known.
	Code string
	// WKT is the WKT of the CRS when the store carries one.
	WKT string
	// GridMapping is the name of the CF grid-mapping variable, if any, and
	// GridMappingAttrs its attributes (carried over to outputs).
	GridMapping      string
	GridMappingAttrs map[string]any
	// Source says where the CRS came from: "proj:code", "grid_mapping",
	// "_CRS", "implied by latitude/longitude coordinates", or "" (unknown).
	Source string
}

// CRS finds v's CRS: the proj: convention on the variable or the group,
// then a CF grid_mapping variable (crs_wkt / spatial_ref), then GDAL's _CRS,
// else geographic coordinates imply WGS 84.
func (d *Dataset) CRS(v *Variable) CRS {
	var c CRS
	for _, attrs := range []map[string]any{v.Attrs, d.Attrs} {
		if code := attrString(attrs, "proj:code"); code != "" {
			c.Code, c.Source = code, "proj:code"
		}
		if w := attrString(attrs, "proj:wkt2"); w != "" {
			c.WKT = w
			if c.Source == "" {
				c.Source = "proj:wkt2"
			}
		}
		if c.Source != "" {
			break
		}
	}
	if name := gridMappingVar(v.Attrs); name != "" {
		if g, ok := d.vars[name]; ok {
			c.GridMapping, c.GridMappingAttrs = name, g.Attrs
			if c.WKT == "" {
				c.WKT = attrString(g.Attrs, "crs_wkt")
			}
			if c.WKT == "" {
				c.WKT = attrString(g.Attrs, "spatial_ref")
			}
			if c.Source == "" {
				c.Source = "grid_mapping"
			}
		}
	}
	if gd, ok := v.Attrs["_CRS"].(map[string]any); ok && c.WKT == "" {
		c.WKT = attrString(gd, "wkt")
		if c.Source == "" {
			c.Source = "_CRS"
		}
	}
	if c.Code == "" && c.WKT != "" {
		c.Code = epsgFromWKT(c.WKT)
	}
	if c.Source == "" {
		ydim, xdim, _, _, err := d.SpatialDims(v)
		if err == nil && d.isGeographic(ydim, xdim) {
			c.Code, c.Source = "EPSG:4326", "implied by latitude/longitude coordinates"
		}
	}
	return c
}

func (d *Dataset) isGeographic(ydim, xdim string) bool {
	lat := strings.HasPrefix(strings.ToLower(ydim), "lat") || attrString(d.attrsOf(ydim), "units") == "degrees_north"
	lon := strings.HasPrefix(strings.ToLower(xdim), "lon") || attrString(d.attrsOf(xdim), "units") == "degrees_east"
	return lat && lon
}

func (d *Dataset) attrsOf(name string) map[string]any {
	if v, ok := d.vars[name]; ok {
		return v.Attrs
	}
	return nil
}

// epsgFromWKT finds the outermost AUTHORITY/ID of a WKT string, which is the
// last one in the text (the CRS's own, after those of its parts).
func epsgFromWKT(wkt string) string {
	for _, pat := range []string{`ID["EPSG",`, `AUTHORITY["EPSG","`} {
		i := strings.LastIndex(wkt, pat)
		if i < 0 {
			continue
		}
		rest := wkt[i+len(pat):]
		end := strings.IndexAny(rest, `"]`)
		if end > 0 {
			if depth := strings.Count(wkt[i:], "]"); depth <= 2 {
				return "EPSG:" + rest[:end]
			}
		}
	}
	return ""
}

// Axis1D is a decoded 1-D spatial coordinate.
type Axis1D struct {
	Dim    string
	Values []float64
}

// Step returns the spacing of a regular axis (negative when descending),
// 0 for an axis of fewer than two values.
func (a Axis1D) Step() float64 {
	if len(a.Values) < 2 {
		return 0
	}
	return (a.Values[len(a.Values)-1] - a.Values[0]) / float64(len(a.Values)-1)
}

// Extent is a variable's footprint in space and time.
type Extent struct {
	// CentreBBox spans the cell centres [west, south, east, north]; BBox
	// spans the cell edges, assuming regular spacing.
	CentreBBox [4]float64
	BBox       [4]float64
	Y, X       Axis1D
	Time       *TimeAxis // nil when v has no time dimension
}

// Extent reads v's spatial coordinates (and time, when it has one).
func (d *Dataset) Extent(ctx context.Context, v *Variable) (*Extent, error) {
	ydim, xdim, yaxis, xaxis, err := d.SpatialDims(v)
	if err != nil {
		return nil, err
	}
	e := &Extent{}
	for _, ax := range []struct {
		dim  string
		axis int
		dst  *Axis1D
	}{{ydim, yaxis, &e.Y}, {xdim, xaxis, &e.X}} {
		vals, ok, err := d.Coordinate(ctx, ax.dim)
		if err != nil {
			return nil, err
		}
		if !ok { // no coordinate: index space
			vals = make([]float64, v.Array.Shape[ax.axis])
			for i := range vals {
				vals[i] = float64(i)
			}
		}
		*ax.dst = Axis1D{Dim: ax.dim, Values: vals}
	}
	ylo, yhi := minMax(e.Y.Values)
	xlo, xhi := minMax(e.X.Values)
	e.CentreBBox = [4]float64{xlo, ylo, xhi, yhi}
	hy, hx := math.Abs(e.Y.Step())/2, math.Abs(e.X.Step())/2
	e.BBox = [4]float64{xlo - hx, ylo - hy, xhi + hx, yhi + hy}
	if _, _, err := d.TimeDim(v); err == nil {
		if e.Time, err = d.Time(ctx, v); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}
