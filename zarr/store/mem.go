package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Mem is a Store held in memory, for unit tests and `zarrproc dev`.
// It is safe for concurrent use. Get returns copies, so callers may modify
// what they read without changing the store.
type Mem struct {
	name string

	mu      sync.RWMutex
	objects map[string]memObject
}

type memObject struct {
	data    []byte
	etag    string
	modTime time.Time
}

// NewMem returns a new, empty memory store whose URL is "mem://" + name.
// Two stores made by NewMem never share content, whatever their names; use
// Open("mem://name") for a store shared by name within the process.
func NewMem(name string) *Mem {
	return &Mem{name: name, objects: make(map[string]memObject)}
}

// memStores holds the stores Open hands out by name, so that the API and the
// workers of one `zarrproc dev` process see the same data.
var memStores sync.Map // name -> *Mem

func openMem(name string) *Mem {
	s, _ := memStores.LoadOrStore(name, NewMem(name))
	return s.(*Mem)
}

// URL implements Store.
func (s *Mem) URL() string { return "mem://" + s.name }

func (s *Mem) errorf(op, key string, err error) error {
	return opError(s.URL(), op, key, err)
}

func (s *Mem) lookup(ctx context.Context, op, key string) (memObject, error) {
	if err := ctx.Err(); err != nil {
		return memObject{}, s.errorf(op, key, err)
	}
	if err := CheckKey(key); err != nil {
		return memObject{}, s.errorf(op, key, err)
	}
	s.mu.RLock()
	o, ok := s.objects[key]
	s.mu.RUnlock()
	if !ok {
		return memObject{}, s.errorf(op, key, ErrNotFound)
	}
	return o, nil
}

// Get implements Store.
func (s *Mem) Get(ctx context.Context, key string) ([]byte, error) {
	o, err := s.lookup(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	return clone(o.data), nil
}

// GetRange implements Store.
func (s *Mem) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	o, err := s.lookup(ctx, "get range", key)
	if err != nil {
		return nil, err
	}
	b, err := sliceRange(o.data, offset, length)
	if err != nil {
		return nil, s.errorf("get range", key, err)
	}
	return clone(b), nil
}

// Stat implements Store. The ETag is a hash of the content, so writing the
// same bytes again keeps it (and memoized results stay valid).
func (s *Mem) Stat(ctx context.Context, key string) (Info, error) {
	o, err := s.lookup(ctx, "stat", key)
	if err != nil {
		return Info{}, err
	}
	return o.info(), nil
}

func (o memObject) info() Info {
	return Info{Size: int64(len(o.data)), ETag: o.etag, ModTime: o.modTime}
}

// Put implements Store.
func (s *Mem) Put(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return s.errorf("put", key, err)
	}
	if err := CheckKey(key); err != nil {
		return s.errorf("put", key, err)
	}
	sum := sha256.Sum256(data)
	o := memObject{data: clone(data), etag: hex.EncodeToString(sum[:16]), modTime: time.Now()}
	s.mu.Lock()
	s.objects[key] = o
	s.mu.Unlock()
	return nil
}

// Delete implements Store.
func (s *Mem) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return s.errorf("delete", key, err)
	}
	if err := CheckKey(key); err != nil {
		return s.errorf("delete", key, err)
	}
	s.mu.Lock()
	delete(s.objects, key)
	s.mu.Unlock()
	return nil
}

// List implements Store.
func (s *Mem) List(ctx context.Context, prefix string) ([]string, error) {
	entries, err := s.listInfo(ctx, "list", prefix)
	return keysOf(entries), err
}

// ListInfo implements InfoLister.
func (s *Mem) ListInfo(ctx context.Context, prefix string) ([]Entry, error) {
	return s.listInfo(ctx, "list info", prefix)
}

func (s *Mem) listInfo(ctx context.Context, op, prefix string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, s.errorf(op, prefix, err)
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, s.errorf(op, prefix, err)
	}
	var entries []Entry
	s.mu.RLock()
	for k, o := range s.objects {
		if strings.HasPrefix(k, prefix) {
			entries = append(entries, Entry{Key: k, Info: o.info()})
		}
	}
	s.mu.RUnlock()
	sortEntries(entries)
	return entries, nil
}

// clone copies b, never returning nil, so an empty object reads as []byte{}.
func clone(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}
