package zarr

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/zarrproc/zarrproc/zarr/store"
)

// Consolidate gathers the metadata of every node below the group at
// groupPath into one document, so readers (xarray.open_zarr, OpenGroup)
// open the hierarchy with one GET: .zmetadata for a v2 group, inline
// consolidated_metadata in the group's zarr.json for v3.
func Consolidate(ctx context.Context, s store.Store, groupPath string) error {
	groupPath, err := cleanPath(groupPath)
	if err != nil {
		return err
	}
	rootDoc, err := getOptional(ctx, s, joinKey(groupPath, "zarr.json"))
	if err != nil {
		return err
	}
	prefix := ""
	if groupPath != "" {
		prefix = groupPath + "/"
	}
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("zarr: consolidating %q: listing: %w", groupPath, err)
	}
	sort.Strings(keys)
	if rootDoc != nil {
		return consolidateV3(ctx, s, groupPath, prefix, rootDoc, keys)
	}
	return consolidateV2(ctx, s, groupPath, prefix, keys)
}

func consolidateV2(ctx context.Context, s store.Store, groupPath, prefix string, keys []string) error {
	meta := map[string]json.RawMessage{}
	for _, k := range keys {
		rel := strings.TrimPrefix(k, prefix)
		base := rel[strings.LastIndexByte(rel, '/')+1:]
		if base != ".zarray" && base != ".zgroup" && base != ".zattrs" {
			continue
		}
		doc, err := s.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("zarr: consolidating: reading %q: %w", k, err)
		}
		if !json.Valid(pythonJSON(doc)) {
			return fmt.Errorf("zarr: consolidating: %q is not JSON", k)
		}
		meta[rel] = doc
	}
	if _, ok := meta[".zgroup"]; !ok {
		return fmt.Errorf("zarr: consolidating %q: %w: no group there", groupPath, ErrNotFound)
	}
	// Documents are kept byte for byte: re-encoding would lose bare NaN
	// tokens Python wrote.
	var b strings.Builder
	b.WriteString("{\n  \"metadata\": {")
	names := make([]string, 0, len(meta))
	for k := range meta {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if i > 0 {
			b.WriteString(",")
		}
		kj, _ := json.Marshal(k)
		fmt.Fprintf(&b, "\n    %s: %s", kj, strings.TrimSpace(string(meta[k])))
	}
	b.WriteString("\n  },\n  \"zarr_consolidated_format\": 1\n}\n")
	if err := s.Put(ctx, joinKey(groupPath, ".zmetadata"), []byte(b.String())); err != nil {
		return fmt.Errorf("zarr: writing %q: %w", joinKey(groupPath, ".zmetadata"), err)
	}
	return nil
}

func consolidateV3(ctx context.Context, s store.Store, groupPath, prefix string, rootDoc []byte, keys []string) error {
	var root map[string]any
	if err := json.Unmarshal(pythonJSON(rootDoc), &root); err != nil {
		return fmt.Errorf("zarr: consolidating %q: %w", groupPath, err)
	}
	if root["node_type"] != "group" {
		return fmt.Errorf("zarr: consolidating %q: %w: not a group", groupPath, ErrNotFound)
	}
	nodes := map[string]any{}
	for _, k := range keys {
		rel := strings.TrimPrefix(k, prefix)
		if !strings.HasSuffix(rel, "/zarr.json") {
			continue
		}
		doc, err := s.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("zarr: consolidating: reading %q: %w", k, err)
		}
		var node map[string]any
		if err := json.Unmarshal(pythonJSON(doc), &node); err != nil {
			return fmt.Errorf("zarr: consolidating: %q: %w", k, err)
		}
		// zarr-python writes null here for nested groups; the root lists
		// every descendant already.
		if node["node_type"] == "group" {
			node["consolidated_metadata"] = nil
		}
		nodes[strings.TrimSuffix(rel, "/zarr.json")] = node
	}
	root["consolidated_metadata"] = map[string]any{"kind": "inline", "must_understand": false, "metadata": nodes}
	return putJSON(ctx, s, joinKey(groupPath, "zarr.json"), restoreNonFinite(root))
}

// restoreNonFinite turns the "NaN"/"Infinity"/"-Infinity" strings that
// pythonJSON produced in attributes back into floats, so writeJSON emits
// the bare tokens again. Fill values keep their string form (it is what
// the v3 spec uses), so only "attributes" objects are walked.
func restoreNonFinite(doc map[string]any) map[string]any {
	var walk func(v any, inAttrs bool) any
	walk = func(v any, inAttrs bool) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e, inAttrs || k == "attributes")
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e, inAttrs)
			}
		case string:
			if inAttrs {
				switch x {
				case "NaN":
					return nan()
				case "Infinity":
					return inf(1)
				case "-Infinity":
					return inf(-1)
				}
			}
		}
		return v
	}
	return walk(doc, false).(map[string]any)
}
