package chunks

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/zarrproc/zarrproc/chunks/reduce"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cftime"
	"github.com/zarrproc/zarrproc/zarr/dtype"
)

// EngineVersion is recorded in outputs' provenance (and, later, memo keys).
const EngineVersion = "1"

// skippedAttrs are source attributes that describe the source's encoding
// (or its dimensions), not its meaning, and are not carried to outputs.
var skippedAttrs = map[string]bool{
	"_FillValue": true, "missing_value": true, "scale_factor": true, "add_offset": true,
	"_Unsigned": true, "_ARRAY_DIMENSIONS": true, "coordinates": true, "chunks": true,
	"preferred_chunks": true, "dtype": true, "valid_range": true, "valid_min": true, "valid_max": true,
}

func (p *Plan) format() int {
	if p.Request.Format == "zarr2" {
		return 2
	}
	return 3
}

// timeDimName is the output's first dimension: "time" for periods (the bin
// start), the grouping's name for climatologies, as xarray's groupby names
// them ("month", "dayofyear").
func (p *Plan) timeDimName() string {
	switch p.binning.Spec.String() {
	case "month-of-year":
		return "month"
	case "day-of-year":
		return "dayofyear"
	}
	return p.timeDim
}

// CreateOutput writes the output store's groups, coordinates and the
// metadata of every output array. It is idempotent.
func (p *Plan) CreateOutput(ctx context.Context) error {
	if p.out == nil {
		return &InputError{Input: "output", Reason: "missing"}
	}
	f := p.format()
	if _, err := zarr.CreateGroup(ctx, p.out, "", f, p.provenance()); err != nil {
		return fmt.Errorf("output %s: %w", p.Request.Output, err)
	}
	tdim := p.timeDimName()
	nb, ny, nx := len(p.binning.Bins), p.y1-p.y0, p.x1-p.x0
	gridMapping := ""
	if c := p.ds.CRS(p.v); c.GridMapping != "" {
		gridMapping = c.GridMapping
		if err := p.writeArray(ctx, c.GridMapping, nil, dtype.DType{Kind: dtype.Int32}, nil, []int32{0}, c.GridMappingAttrs); err != nil {
			return err
		}
	}
	// Coordinates.
	if err := p.writeTimeCoordinate(ctx, tdim); err != nil {
		return err
	}
	if err := p.writePeriodIDs(ctx, tdim); err != nil {
		return err
	}
	counts := make([]int32, nb)
	for i, b := range p.binning.Bins {
		counts[i] = int32(b.Count)
	}
	if err := p.writeArray(ctx, "timestep_count", []string{tdim}, dtype.DType{Kind: dtype.Int32}, nil, counts, map[string]any{
		"long_name": "number of source timesteps in the period",
	}); err != nil {
		return err
	}
	for _, ax := range []struct {
		dim  string
		vals []float64
	}{{p.ydim, p.ycoord}, {p.xdim, p.xcoord}} {
		attrs := map[string]any{}
		if v, err := p.ds.Variable(ax.dim); err == nil {
			attrs = carryAttrs(v.Attrs)
		}
		if err := p.writeArray(ctx, ax.dim, []string{ax.dim}, dtype.DType{Kind: dtype.Float64}, math.NaN(), ax.vals, attrs); err != nil {
			return err
		}
	}
	// Output variables.
	work := dtype.DType{Kind: dtype.Float32}
	if p.f64 {
		work.Kind = dtype.Float64
	}
	for _, r := range p.reducers {
		attrs := carryAttrs(p.v.Attrs)
		attrs["cell_methods"] = strings.TrimSpace(fmt.Sprintf("%s: %s", tdim, cellMethod(r)))
		if gridMapping != "" {
			attrs["grid_mapping"] = gridMapping
		}
		attrs["coordinates"] = "period_id"
		spec := zarr.ArraySpec{Format: f, Shape: []int{nb, ny, nx}, ChunkShape: []int{p.tchunk, p.cy, p.cx},
			DimensionNames: []string{tdim, p.ydim, p.xdim}, Attributes: attrs}
		switch r.Op {
		case reduce.Count:
			spec.DType = dtype.DType{Kind: dtype.Int32}
			// No fill in v2, where xarray reads fill_value as a mask and
			// would turn counts of 0 into NaN; v3 needs one and does not mask.
			spec.FillValue = nil
			delete(attrs, "units")
			attrs["long_name"] = "number of valid values"
		case reduce.Quantile:
			spec.DType, spec.FillValue = work, math.NaN()
			attrs["quantile"] = r.Q
		case reduce.Std, reduce.Var:
			spec.DType, spec.FillValue = work, math.NaN()
			attrs["ddof"] = r.DDOF
		default:
			spec.DType, spec.FillValue = work, math.NaN()
		}
		if _, err := zarr.CreateArray(ctx, p.out, p.outputName(r), spec); err != nil {
			return fmt.Errorf("output %s: %w", p.Request.Output, err)
		}
	}
	return nil
}

func cellMethod(r reduce.Reducer) string {
	switch r.Op {
	case reduce.Mean:
		return "mean"
	case reduce.Sum:
		return "sum"
	case reduce.Min:
		return "minimum"
	case reduce.Max:
		return "maximum"
	case reduce.Median:
		return "median"
	case reduce.Std:
		return "standard_deviation"
	case reduce.Var:
		return "variance"
	case reduce.Count:
		return "point" // CF has no count method; the variable says what it is
	}
	return r.String()
}

// carryAttrs copies the source attributes that keep their meaning.
func carryAttrs(src map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range src {
		if !skippedAttrs[k] {
			out[k] = v
		}
	}
	return out
}

// writeArray writes a small array whole, in one chunk.
func writeArray[T zarr.Number](ctx context.Context, p *Plan, name string, dims []string, dt dtype.DType, fill any, vals []T, attrs map[string]any) error {
	shape := []int{len(vals)}
	if dims == nil { // a 0-d variable (grid mapping)
		shape = []int{}
	}
	chunk := shape
	if len(shape) == 1 && shape[0] == 0 {
		chunk = []int{1}
	}
	a, err := zarr.CreateArray(ctx, p.out, name, zarr.ArraySpec{Format: p.format(), Shape: shape, ChunkShape: chunk,
		DType: dt, FillValue: fill, DimensionNames: dims, Attributes: attrs})
	if err != nil {
		return fmt.Errorf("output %s: %w", p.Request.Output, err)
	}
	if len(vals) == 0 {
		return nil
	}
	if err := zarr.Write(ctx, a, make([]int, len(shape)), shape, vals); err != nil {
		return fmt.Errorf("output %s: %w", p.Request.Output, err)
	}
	return nil
}

func (p *Plan) writeArray(ctx context.Context, name string, dims []string, dt dtype.DType, fill any, vals any, attrs map[string]any) error {
	switch v := vals.(type) {
	case []int32:
		return writeArray(ctx, p, name, dims, dt, fill, v, attrs)
	case []int64:
		return writeArray(ctx, p, name, dims, dt, fill, v, attrs)
	case []float64:
		return writeArray(ctx, p, name, dims, dt, fill, v, attrs)
	}
	return fmt.Errorf("writeArray: unsupported %T", vals)
}

// writeTimeCoordinate writes the bins' start dates as CF time (days since
// the first start when every start is a whole day, else seconds), or the
// group numbers of a climatology.
func (p *Plan) writeTimeCoordinate(ctx context.Context, tdim string) error {
	bins := p.binning.Bins
	if p.binning.Spec.IsClimatology() {
		groups := make([]int64, len(bins))
		ids := make([]string, len(bins))
		for i, b := range bins {
			groups[i] = int64(b.Group)
			ids[i] = b.ID
		}
		return p.writeArray(ctx, tdim, []string{tdim}, dtype.DType{Kind: dtype.Int64}, nil, groups, map[string]any{
			"long_name": tdim, "period_ids": ids,
		})
	}
	unit := cftime.Day
	for _, b := range bins {
		if b.Start.NanoOfDay() != 0 {
			unit = cftime.Second
		}
	}
	epoch := bins[0].Start.StartOfDay()
	units := cftime.NewUnits(unit, epoch)
	dates := make([]cftime.Date, len(bins))
	ids := make([]string, len(bins))
	for i, b := range bins {
		dates[i], ids[i] = b.Start, b.ID
	}
	vals, err := units.EncodeInt64s(dates)
	if err != nil {
		return fmt.Errorf("encoding output time: %w", err)
	}
	attrs := map[string]any{
		"standard_name": "time", "long_name": "start of period", "axis": "T",
		"units": units.String(), "calendar": units.Calendar().String(),
		"period": p.binning.Spec.String(), "period_ids": ids,
	}
	return p.writeArray(ctx, tdim, []string{tdim}, dtype.DType{Kind: dtype.Int64}, nil, vals, attrs)
}

// writePeriodIDs writes each period's DHIS2 period ID ("202401", "2024W5",
// "2024SunW8", …) as a string coordinate along the time dimension.
func (p *Plan) writePeriodIDs(ctx context.Context, tdim string) error {
	ids := make([]string, len(p.binning.Bins))
	longest := 1
	for i, b := range p.binning.Bins {
		ids[i] = b.ID
		longest = max(longest, len([]rune(b.ID)))
	}
	a, err := zarr.CreateArray(ctx, p.out, "period_id", zarr.ArraySpec{Format: p.format(), Shape: []int{len(ids)},
		ChunkShape: []int{max(1, len(ids))}, DType: dtype.FixedUTF32Type(longest), FillValue: "",
		DimensionNames: []string{tdim}, Attributes: map[string]any{"long_name": "DHIS2 period ID"}})
	if err != nil {
		return fmt.Errorf("output %s: %w", p.Request.Output, err)
	}
	if err := zarr.WriteStrings(ctx, a, ids); err != nil {
		return fmt.Errorf("output %s: %w", p.Request.Output, err)
	}
	return nil
}

// provenance is the output group's attributes: what made it, from what.
func (p *Plan) provenance() map[string]any {
	req, _ := json.Marshal(p.Request)
	var reqMap map[string]any
	_ = json.Unmarshal(req, &reqMap)
	delete(reqMap, "output")
	attrs := map[string]any{
		"Conventions":              "CF-1.8",
		"title":                    fmt.Sprintf("%s of %s per %s", strings.Join(p.OutputVariables(), ", "), p.v.Name, p.binning.Spec),
		"source":                   p.Request.Dataset,
		"zarrproc_process":         "temporal-aggregate",
		"zarrproc_inputs":          reqMap,
		"zarrproc_engine":          EngineVersion,
		"zarrproc_source_variable": p.v.Name,
		"period":                   p.binning.Spec.String(),
	}
	keys := make([]string, 0, len(p.ds.Attrs))
	for k := range p.ds.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "proj:") || strings.HasPrefix(k, "spatial:") || k == "zarr_conventions" {
			attrs[k] = p.ds.Attrs[k]
		}
	}
	for _, k := range []string{"proj:code", "proj:wkt2", "proj:projjson"} {
		if v, ok := p.v.Attrs[k]; ok {
			attrs[k] = v
		}
	}
	return attrs
}

// openOutputs opens the output arrays, once per plan.
func (p *Plan) openOutputs(ctx context.Context) ([]*zarr.Array, error) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	if p.outArrays != nil {
		return p.outArrays, nil
	}
	if p.out == nil {
		return nil, &InputError{Input: "output", Reason: "missing"}
	}
	arrays := make([]*zarr.Array, len(p.reducers))
	for k, r := range p.reducers {
		a, err := zarr.OpenArray(ctx, p.out, p.outputName(r))
		if err != nil {
			return nil, fmt.Errorf("output %s (run CreateOutput first): %w", p.Request.Output, err)
		}
		arrays[k] = a
	}
	p.outArrays = arrays
	return arrays, nil
}

// Finalize writes the consolidated metadata of the output. Idempotent.
func (p *Plan) Finalize(ctx context.Context) error {
	if err := zarr.Consolidate(ctx, p.out, ""); err != nil {
		return fmt.Errorf("output %s: %w", p.Request.Output, err)
	}
	return nil
}
