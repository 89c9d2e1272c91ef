package chunks

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zarrproc/zarrproc/chunks/period"
	"github.com/zarrproc/zarrproc/chunks/reduce"
	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cf"
	"github.com/zarrproc/zarrproc/zarr/cftime"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// DefaultMemoryBudget bounds what one run holds in decoded chunks and
// partial states.
const DefaultMemoryBudget = 192 << 20

// Plan is a validated request turned into work: the selected source region,
// the bins, and the output tiles. A Plan is deterministic: every worker that
// builds one from the same request and data gets the same tiles.
type Plan struct {
	Request Request
	opts    Options

	ds    *cf.Dataset
	v     *cf.Variable
	src   *zarr.Array
	out   store.Store
	f64   bool // work (and output) in float64
	taxis int  // axes of the source variable
	yaxis int
	xaxis int

	dates   []cftime.Date // selected timesteps
	t0, t1  int           // selected source time range
	y0, y1  int           // selected source rows
	x0, x1  int           // selected source columns
	ycoord  []float64     // selected coordinate values
	xcoord  []float64
	ydim    string
	xdim    string
	timeDim string

	binning  period.Binning
	reducers []reduce.Reducer
	minCount int
	lastStep []int // per bin, the last selected timestep it holds (-1: none)

	// Output grid: (bins, ny, nx) chunked (tchunk, cy, cx); one tile per
	// spatial output chunk.
	tchunk, cy, cx int
	tiles          [][2]int // (row, col) of each tile's output chunk

	chunksDone atomic.Int64 // source chunks reduced, for Progress
	outMu      sync.Mutex
	outArrays  []*zarr.Array
}

// NewPlan validates req, opens the dataset, bins the selected timesteps and
// cuts the output into tiles. Input problems are *InputError.
func NewPlan(ctx context.Context, req Request, opts Options) (*Plan, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	if opts.OutputChunkBytes <= 0 {
		opts.OutputChunkBytes = 4 << 20
	}
	if opts.MemoryBudget <= 0 {
		opts.MemoryBudget = DefaultMemoryBudget
	}
	if opts.OpenStore == nil {
		opts.OpenStore = func(url string) (store.Store, error) {
			return store.Open(context.Background(), url, store.Options{})
		}
	}
	p := &Plan{Request: req, opts: opts}
	if err := p.parseRequest(); err != nil {
		return nil, err
	}
	src, err := opts.OpenStore(req.Dataset)
	if err != nil {
		return nil, &InputError{Input: "dataset", Reason: err.Error()}
	}
	if p.ds, err = cf.Open(ctx, countingStore{src}, ""); err != nil {
		if errors.Is(err, zarr.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
			return nil, &InputError{Input: "dataset", Reason: fmt.Sprintf("no Zarr group at %s", req.Dataset)}
		}
		return nil, fmt.Errorf("dataset %s: %w", req.Dataset, err)
	}
	if p.v, err = p.ds.Variable(req.Variable); err != nil {
		return nil, &InputError{Input: "variable", Reason: err.Error()}
	}
	p.src = p.v.Array
	if err := p.selectRegion(ctx); err != nil {
		return nil, err
	}
	if err := p.bin(); err != nil {
		return nil, err
	}
	if err := p.layoutOutput(); err != nil {
		return nil, err
	}
	if req.Output != "" {
		if p.out, err = opts.OpenStore(req.Output); err != nil {
			return nil, &InputError{Input: "output", Reason: err.Error()}
		}
	}
	return p, nil
}

func (p *Plan) parseRequest() error {
	req := &p.Request
	if req.Dataset == "" {
		return &InputError{Input: "dataset", Reason: "missing"}
	}
	if req.Variable == "" {
		return &InputError{Input: "variable", Reason: "missing"}
	}
	if req.Period == "" {
		return &InputError{Input: "period", Reason: "missing"}
	}
	if len(req.Reducers) == 0 {
		return &InputError{Input: "reducers", Reason: "missing (one or more of count, sum, mean, min, max, std, var, median, quantile, first, last)"}
	}
	seen := map[string]bool{}
	for _, name := range req.Reducers {
		name = strings.TrimSpace(name)
		var r reduce.Reducer
		if name == "quantile" { // q comes from the quantile input
			if req.Quantile == nil {
				return &InputError{Input: "quantile", Reason: "the quantile reducer needs a quantile q in [0, 1]"}
			}
			r = reduce.Reducer{Op: reduce.Quantile, Q: *req.Quantile}
		} else {
			var err error
			if r, err = reduce.ParseReducer(name); err != nil {
				return &InputError{Input: "reducers", Reason: err.Error()}
			}
		}
		if r.Op == reduce.Std || r.Op == reduce.Var {
			r.DDOF = req.Ddof
		}
		if err := r.Validate(); err != nil {
			in := "reducers"
			if r.Op == reduce.Quantile {
				in = "quantile"
			}
			return &InputError{Input: in, Reason: err.Error()}
		}
		if seen[r.String()] {
			return &InputError{Input: "reducers", Reason: fmt.Sprintf("%s is listed twice", r)}
		}
		seen[r.String()] = true
		p.reducers = append(p.reducers, r)
	}
	if req.Ddof < 0 {
		return &InputError{Input: "ddof", Reason: fmt.Sprintf("must be ≥ 0, got %d", req.Ddof)}
	}
	p.minCount = reduce.DefaultMinCount
	if req.MinCount != nil {
		if *req.MinCount < 0 {
			return &InputError{Input: "min_count", Reason: fmt.Sprintf("must be ≥ 0, got %d", *req.MinCount)}
		}
		p.minCount = *req.MinCount
	}
	switch req.Format {
	case "", "zarr3", "zarr2":
	default:
		return &InputError{Input: "output_format", Reason: fmt.Sprintf("want zarr3 or zarr2, got %q", req.Format)}
	}
	if req.BBox != nil {
		if err := finiteBBox(*req.BBox); err != nil {
			return &InputError{Input: "bbox", Reason: err.Error()}
		}
	}
	return nil
}

// selectRegion finds the time, y and x index ranges of the request.
func (p *Plan) selectRegion(ctx context.Context) error {
	v := p.v
	if len(v.Dims) != 3 {
		return &InputError{Input: "variable", Reason: fmt.Sprintf("%q has dimensions %v; temporal aggregation needs (time, y, x)", v.Name, v.Dims)}
	}
	tdim, taxis, err := p.ds.TimeDim(v)
	if err != nil {
		return &InputError{Input: "variable", Reason: err.Error()}
	}
	ydim, xdim, yaxis, xaxis, err := p.ds.SpatialDims(v)
	if err != nil || yaxis == taxis || xaxis == taxis || yaxis == xaxis {
		return &InputError{Input: "variable", Reason: fmt.Sprintf("cannot tell the spatial dimensions of %q (dims %v)", v.Name, v.Dims)}
	}
	p.timeDim, p.taxis, p.ydim, p.xdim, p.yaxis, p.xaxis = tdim, taxis, ydim, xdim, yaxis, xaxis
	ext, err := p.ds.Extent(ctx, v)
	if err != nil {
		return fmt.Errorf("dataset %s: %w", p.Request.Dataset, err)
	}
	dates := ext.Time.Dates
	lo, hi, err := parseInterval(p.Request.Time, ext.Time.Units.Calendar())
	if err != nil {
		return &InputError{Input: "time", Reason: err.Error()}
	}
	p.t0, p.t1 = timeRange(dates, lo, hi)
	if p.t0 >= p.t1 {
		return &InputError{Input: "time", Reason: fmt.Sprintf("%q selects no timestep (data: %s to %s)",
			p.Request.Time, dates[0], dates[len(dates)-1])}
	}
	p.dates = dates[p.t0:p.t1]
	p.y0, p.y1, p.x0, p.x1 = 0, len(ext.Y.Values), 0, len(ext.X.Values)
	if b := p.Request.BBox; b != nil {
		if p.y0, p.y1, err = axisRange(ext.Y.Values, b[1], b[3]); err != nil {
			return &InputError{Input: "bbox", Reason: fmt.Sprintf("%s: %v", ydim, err)}
		}
		if p.x0, p.x1, err = axisRange(ext.X.Values, b[0], b[2]); err != nil {
			return &InputError{Input: "bbox", Reason: fmt.Sprintf("%s: %v", xdim, err)}
		}
		if p.y0 >= p.y1 || p.x0 >= p.x1 {
			return &InputError{Input: "bbox", Reason: fmt.Sprintf("%v holds no pixel centre of the dataset (extent %v)", *b, ext.BBox)}
		}
	}
	p.ycoord = ext.Y.Values[p.y0:p.y1]
	p.xcoord = ext.X.Values[p.x0:p.x1]
	p.f64 = v.Coding.NeedsFloat64(p.src.DType)
	return nil
}

func (p *Plan) bin() error {
	spec, err := period.Parse(p.Request.Period)
	if err != nil {
		return &InputError{Input: "period", Reason: err.Error()}
	}
	off, err := period.ParseUTCOffset(p.Request.UTCOffset)
	if err != nil {
		return &InputError{Input: "utc_offset", Reason: err.Error()}
	}
	p.binning, err = spec.Assign(p.dates, period.Options{UTCOffset: off, DropPartial: p.Request.DropPartial})
	if err != nil {
		return &InputError{Input: "period", Reason: err.Error()}
	}
	if len(p.binning.Bins) == 0 {
		return &InputError{Input: "period", Reason: "no complete period in the selected time range (drop_partial is set)"}
	}
	p.lastStep = make([]int, len(p.binning.Bins))
	for i := range p.lastStep {
		p.lastStep[i] = -1
	}
	for t, b := range p.binning.Index {
		if b >= 0 {
			p.lastStep[b] = t
		}
	}
	return nil
}

// layoutOutput chooses the output chunking: the source's spatial chunk
// shape (so a tile reads whole source chunks when the selection is aligned),
// shrunk in space while a tile's working set exceeds its share of the
// memory budget, and enough bins per chunk for chunks of a few MB. When the
// budget cannot hold Concurrency whole tiles, fewer tiles run at once before
// any is shrunk: a tile smaller than a source chunk still decodes whole
// chunks, so shrinking multiplies the decoding. Options.Layout, when set,
// is taken as it is.
func (p *Plan) layoutOutput() error {
	ny, nx := p.y1-p.y0, p.x1-p.x0
	if l := p.opts.Layout; l != nil {
		if l.TileRows < 1 || l.TileRows > ny || l.TileCols < 1 || l.TileCols > nx || l.TimeChunk < 1 || l.TimeChunk > max(1, len(p.binning.Bins)) {
			return fmt.Errorf("layout %+v does not fit an output of %d periods × %d × %d", *l, len(p.binning.Bins), ny, nx)
		}
		p.cy, p.cx, p.tchunk = l.TileRows, l.TileCols, l.TimeChunk
	} else {
		cs := p.src.ChunkShape
		p.cy, p.cx = min(cs[p.yaxis], ny), min(cs[p.xaxis], nx)
		if whole := p.tileBytes(p.cy, p.cx); whole*int64(p.opts.Concurrency) > p.opts.MemoryBudget {
			p.opts.Concurrency = int(max(1, p.opts.MemoryBudget/whole))
		}
		share := p.opts.MemoryBudget / int64(p.opts.Concurrency)
		for p.tileBytes(p.cy, p.cx) > share && (p.cy > 1 || p.cx > 1) {
			cy, cx := p.cy, p.cx
			if cy >= cx {
				cy = (cy + 1) / 2
			} else {
				cx = (cx + 1) / 2
			}
			if p.tileBytes(cy, cx) >= p.tileBytes(p.cy, p.cx) {
				break // what is left is one decoded chunk and the output chunks
			}
			p.cy, p.cx = cy, cx
		}
		p.tchunk = max(1, min(len(p.binning.Bins), p.opts.OutputChunkBytes/(p.cy*p.cx*p.elemSize())))
	}
	for r := 0; r*p.cy < ny; r++ {
		for c := 0; c*p.cx < nx; c++ {
			p.tiles = append(p.tiles, [2]int{r, c})
		}
	}
	return nil
}

// SourceArrays are the paths of the arrays the result is computed from:
// the variable and the coordinate arrays of its time, y and x dimensions
// (those the dataset stores). A request's data version covers them.
func (p *Plan) SourceArrays() []string {
	paths := []string{p.src.Path}
	for _, dim := range []string{p.timeDim, p.ydim, p.xdim} {
		if v, err := p.ds.Variable(dim); err == nil && !slices.Contains(paths, v.Array.Path) {
			paths = append(paths, v.Array.Path)
		}
	}
	return paths
}

// Layout returns how the plan cuts its output, for Options.Layout.
func (p *Plan) Layout() Layout { return Layout{TileRows: p.cy, TileCols: p.cx, TimeChunk: p.tchunk} }

func (p *Plan) elemSize() int {
	if p.f64 {
		return 8
	}
	return 4
}

// tileBytes estimates what one tile of cy×cx output pixels holds at once:
// decoded source data (a tile of whole, aligned source chunks is reduced
// straight from decoded chunks, one being reduced and one being decoded;
// any other tile decodes one source chunk at a time and gathers its part
// into tile-sized buffers), the partial states of the bins open together,
// and finished bins waiting for their output chunk.
func (p *Plan) tileBytes(cy, cx int) int64 {
	cs := p.src.ChunkShape
	es := int64(p.elemSize())
	pixels := int64(cy * cx)
	chunkBytes := int64(product(cs)) * es
	buffers := int64(prefetchDepth + 2)
	var decoded int64
	if p.taxis == 0 && p.yaxis == 1 && p.xaxis == 2 && cy == cs[1] && cx == cs[2] && p.y0%cy == 0 && p.x0%cx == 0 {
		decoded = buffers * chunkBytes
	} else {
		decoded = chunkBytes + buffers*int64(cs[p.taxis])*pixels*es
	}
	maxBin, open := 0, 0
	for _, b := range p.binning.Bins {
		maxBin = max(maxBin, b.Count)
	}
	open = min(len(p.binning.Bins), cs[p.taxis]/max(1, maxBin)+2)
	if p.binning.Spec.IsClimatology() {
		open = len(p.binning.Bins)
	}
	perBin := int64(40) // count, sums, min, max, M2, first/last per pixel
	for _, r := range p.reducers {
		if r.Op == reduce.Median || r.Op == reduce.Quantile {
			perBin += es * int64(maxBin)
			break
		}
	}
	states := int64(open) * pixels * perBin
	if p.binning.Spec.IsClimatology() && perBin > 40 {
		states = pixels * es * int64(len(p.dates))
	}
	outputs := int64(len(p.reducers)) * int64(p.opts.OutputChunkBytes) // bins waiting for their output chunk
	return decoded + states + outputs
}

// NumTiles returns the number of tiles (output chunks in space).
func (p *Plan) NumTiles() int { return len(p.tiles) }

// Bins returns the output periods.
func (p *Plan) Bins() []period.Bin { return p.binning.Bins }

// OutputShape is (periods, ny, nx).
func (p *Plan) OutputShape() []int {
	return []int{len(p.binning.Bins), p.y1 - p.y0, p.x1 - p.x0}
}

// SourceChunks is the number of source chunks the plan reads (a chunk
// overlapped by two tiles counts twice).
func (p *Plan) SourceChunks() int {
	n := 0
	for i := range p.tiles {
		n += len(p.tileSources(i)) * p.timeChunks()
	}
	return n
}

func (p *Plan) timeChunks() int {
	ct := p.src.ChunkShape[p.taxis]
	return (p.t1-1)/ct - p.t0/ct + 1
}

// OutputVariables names the output arrays, one per reducer.
func (p *Plan) OutputVariables() []string {
	out := make([]string, len(p.reducers))
	for i, r := range p.reducers {
		out[i] = p.outputName(r)
	}
	return out
}

func (p *Plan) outputName(r reduce.Reducer) string {
	if r.Op == reduce.Quantile {
		n := 0
		for _, o := range p.reducers {
			if o.Op == reduce.Quantile {
				n++
			}
		}
		if n > 1 {
			return p.v.Name + "_" + r.String()
		}
		return p.v.Name + "_quantile"
	}
	return p.v.Name + "_" + r.Op.String()
}

func product(s []int) int {
	n := 1
	for _, x := range s {
		n *= x
	}
	return n
}
