package zarr

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/zarrproc/zarrproc/zarr/store"
)

// Group is an open Zarr group.
type Group struct {
	Path       string
	Store      store.Store
	Format     int
	Attributes map[string]any

	// nodes is the consolidated metadata (descendants by relative path),
	// nil when the group was not consolidated.
	nodes map[string]*nodeMeta
}

// Member is a direct child of a group.
type Member struct {
	Name    string
	IsArray bool
}

// OpenGroup opens the group at path ("" for the root), using consolidated
// metadata when present (v3 inline consolidated_metadata, v2 .zmetadata)
// so later opens of its children cost no reads.
func OpenGroup(ctx context.Context, s store.Store, path string) (*Group, error) {
	path, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	doc, err := getOptional(ctx, s, joinKey(path, "zarr.json"))
	if err != nil {
		return nil, err
	}
	if doc != nil {
		n, err := parseNodeV3(doc)
		if err != nil {
			return nil, fmt.Errorf("zarr: group %q: %w", path, err)
		}
		if n.group == nil {
			return nil, fmt.Errorf("zarr: %w: %q is an array, not a group", ErrNotFound, path)
		}
		return &Group{Path: path, Store: s, Format: 3, Attributes: n.group.attrs, nodes: n.group.nodes}, nil
	}
	zmeta, err := getOptional(ctx, s, joinKey(path, ".zmetadata"))
	if err != nil {
		return nil, err
	}
	if zmeta != nil {
		root, nodes, err := parseConsolidatedV2(zmeta)
		if err != nil {
			return nil, fmt.Errorf("zarr: group %q: %w", path, err)
		}
		return &Group{Path: path, Store: s, Format: 2, Attributes: root.attrs, nodes: nodes}, nil
	}
	n, err := readNode(ctx, s, path)
	if err != nil {
		return nil, err
	}
	if n.group == nil {
		return nil, fmt.Errorf("zarr: %w: %q is an array, not a group", ErrNotFound, path)
	}
	return &Group{Path: path, Store: s, Format: 2, Attributes: n.group.attrs}, nil
}

// Consolidated reports whether the group was opened from consolidated
// metadata.
func (g *Group) Consolidated() bool { return g.nodes != nil }

// Members lists the group's direct children, sorted by name: from the
// consolidated metadata, or else by listing the store, which walks every
// key below the group (chunks included) and so is slow on large object
// stores: consolidate datasets that are listed often.
func (g *Group) Members(ctx context.Context) ([]Member, error) {
	if g.nodes != nil {
		// A descendant without its parent's metadata (implicit v2 groups)
		// still makes the parent a member.
		kids := map[string]bool{}
		for p, n := range g.nodes {
			if p == "" {
				continue
			}
			first, rest, nested := strings.Cut(p, "/")
			if !nested {
				kids[first] = kids[first] || n.isArray()
			} else if _, seen := kids[first]; !seen && rest != "" {
				kids[first] = false
			}
		}
		var out []Member
		for name, isArray := range kids {
			out = append(out, Member{Name: name, IsArray: isArray})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	prefix := ""
	if g.Path != "" {
		prefix = g.Path + "/"
	}
	keys, err := g.Store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("zarr: group %q: listing: %w", g.Path, err)
	}
	seen := map[string]bool{}
	var out []Member
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		parts := strings.Split(rest, "/")
		if len(parts) != 2 || seen[parts[0]] {
			continue
		}
		var isArray bool
		switch parts[1] {
		case ".zarray":
			isArray = true
		case ".zgroup":
		case "zarr.json":
			n, err := readNode(ctx, g.Store, joinKey(g.Path, parts[0]))
			if n == nil {
				return nil, err
			}
			isArray = n.isArray()
		default:
			continue
		}
		seen[parts[0]] = true
		out = append(out, Member{Name: parts[0], IsArray: isArray})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ArrayNames lists the names of the child arrays.
func (g *Group) ArrayNames(ctx context.Context) ([]string, error) {
	return g.memberNames(ctx, true)
}

// GroupNames lists the names of the child groups.
func (g *Group) GroupNames(ctx context.Context) ([]string, error) {
	return g.memberNames(ctx, false)
}

func (g *Group) memberNames(ctx context.Context, arrays bool) ([]string, error) {
	ms, err := g.Members(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if m.IsArray == arrays {
			out = append(out, m.Name)
		}
	}
	return out, nil
}

// OpenArray opens the array at name, a path relative to the group
// ("precip", "sub/temp"), from the consolidated metadata when there is some.
func (g *Group) OpenArray(ctx context.Context, name string) (*Array, error) {
	rel, err := cleanPath(name)
	if err != nil {
		return nil, err
	}
	if g.nodes != nil {
		if n, ok := g.nodes[rel]; ok && n.isArray() {
			if n.arrayErr != nil {
				return nil, arrayError(joinKey(g.Path, rel), "", n.arrayErr)
			}
			return newArray(g.Store, joinKey(g.Path, rel), n.array)
		}
	}
	return OpenArray(ctx, g.Store, joinKey(g.Path, rel))
}

// OpenGroup opens the child group at name, a path relative to g.
func (g *Group) OpenGroup(ctx context.Context, name string) (*Group, error) {
	rel, err := cleanPath(name)
	if err != nil {
		return nil, err
	}
	if g.nodes != nil {
		n, ok := g.nodes[rel]
		if !ok || n.group != nil {
			sub := &Group{Path: joinKey(g.Path, rel), Store: g.Store, Format: g.Format,
				Attributes: map[string]any{}, nodes: map[string]*nodeMeta{}}
			if ok {
				sub.Format, sub.Attributes = n.group.format, n.group.attrs
			}
			prefix := rel + "/"
			for p, m := range g.nodes {
				if strings.HasPrefix(p, prefix) {
					sub.nodes[p[len(prefix):]] = m
				}
			}
			// An implicit group (descendants but no metadata of its own).
			if ok || len(sub.nodes) > 0 {
				return sub, nil
			}
		}
	}
	return OpenGroup(ctx, g.Store, joinKey(g.Path, rel))
}
