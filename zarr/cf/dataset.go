package cf

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// ErrNoVariable is returned (wrapped, with the name) for a variable the
// dataset does not have.
var ErrNoVariable = errors.New("no such variable")

// Dataset is a Zarr group read through CF conventions.
type Dataset struct {
	Store store.Store
	Path  string
	Group *zarr.Group
	Attrs map[string]any

	names []string
	vars  map[string]*Variable
}

// Variable is one array of the dataset with its CF meaning.
type Variable struct {
	Name  string
	Array *zarr.Array
	// Dims names each axis; unnamed axes get "dim_<i>".
	Dims   []string
	Attrs  map[string]any
	Coding Coding
}

// Open reads the group at path (consolidated metadata when present) and the
// metadata of every array directly in it.
func Open(ctx context.Context, s store.Store, path string) (*Dataset, error) {
	g, err := zarr.OpenGroup(ctx, s, path)
	if err != nil {
		return nil, err
	}
	names, err := g.ArrayNames(ctx)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Store: s, Path: path, Group: g, Attrs: g.Attributes, vars: map[string]*Variable{}}
	for _, n := range names {
		a, err := g.OpenArray(ctx, n)
		if err != nil {
			return nil, err
		}
		v := &Variable{Name: n, Array: a, Dims: dimNames(a), Attrs: a.Attributes}
		if v.Attrs == nil {
			v.Attrs = map[string]any{}
		}
		if v.Coding, err = codingOf(a); err != nil {
			return nil, fmt.Errorf("variable %q: %w", n, err)
		}
		d.vars[n] = v
		d.names = append(d.names, n)
	}
	sort.Strings(d.names)
	return d, nil
}

func dimNames(a *zarr.Array) []string {
	dims := make([]string, len(a.Shape))
	for i := range dims {
		if i < len(a.DimensionNames) && a.DimensionNames[i] != "" {
			dims[i] = a.DimensionNames[i]
		} else {
			dims[i] = fmt.Sprintf("dim_%d", i)
		}
	}
	return dims
}

// Names lists every variable (data and coordinates), sorted.
func (d *Dataset) Names() []string { return append([]string(nil), d.names...) }

// Variable returns the named variable; the error lists the data variables.
func (d *Dataset) Variable(name string) (*Variable, error) {
	if v, ok := d.vars[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%w %q in %s (data variables: %s)", ErrNoVariable, name,
		d.where(), strings.Join(d.DataVariables(), ", "))
}

func (d *Dataset) where() string {
	if d.Path == "" {
		return d.Store.URL()
	}
	return d.Store.URL() + "/" + d.Path
}

// DataVariables lists the variables that are not coordinates: not named
// after a dimension, not a grid-mapping variable, not listed in another
// variable's "coordinates", not 0-dimensional.
func (d *Dataset) DataVariables() []string {
	isCoord := map[string]bool{}
	for _, v := range d.vars {
		for _, dim := range v.Dims {
			isCoord[dim] = true
		}
		if gm := gridMappingVar(v.Attrs); gm != "" {
			isCoord[gm] = true
		}
		if cs, ok := v.Attrs["coordinates"].(string); ok {
			for _, c := range strings.Fields(cs) {
				isCoord[c] = true
			}
		}
		if b, ok := v.Attrs["bounds"].(string); ok {
			isCoord[b] = true
		}
	}
	var out []string
	for _, n := range d.names {
		if !isCoord[n] && len(d.vars[n].Dims) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// Coordinate reads the 1-D coordinate variable of dim, CF-decoded to
// float64. ok is false when the dataset has no such coordinate.
func (d *Dataset) Coordinate(ctx context.Context, dim string) (vals []float64, ok bool, err error) {
	v, found := d.vars[dim]
	if !found || len(v.Dims) != 1 {
		return nil, false, nil
	}
	vals, err = zarr.ReadAll[float64](ctx, v.Array)
	if err != nil {
		return nil, true, fmt.Errorf("coordinate %q: %w", dim, err)
	}
	v.Coding.DecodeFloat64(vals)
	return vals, true, nil
}

// gridMappingVar names the grid-mapping variable of a variable's
// grid_mapping attribute: "spatial_ref", or the first name of CF's extended
// form "crs: lat lon crs_2: x y". "" when there is none (or it is blank).
func gridMappingVar(attrs map[string]any) string {
	f := strings.Fields(strings.ReplaceAll(attrString(attrs, "grid_mapping"), ":", " "))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// attrString returns a string attribute, or "".
func attrString(attrs map[string]any, key string) string {
	s, _ := attrs[key].(string)
	return s
}
