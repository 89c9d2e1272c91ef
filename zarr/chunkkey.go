package zarr

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// keyEncoding turns chunk grid coordinates into a key relative to the array:
// v3 "default" ("c/1/2", or "c.1.2"), v3 "v2" and v2 ("1.2" or "1/2").
type keyEncoding struct {
	prefix string // "c" for v3 default, "" otherwise
	sep    string
}

func (e keyEncoding) key(idx []int) string {
	if len(idx) == 0 {
		if e.prefix != "" {
			return e.prefix
		}
		return "0"
	}
	var b strings.Builder
	if e.prefix != "" {
		b.WriteString(e.prefix)
		b.WriteString(e.sep)
	}
	for i, c := range idx {
		if i > 0 {
			b.WriteString(e.sep)
		}
		b.WriteString(strconv.Itoa(c))
	}
	return b.String()
}

// parseKeyEncodingV3 reads a v3 chunk_key_encoding.
func parseKeyEncodingV3(raw json.RawMessage) (keyEncoding, error) {
	name, conf, _, err := parseNamed(raw)
	if err != nil {
		return keyEncoding{}, fmt.Errorf("chunk_key_encoding: %w", err)
	}
	var c struct {
		Separator *string `json:"separator"`
	}
	if len(conf) > 0 {
		if err := json.Unmarshal(conf, &c); err != nil {
			return keyEncoding{}, fmt.Errorf("chunk_key_encoding: %w", err)
		}
	}
	var e keyEncoding
	switch name {
	case "default":
		e = keyEncoding{prefix: "c", sep: "/"}
	case "v2":
		e = keyEncoding{sep: "."}
	default:
		return keyEncoding{}, fmt.Errorf("%w: chunk_key_encoding %q", ErrUnsupported, name)
	}
	if c.Separator != nil {
		if *c.Separator != "/" && *c.Separator != "." {
			return keyEncoding{}, fmt.Errorf("chunk_key_encoding: separator %q: want \"/\" or \".\"", *c.Separator)
		}
		e.sep = *c.Separator
	}
	return e, nil
}

func (e keyEncoding) v3JSON() any {
	name := "default"
	if e.prefix == "" {
		name = "v2"
	}
	return map[string]any{"name": name, "configuration": map[string]any{"separator": e.sep}}
}

// joinKey joins a node path and a key relative to it.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "/" + key
}

// cleanPath normalises a node path: no leading or trailing "/", no empty,
// "." or ".." segments.
func cleanPath(p string) (string, error) {
	p = strings.Trim(strings.ReplaceAll(p, "\\", "/"), "/")
	if p == "" {
		return "", nil
	}
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, s := range parts {
		switch s {
		case "":
			continue
		case ".", "..":
			return "", fmt.Errorf("zarr: path %q: segments \".\" and \"..\" are not allowed", p)
		}
		out = append(out, s)
	}
	return strings.Join(out, "/"), nil
}
