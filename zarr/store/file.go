package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// File is a Store over a local directory: key "a/b" is the file root/a/b.
//
// Put is atomic (a temporary file renamed over the key), so a concurrent
// reader sees the old or the new content, never a mix. It does not fsync:
// what zarrproc writes can be recomputed, and an fsync per chunk would cost
// more than the rest of the write.
//
// Keys cannot name anything outside root (CheckKey refuses ".."), but File
// follows symbolic links that already exist under root.
type File struct {
	root string // absolute, cleaned, OS separators
}

// tmpPrefix starts the names of Put's temporary files. List skips them. It
// cannot be a plain "." prefix: Zarr v2 keys (.zarray, .zattrs) start with one.
const tmpPrefix = ".zarrproc-tmp-"

// NewFile returns a store rooted at dir (made absolute). The directory need
// not exist yet: Put creates it, and reads find nothing.
func NewFile(dir string) (*File, error) {
	if dir == "" {
		return nil, errors.New("file store: empty root directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("file store %q: %w", dir, err)
	}
	return &File{root: abs}, nil
}

// URL implements Store: "file://" followed by the absolute root.
func (s *File) URL() string { return "file://" + filepath.ToSlash(s.root) }

// Root returns the store's directory.
func (s *File) Root() string { return s.root }

func (s *File) errorf(op, key string, err error) error {
	return opError(s.URL(), op, key, err)
}

// path checks key and returns its file name.
func (s *File) path(ctx context.Context, op, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", s.errorf(op, key, err)
	}
	if err := CheckKey(key); err != nil {
		return "", s.errorf(op, key, err)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// fileError maps the OS's ways of saying "no such object" to ErrNotFound:
// a missing file, a missing directory on the way (ENOTDIR when a key's parent
// is a file), or a directory where the object should be.
func (s *File) fileError(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return s.errorf(op, key, fmt.Errorf("%w: %v", ErrNotFound, err))
	}
	return s.errorf(op, key, err)
}

// Get implements Store.
func (s *File) Get(ctx context.Context, key string) ([]byte, error) {
	return s.GetInto(ctx, key, nil)
}

// GetInto implements BufferGetter: the object is read into buf when it has
// the capacity, in one read of the file's size (io.ReadAll would grow a
// buffer by doubling, twice the garbage for every chunk).
func (s *File) GetInto(ctx context.Context, key string, buf []byte) ([]byte, error) {
	name, err := s.path(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	f, fi, err := s.openFileInfo(name)
	if err != nil {
		return nil, s.fileError("get", key, err)
	}
	defer f.Close()
	size := fi.Size()
	if int64(cap(buf)) < size+1 {
		buf = make([]byte, 0, size+1) // +1: a file that grew is seen, not cut
	}
	n, err := io.ReadFull(f, buf[:size+1])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, s.fileError("get", key, err)
	}
	if int64(n) > size { // the file grew while we read: read it whole
		rest, err := io.ReadAll(f)
		if err != nil {
			return nil, s.fileError("get", key, err)
		}
		return append(buf[:n], rest...), nil
	}
	return buf[:n], nil
}

// openFile opens a regular file; a directory counts as missing, since a key
// "a" with keys "a/b" under it is not an object.
func (s *File) openFile(name string) (*os.File, error) {
	f, _, err := s.openFileInfo(name)
	return f, err
}

func (s *File) openFileInfo(name string) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f, fi, nil
}

// GetRange implements Store.
func (s *File) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	name, err := s.path(ctx, "get range", key)
	if err != nil {
		return nil, err
	}
	f, err := s.openFile(name)
	if err != nil {
		return nil, s.fileError("get range", key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, s.fileError("get range", key, err)
	}
	start, end, err := rangeBounds(fi.Size(), offset, length)
	if err != nil {
		return nil, s.errorf("get range", key, err)
	}
	buf := make([]byte, end-start)
	n, err := f.ReadAt(buf, start)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, s.fileError("get range", key, err)
	}
	// The file may have shrunk between Stat and ReadAt; return what exists.
	return buf[:n], nil
}

// Stat implements Store. The ETag is size and modification time in
// nanoseconds; Put stamps the time itself so that two writes in quick
// succession differ even on file systems with coarse timestamps.
func (s *File) Stat(ctx context.Context, key string) (Info, error) {
	name, err := s.path(ctx, "stat", key)
	if err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(name)
	if err != nil {
		return Info{}, s.fileError("stat", key, err)
	}
	if fi.IsDir() {
		return Info{}, s.errorf("stat", key, fmt.Errorf("%w: is a directory", ErrNotFound))
	}
	return fileInfo(fi), nil
}

// fileInfo is a file's Info as Stat and ListInfo report it.
func fileInfo(fi fs.FileInfo) Info {
	return Info{
		Size:    fi.Size(),
		ETag:    fmt.Sprintf("%x-%x", fi.Size(), fi.ModTime().UnixNano()),
		ModTime: fi.ModTime(),
	}
}

// Put implements Store.
func (s *File) Put(ctx context.Context, key string, data []byte) error {
	name, err := s.path(ctx, "put", key)
	if err != nil {
		return err
	}
	if err := s.writeAtomic(name, data); err != nil {
		return s.errorf("put", key, err)
	}
	return nil
}

// Delete implements Store. Directories the deletion leaves empty stay: a
// store's layout is its keys, and an empty directory holds none.
func (s *File) Delete(ctx context.Context, key string) error {
	name, err := s.path(ctx, "delete", key)
	if err != nil {
		return err
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.errorf("delete", key, err)
	}
	return nil
}

func (s *File) writeAtomic(name string, data []byte) (err error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// CreateTemp makes 0600 files; objects are data meant to be shared.
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	now := time.Now()
	if err := os.Chtimes(tmp, now, now); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// List implements Store. It walks only the deepest directory the prefix
// names, so listing one array's chunks does not walk the whole dataset.
func (s *File) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	err := s.walk(ctx, "list", prefix, func(key string, _ func() (fs.FileInfo, error)) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	return keys, nil
}

// ListInfo implements InfoLister: List's walk, with the size+mtime ETag
// Stat gives. A file deleted during the walk is left out.
func (s *File) ListInfo(ctx context.Context, prefix string) ([]Entry, error) {
	var entries []Entry
	err := s.walk(ctx, "list info", prefix, func(key string, info func() (fs.FileInfo, error)) error {
		fi, err := info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		entries = append(entries, Entry{Key: key, Info: fileInfo(fi)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortEntries(entries)
	return entries, nil
}

// walk calls fn with the key of every object under prefix and a function
// that returns the file's FileInfo as Stat sees it. It leaves out the
// temporary files of Puts in progress, and symbolic links that lead to no
// file (dangling, or to a directory), which Stat would not find either.
func (s *File) walk(ctx context.Context, op, prefix string, fn func(key string, info func() (fs.FileInfo, error)) error) error {
	if err := ctx.Err(); err != nil {
		return s.errorf(op, prefix, err)
	}
	if err := checkPrefix(prefix); err != nil {
		return s.errorf(op, prefix, err)
	}
	dir := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i]
	}
	start := filepath.Join(s.root, filepath.FromSlash(dir))
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && (errors.Is(err, fs.ErrNotExist) || isNotDir(err)) {
				return fs.SkipAll // nothing under this prefix
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info := d.Info
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p) // Stat follows links
			switch {
			case errors.Is(err, fs.ErrNotExist) || isNotDir(err):
				return nil
			case err != nil:
				return err
			case fi.IsDir():
				return nil
			}
			info = func() (fs.FileInfo, error) { return fi, nil }
		}
		return fn(key, info)
	})
	if err != nil {
		return s.errorf(op, prefix, err)
	}
	return nil
}

// isNotDir reports ENOTDIR: a key "a/b" where "a" is a file.
func isNotDir(err error) bool {
	return errors.Is(err, syscall.ENOTDIR)
}
