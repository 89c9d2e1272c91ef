package store

import (
	"fmt"
	"strings"
)

// CheckKey reports whether key is acceptable to every backend (see
// ErrInvalidKey). Backends call it first so that a bad key fails the same way
// everywhere, before any I/O.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if err := checkSegments(key, false); err != nil {
		return err
	}
	return nil
}

// checkPrefix is CheckKey for List prefixes: empty is allowed (everything),
// and so is a trailing "/" (a "directory").
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return checkSegments(prefix, true)
}

func checkSegments(s string, prefix bool) error {
	if strings.HasPrefix(s, "/") {
		return fmt.Errorf("%w %q: starts with /", ErrInvalidKey, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w %q: contains NUL", ErrInvalidKey, s)
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case seg == "" && !(prefix && last):
			return fmt.Errorf("%w %q: empty path segment", ErrInvalidKey, s)
		case seg == "..":
			return fmt.Errorf("%w %q: .. segment", ErrInvalidKey, s)
		case seg == "." && !(prefix && last):
			// A prefix may end in "." (".zarray" is a key); a key may not be ".".
			return fmt.Errorf("%w %q: . segment", ErrInvalidKey, s)
		}
	}
	return nil
}

// opError is the one shape of every error a store returns:
// "<store URL>: <op> <key>: <cause>", e.g. `s3://b/p: get "c/0": not found`.
func opError(url, op, key string, err error) error {
	return fmt.Errorf("%s: %s %q: %w", url, op, key, err)
}

// sliceRange applies GetRange's semantics to a whole object held in memory.
// The result aliases data.
func sliceRange(data []byte, offset, length int64) ([]byte, error) {
	start, end, err := rangeBounds(int64(len(data)), offset, length)
	if err != nil {
		return nil, err
	}
	return data[start:end], nil
}

// rangeBounds turns GetRange's (offset, length) into [start, end) within an
// object of the given size, cut to the object.
func rangeBounds(size, offset, length int64) (start, end int64, err error) {
	if offset < 0 {
		return max(size+offset, 0), size, nil
	}
	if length < 0 {
		return 0, 0, fmt.Errorf("%w: offset %d, length %d", ErrInvalidRange, offset, length)
	}
	start = min(offset, size)
	// Written as a comparison, not offset+length, so a huge length cannot overflow.
	if length > size-start {
		return start, size, nil
	}
	return start, start + length, nil
}

// joinURL joins a store's URL root and a bucket prefix for messages, e.g.
// ("s3://b", "p/") -> "s3://b/p".
func joinURL(root, prefix string) string {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return root
	}
	return root + "/" + prefix
}

// cleanPrefix turns a user-given bucket prefix into "" or "a/b/": no leading
// slash, exactly one trailing slash, so keys append to it directly.
func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	if err := CheckKey(p); err != nil {
		return "", fmt.Errorf("root prefix: %w", err)
	}
	return p + "/", nil
}
