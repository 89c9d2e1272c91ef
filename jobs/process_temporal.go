package jobs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/zarrproc/zarrproc/chunks"
	"github.com/zarrproc/zarrproc/chunks/period"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// Reducers the engine knows (chunks.Request.Reducers).
var reducerNames = []string{"count", "sum", "mean", "min", "max", "std", "var", "median", "quantile", "first", "last"}

// periodNames lists the canonical period names of package period.
func periodNames() []string {
	var names []string
	for k := period.Kind(0); ; k++ {
		n := k.String()
		if strings.HasPrefix(n, "Kind(") {
			return names
		}
		names = append(names, n)
	}
}

// CRS names a bbox may be given in besides the dataset's own coordinates,
// which for the geographic datasets zarrproc serves are the same.
var bboxCRS = []string{
	"http://www.opengis.net/def/crs/OGC/1.3/CRS84",
	"http://www.opengis.net/def/crs/EPSG/0/4326",
	"EPSG:4326", "CRS84", "OGC:CRS84",
}

func temporalAggregateProcess() *process {
	str := map[string]any{"type": "string"}
	inputs := map[string]InputDescription{
		"dataset": {Title: "Dataset", MinOccurs: 1,
			Description: "URL of the Zarr group holding the variable (s3://, gs://, https://, file://); must match the server's allowed stores.",
			Schema:      map[string]any{"type": "string", "format": "uri"}},
		"variable": {Title: "Variable", MinOccurs: 1, Description: "Name of the data variable to aggregate, e.g. precip.", Schema: str},
		"period": {Title: "Period", MinOccurs: 1,
			Description: "Temporal bins: calendar periods (bins closed on the left, labelled by their start, with DHIS2 period IDs) or climatology groupings.",
			Schema:      map[string]any{"type": "string", "enum": periodNames()}},
		"reducers": {Title: "Reducers", Description: "Statistics per bin; one output variable <variable>_<reducer> each. Default [\"mean\"].",
			Schema: map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "string", "enum": reducerNames}, "default": []string{"mean"}}},
		"quantile": {Title: "Quantile", Description: "q in [0, 1] for the quantile reducer (exact, linear interpolation).",
			Schema: map[string]any{"type": "number", "minimum": 0, "maximum": 1}},
		"time": {Title: "Time interval", Description: "START/END, both ends inclusive, '..' for an open end; a date without time as END includes that whole day.",
			Schema: map[string]any{"type": "string", "pattern": "^[^/]+/[^/]+$"}},
		"bbox": {Title: "Bounding box",
			Description: "OGC bounding box {\"bbox\": [west, south, east, north], \"crs\": …} in the dataset's coordinates (CRS84 for geographic datasets); pixels whose centres lie inside, edges included, are kept.",
			Schema: map[string]any{"type": "object", "required": []string{"bbox"}, "properties": map[string]any{
				"bbox": map[string]any{"type": "array", "minItems": 4, "maxItems": 4, "items": map[string]any{"type": "number"}},
				"crs":  map[string]any{"type": "string", "enum": bboxCRS},
			}}},
		"min_count": {Title: "Minimum count", Description: "Valid values a bin needs to get a value (default 1; 0 gives xarray's all-NaN sum = 0).",
			Schema: map[string]any{"type": "integer", "minimum": 0, "default": 1}},
		"ddof": {Title: "Delta degrees of freedom", Description: "For std and var (default 0, as xarray).",
			Schema: map[string]any{"type": "integer", "minimum": 0, "default": 0}},
		"drop_partial": {Title: "Drop partial bins", Description: "Leave out bins the data covers only in part.",
			Schema: map[string]any{"type": "boolean", "default": false}},
		"utc_offset": {Title: "UTC offset", Description: "Day boundaries in local time for sub-daily data, e.g. +03:00 (default UTC).", Schema: str},
		"output_format": {Title: "Output format", Description: "zarr3 (bytes + zstd, the default) or zarr2.",
			Schema: map[string]any{"type": "string", "enum": []string{"zarr3", "zarr2"}, "default": "zarr3"}},
	}
	for name, d := range inputs {
		d.MaxOccurs = 1
		inputs[name] = d
	}
	return &process{
		desc: ProcessDescription{
			ProcessSummary: ProcessSummary{
				ID:    "temporal-aggregate",
				Title: "Temporal aggregation",
				Description: "Aggregates a gridded variable of a GeoZarr dataset over time periods (day, week, dekad, month, season, year, climatologies) " +
					"with reducers (mean, sum, min, max, std, quantiles…), and writes the result as a GeoZarr store.",
				Version:            "1.0.0",
				Keywords:           []string{"climate", "zarr", "aggregation", "dhis2"},
				JobControlOptions:  []string{"sync-execute", "async-execute", "dismiss"},
				OutputTransmission: []string{"value", "reference"},
			},
			Inputs: inputs,
			Outputs: map[string]OutputDescription{
				"result": {Title: "Result store", Description: "URL of the output Zarr store.",
					Schema: map[string]any{"type": "string", "format": "uri"}},
				"summary": {Title: "Summary",
					Description: "Periods, shape, variables, tiles, bytes and chunks read, cache hits and misses, seconds.",
					Schema:      map[string]any{"type": "object"}},
			},
		},
		dedupe:       true,
		writesOutput: true,
		check:        checkTemporalAggregate,
		open:         openTemporalAggregate,
	}
}

// checkTemporalAggregate checks what the schemas cannot, then lets the
// engine plan the request (which opens the dataset's metadata), so a bad
// variable or time range is a 400 before any job exists.
func checkTemporalAggregate(ctx context.Context, e *env, in map[string]any) (map[string]any, string, error) {
	req, err := temporalRequest(in, "")
	if err != nil {
		return nil, "", err
	}
	if err := e.allowed(req.Dataset); err != nil {
		return nil, "", err
	}
	plan, err := e.checkPlan(ctx, req)
	if err != nil {
		return nil, "", err
	}
	return in, e.dataVersion(ctx, req.Dataset, plan.SourceArrays()...), nil
}

// dataVersion identifies the version of the arrays a request reads (the
// variable and its coordinate arrays, Plan.SourceArrays): the ETags
// (generation, size+mtime for files) of the group's metadata documents,
// consolidated metadata included, and per array a SHA-256 digest of the key
// and ETag of every object under its prefix (its metadata and each chunk or
// shard), from one listing with versions. Data appended along time and a
// chunk rewritten in place both change it, as does a rewritten coordinate.
// The cost is a Stat per group document and a listing per array: one
// request per 1000 objects on S3 and GCS, a directory walk for files.
//
// When the version cannot be known (a store that cannot list, as HTTP, or
// a failed request) it is "unversioned:" and a random token, which no other
// request shares: Submit's dedupe then never answers the request with an
// earlier job's results, computed from data that may have changed since.
func (e *env) dataVersion(ctx context.Context, dataset string, arrays ...string) string {
	v, err := e.listedVersion(ctx, dataset, arrays)
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, store.ErrListNotSupported) {
			level = slog.LevelDebug // HTTP: expected, not worth a warning per request
		}
		e.log.Log(ctx, level, "data version unknown: identical requests run again", "dataset", dataset, "arrays", arrays, "err", err)
		return "unversioned:" + rand.Text()
	}
	return v
}

// listedVersion is dataVersion for a store that lists with versions; it
// fails when any part of the version is unknown.
func (e *env) listedVersion(ctx context.Context, dataset string, arrays []string) (string, error) {
	s, err := e.openStore(dataset)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, key := range []string{"zarr.json", ".zmetadata", ".zgroup"} {
		info, err := s.Stat(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if info.ETag == "" {
			return "", fmt.Errorf("%s: no ETag for %s", s.URL(), key)
		}
		fmt.Fprintf(&b, "%s=%s;", key, info.ETag)
	}
	for _, array := range arrays {
		prefix := array + "/"
		objects, err := store.ListInfo(ctx, s, prefix)
		if err != nil {
			return "", err
		}
		if len(objects) == 0 {
			return "", fmt.Errorf("%s: nothing listed under %s", s.URL(), prefix)
		}
		h := sha256.New()
		for _, o := range objects {
			if o.ETag == "" {
				return "", fmt.Errorf("%s: no ETag for %s", s.URL(), o.Key)
			}
			// Keys hold no NUL (store.CheckKey), so the pairs cannot run together.
			fmt.Fprintf(h, "%s\x00%s\x00", o.Key, o.ETag)
		}
		fmt.Fprintf(&b, "%s*=%x;", prefix, h.Sum(nil))
	}
	return b.String(), nil
}

// temporalRequest turns checked inputs into the engine's request.
func temporalRequest(in map[string]any, output string) (chunks.Request, error) {
	var req chunks.Request
	req.Dataset, _ = in["dataset"].(string)
	req.Variable, _ = in["variable"].(string)
	req.Period, _ = in["period"].(string)
	if _, err := period.Parse(req.Period); err != nil {
		return req, &InputError{Input: "period", Reason: err.Error()}
	}
	req.Reducers = []string{"mean"}
	if rs, ok := in["reducers"].([]any); ok {
		req.Reducers = req.Reducers[:0]
		for _, r := range rs {
			s, _ := r.(string)
			if slices.Contains(req.Reducers, s) {
				return req, &InputError{Input: "reducers", Reason: fmt.Sprintf("%q given twice", s)}
			}
			req.Reducers = append(req.Reducers, s)
		}
	}
	if q, ok := number(in["quantile"]); ok {
		req.Quantile = &q
	}
	if slices.Contains(req.Reducers, "quantile") && req.Quantile == nil {
		return req, &InputError{Input: "quantile", Reason: "required by the quantile reducer"}
	}
	if t, ok := in["time"].(string); ok {
		start, end, found := strings.Cut(t, "/")
		if !found || start == "" || end == "" || strings.Contains(end, "/") {
			return req, &InputError{Input: "time", Reason: fmt.Sprintf("%q is not an interval START/END ('..' for an open end)", t)}
		}
		req.Time = t
	}
	if b, ok := in["bbox"].(map[string]any); ok {
		arr, _ := b["bbox"].([]any)
		var bb [4]float64
		for i := range bb {
			bb[i], _ = number(arr[i])
		}
		if bb[1] > bb[3] {
			return req, &InputError{Input: "bbox", Reason: fmt.Sprintf("south %v is above north %v", bb[1], bb[3])}
		}
		req.BBox = &bb
	}
	if n, ok := number(in["min_count"]); ok {
		mc := int(n)
		req.MinCount = &mc
	}
	if n, ok := number(in["ddof"]); ok {
		req.Ddof = int(n)
	}
	req.DropPartial, _ = in["drop_partial"].(bool)
	if s, ok := in["utc_offset"].(string); ok {
		if _, err := period.ParseUTCOffset(s); err != nil {
			return req, &InputError{Input: "utc_offset", Reason: err.Error()}
		}
		req.UTCOffset = s
	}
	req.Format, _ = in["output_format"].(string)
	req.Output = output
	return req, nil
}

// sumTileStats adds up the per-tile costs recorded in Redis (a Finalize on
// one worker cannot know what tiles on other workers read).
func sumTileStats(tileStats map[string]string) chunks.TileStats {
	var tot chunks.TileStats
	for _, js := range tileStats {
		var st chunks.TileStats
		if json.Unmarshal([]byte(js), &st) == nil {
			tot.Add(st)
		}
	}
	return tot
}

// summaryValue is the summary output as a JSON object.
func summaryValue(s chunks.Summary) map[string]any {
	b, _ := json.Marshal(s)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}
