package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zarrproc/zarrproc/zarr"
	"github.com/zarrproc/zarrproc/zarr/cf"
	"github.com/zarrproc/zarrproc/zarr/store"
)

func init() {
	register("inspect", "print the groups and arrays of a Zarr store (or --stats of a variable)", runInspect)
}

type inspectArray struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Format    int         `json:"zarr_format"`
	Dims      []string    `json:"dims"`
	Shape     []int       `json:"shape"`
	DType     string      `json:"dtype"`
	Chunks    []int       `json:"chunks"`
	Codecs    string      `json:"codecs"`
	FillValue any         `json:"fill_value"`
	Units     string      `json:"units,omitempty"`
	IsData    bool        `json:"data_variable"`
	TimeStart string      `json:"time_start,omitempty"`
	TimeEnd   string      `json:"time_end,omitempty"`
	TimeSteps int         `json:"time_steps,omitempty"`
	Calendar  string      `json:"calendar,omitempty"`
	BBox      *[4]float64 `json:"bbox,omitempty"`
	CRS       string      `json:"crs,omitempty"`
	CRSSource string      `json:"crs_source,omitempty"`
}

type inspectGroup struct {
	Path         string         `json:"path"`
	Consolidated bool           `json:"consolidated"`
	Attrs        map[string]any `json:"attributes,omitempty"`
	Arrays       []inspectArray `json:"arrays"`
}

type inspectReport struct {
	URL    string         `json:"url"`
	Groups []inspectGroup `json:"groups"`
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	stats := fs.String("stats", "", "read the whole `VARIABLE` (CF-decoded, missing values excluded) and print count, min, max, mean, sum")
	anon := fs.Bool("anonymous", false, "read public S3/GCS buckets without credentials")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zarrproc inspect URL [--json] [--stats VARIABLE] [--anonymous]")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, pos[0], store.Options{Anonymous: *anon})
	if err != nil {
		return err
	}
	if *stats != "" {
		return inspectStats(ctx, s, *stats, *asJSON, stdout, stderr)
	}
	rep := inspectReport{URL: s.URL()}
	if err := inspectGroupTree(ctx, s, "", &rep); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printInspect(stdout, rep)
	return nil
}

func inspectGroupTree(ctx context.Context, s store.Store, path string, rep *inspectReport) error {
	ds, err := cf.Open(ctx, s, path)
	if err != nil {
		return err
	}
	g := inspectGroup{Path: "/" + path, Consolidated: ds.Group.Consolidated(), Attrs: ds.Attrs}
	data := map[string]bool{}
	for _, n := range ds.DataVariables() {
		data[n] = true
	}
	for _, n := range ds.Names() {
		v, _ := ds.Variable(n)
		a := v.Array
		ia := inspectArray{Name: n, Path: a.Path, Format: a.Format, Dims: v.Dims, Shape: a.Shape,
			DType: a.DType.String(), Chunks: a.ChunkShape, Codecs: a.Codecs(), FillValue: jsonSafe(a.FillValue.Value()),
			IsData: data[n]}
		ia.Units, _ = v.Attrs["units"].(string)
		if data[n] {
			if ext, err := ds.Extent(ctx, v); err == nil {
				bb := ext.BBox
				ia.BBox = &bb
				if ext.Time != nil && len(ext.Time.Dates) > 0 {
					ia.TimeStart = ext.Time.Dates[0].String()
					ia.TimeEnd = ext.Time.Dates[len(ext.Time.Dates)-1].String()
					ia.TimeSteps = len(ext.Time.Dates)
					ia.Calendar = ext.Time.Units.Calendar().String()
				}
			} else {
				return fmt.Errorf("variable %q: %w", n, err)
			}
			c := ds.CRS(v)
			ia.CRS, ia.CRSSource = c.Code, c.Source
			if ia.CRS == "" && c.WKT != "" {
				ia.CRS = firstLine(c.WKT, 60)
			}
		}
		g.Arrays = append(g.Arrays, ia)
	}
	rep.Groups = append(rep.Groups, g)
	subs, err := ds.Group.GroupNames(ctx)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		p := sub
		if path != "" {
			p = path + "/" + sub
		}
		if err := inspectGroupTree(ctx, s, p, rep); err != nil {
			return err
		}
	}
	return nil
}

// jsonSafe turns NaN/Inf (which encoding/json refuses) into Zarr's strings.
func jsonSafe(v any) any {
	if f, ok := v.(float64); ok {
		switch {
		case math.IsNaN(f):
			return "NaN"
		case math.IsInf(f, 1):
			return "Infinity"
		case math.IsInf(f, -1):
			return "-Infinity"
		}
	}
	return v
}

func firstLine(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func printInspect(w io.Writer, rep inspectReport) {
	fmt.Fprintf(w, "store %s\n", rep.URL)
	for _, g := range rep.Groups {
		cons := ""
		if g.Consolidated {
			cons = " (consolidated metadata)"
		}
		fmt.Fprintf(w, "\ngroup %s%s\n", g.Path, cons)
		for _, a := range g.Arrays {
			dims := make([]string, len(a.Dims))
			for i := range a.Dims {
				dims[i] = fmt.Sprintf("%s: %d", a.Dims[i], a.Shape[i])
			}
			fmt.Fprintf(w, "  %-12s %-8s (%s)  v%d\n", a.Name, a.DType, strings.Join(dims, ", "), a.Format)
			fmt.Fprintf(w, "  %-12s chunks %s  codecs %s  fill %v\n", "", joinInts(a.Chunks, "×"), a.Codecs, a.FillValue)
			if a.TimeSteps > 0 {
				fmt.Fprintf(w, "  %-12s time %s → %s (%d steps, %s)\n", "", a.TimeStart, a.TimeEnd, a.TimeSteps, a.Calendar)
			}
			if a.BBox != nil {
				fmt.Fprintf(w, "  %-12s bbox [%g, %g, %g, %g]\n", "", a.BBox[0], a.BBox[1], a.BBox[2], a.BBox[3])
			}
			if a.CRS != "" {
				fmt.Fprintf(w, "  %-12s crs %s (%s)\n", "", a.CRS, a.CRSSource)
			}
		}
	}
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, sep)
}

// varStats accumulates count, min, max and a float64 sum.
type varStats struct {
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	Sum   float64 `json:"sum"`
}

func (s *varStats) add(v []float64) {
	for _, x := range v {
		if x != x {
			continue
		}
		if s.Count == 0 || x < s.Min {
			s.Min = x
		}
		if s.Count == 0 || x > s.Max {
			s.Max = x
		}
		s.Sum += x
		s.Count++
	}
}

func (s *varStats) merge(o varStats) {
	if o.Count == 0 {
		return
	}
	if s.Count == 0 || o.Min < s.Min {
		s.Min = o.Min
	}
	if s.Count == 0 || o.Max > s.Max {
		s.Max = o.Max
	}
	s.Sum += o.Sum
	s.Count += o.Count
}

// inspectStats reads the variable chunk by chunk (memory stays at a few
// chunks), decodes CF masking/packing and accumulates in float64.
func inspectStats(ctx context.Context, s store.Store, name string, asJSON bool, stdout, stderr io.Writer) error {
	ds, err := cf.Open(ctx, s, "")
	if err != nil {
		return err
	}
	v, err := ds.Variable(name)
	if err != nil {
		return err
	}
	a := v.Array
	regions := chunkRegions(a.Shape, a.ChunkShape)
	var bar *progressBar
	if !asJSON && isTerminal(stderr) {
		bar = newProgressBar(stderr, "reading "+name, len(regions))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan [2][]int)
	var (
		mu       sync.Mutex
		total    varStats
		firstErr error
		done     atomic.Int64
		wg       sync.WaitGroup
	)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local varStats
			var buf []float64
			for r := range work {
				n := 1
				for _, x := range r[1] {
					n *= x
				}
				if cap(buf) < n {
					buf = make([]float64, n)
				}
				buf = buf[:n]
				if err := zarr.ReadInto(ctx, a, buf, r[0], r[1], zarr.WithConcurrency(1)); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				v.Coding.DecodeFloat64(buf)
				local.add(buf)
				if bar != nil {
					bar.set(int(done.Add(1)))
				}
			}
			mu.Lock()
			total.merge(local)
			mu.Unlock()
		}()
	}
feed:
	for _, r := range regions {
		select {
		case work <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if bar != nil {
		bar.finish()
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil && total.Count == 0 {
		return err
	}
	if total.Count > 0 {
		total.Mean = total.Sum / float64(total.Count)
	} else {
		total.Min, total.Max, total.Mean = math.NaN(), math.NaN(), math.NaN()
	}
	if asJSON {
		out := map[string]any{"variable": name, "count": total.Count, "min": jsonSafe(total.Min),
			"max": jsonSafe(total.Max), "mean": jsonSafe(total.Mean), "sum": total.Sum}
		return json.NewEncoder(stdout).Encode(out)
	}
	fmt.Fprintf(stdout, "%s: count %d  min %g  max %g  mean %g  sum %g\n", name, total.Count, total.Min, total.Max, total.Mean, total.Sum)
	return nil
}

// chunkRegions cuts shape into the chunk grid's (start, shape) regions,
// clipped at the array's edge.
func chunkRegions(shape, chunk []int) [][2][]int {
	n := len(shape)
	if n == 0 {
		return [][2][]int{{nil, nil}}
	}
	var out [][2][]int
	idx := make([]int, n)
	for {
		start, size := make([]int, n), make([]int, n)
		for i := range idx {
			start[i] = idx[i] * chunk[i]
			size[i] = min(chunk[i], shape[i]-start[i])
		}
		out = append(out, [2][]int{start, size})
		i := n - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i]*chunk[i] < shape[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return out
		}
	}
}
