// Package storetest is the conformance suite every store.Store backend must
// pass, plus the helpers that tests against real services share (RequireEnv,
// UniqueName) and those for local stores (CopyDir, ReadDir). It imports only
// the store package and the standard library.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/store"
)

// RequireServicesEnv, when "1", turns a missing test service from a skip into
// a failure. scripts/test.sh sets it, so CI cannot pass by skipping.
const RequireServicesEnv = "ZARRPROC_TEST_REQUIRE_SERVICES"

// RequireEnv returns the environment variable name. When it is unset it skips
// the test, or fails it when RequireServicesEnv is "1".
func RequireEnv(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if os.Getenv(RequireServicesEnv) == "1" {
		t.Fatalf("%s is not set and %s=1: start the services with scripts/services.sh", name, RequireServicesEnv)
	}
	t.Skipf("%s is not set; run scripts/services.sh start DIR and source DIR/services.env", name)
	return ""
}

// UniqueName returns a fresh name usable as an S3 or GCS bucket (lowercase
// letters, digits and dashes, at most 63 characters), so that tests sharing
// one server never collide.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, prefix)
	if len(clean) > 40 {
		clean = clean[:40]
	}
	return strings.Trim(clean, "-") + "-" + hex.EncodeToString(b[:])
}

// Run runs the conformance suite on stores made by newStore. Each subtest
// gets a new, empty store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"EmptyObject", testEmptyObject},
		{"NestedKeys", testNestedKeys},
		{"NotFound", testNotFound},
		{"Ranges", testRanges},
		{"StatETagChanges", testStatETagChanges},
		{"List", testList},
		{"ListInfo", testListInfo},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"CancelledContext", testCancelledContext},
		{"ConcurrentGets", testConcurrentGets},
		{"LargeObject", testLargeObject},
		{"URL", testURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// Fixture is the content RunReadOnly expects a read-only store to serve.
// Keys cover nested paths, an empty object, a Zarr v2-style dot key and an
// object large enough for interesting ranges.
func Fixture() map[string][]byte {
	big := make([]byte, 10000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	return map[string][]byte{
		"hello.txt":             []byte("hello, world"),
		"empty":                 {},
		"big.bin":               big,
		"data/.zarray":          []byte(`{"zarr_format":2}`),
		"data/c/0/0":            []byte("chunk 0 0"),
		"data/c/0/1":            []byte("chunk 0 1"),
		"with space/and%25.txt": []byte("escaped"),
	}
}

// RunReadOnly runs the reading half of the suite on a store that serves
// Fixture(); newStore receives that content to serve (write it to a
// directory, an HTTP server, a bucket). Put must fail with ErrReadOnly.
// List is not checked: read-only backends (HTTP) may not support it; when
// it is, ListInfo must agree with it, and when not, fail alike.
func RunReadOnly(t *testing.T, newStore func(t *testing.T, content map[string][]byte) store.Store) {
	content := Fixture()
	s := newStore(t, content)
	ctx := context.Background()

	t.Run("Get", func(t *testing.T) {
		for _, k := range sortedKeys(content) {
			got, err := s.Get(ctx, k)
			if err != nil {
				t.Errorf("Get(%q): %v", k, err)
				continue
			}
			if !bytes.Equal(got, content[k]) {
				t.Errorf("Get(%q) = %q, want %q", k, short(got), short(content[k]))
			}
		}
	})
	t.Run("Stat", func(t *testing.T) {
		for _, k := range sortedKeys(content) {
			info, err := s.Stat(ctx, k)
			if err != nil {
				t.Errorf("Stat(%q): %v", k, err)
				continue
			}
			if info.Size != int64(len(content[k])) {
				t.Errorf("Stat(%q).Size = %d, want %d", k, info.Size, len(content[k]))
			}
			if info.ETag == "" {
				t.Errorf("Stat(%q).ETag is empty", k)
			}
		}
	})
	t.Run("Ranges", func(t *testing.T) {
		checkRanges(t, s, "big.bin", content["big.bin"])
		checkRange(t, s, "empty", content["empty"], 0, 10)
		checkRange(t, s, "empty", content["empty"], -10, 0)
	})
	t.Run("NotFound", func(t *testing.T) {
		checkNotFound(t, s, "missing")
		checkNotFound(t, s, "data/c/9/9")
	})
	t.Run("PutIsReadOnly", func(t *testing.T) {
		err := s.Put(ctx, "new", []byte("x"))
		if !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Put = %v, want ErrReadOnly", err)
		}
		if err := s.Delete(ctx, "a"); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Delete = %v, want ErrReadOnly", err)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Get(cctx, "hello.txt"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get with cancelled context = %v, want context.Canceled", err)
		}
		if _, err := s.Stat(cctx, "hello.txt"); !errors.Is(err, context.Canceled) {
			t.Errorf("Stat with cancelled context = %v, want context.Canceled", err)
		}
		if _, err := s.GetRange(cctx, "hello.txt", 0, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("GetRange with cancelled context = %v, want context.Canceled", err)
		}
	})
	t.Run("ConcurrentGets", func(t *testing.T) {
		concurrentGets(t, s, content)
	})
	t.Run("ListInfo", func(t *testing.T) {
		keys, err := s.List(ctx, "")
		entries, ierr := store.ListInfo(ctx, s, "")
		if errors.Is(err, store.ErrListNotSupported) {
			if !errors.Is(ierr, store.ErrListNotSupported) {
				t.Errorf("ListInfo = %v on a store whose List is not supported, want ErrListNotSupported", ierr)
			}
			return
		}
		if err != nil || ierr != nil {
			t.Fatalf("List: %v; ListInfo: %v", err, ierr)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Key)
			checkEntry(t, s, e)
		}
		if !slices.Equal(got, keys) {
			t.Errorf("ListInfo keys = %q, List = %q", got, keys)
		}
	})
}

func put(t *testing.T, s store.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s store.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if got == nil {
		t.Errorf("Get(%q) returned nil bytes and no error", key)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %q, want %q", key, short(got), short(want))
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	data := []byte("some bytes \x00\xff of a chunk")
	put(t, s, "a", data)
	mustGet(t, s, "a", data)
	info, err := s.Stat(context.Background(), "a")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Size != int64(len(data)) {
		t.Errorf("Stat.Size = %d, want %d", info.Size, len(data))
	}
	if info.ETag == "" {
		t.Error("Stat.ETag is empty")
	}
	if info.ModTime.IsZero() {
		t.Error("Stat.ModTime is zero")
	}
	// The store must not keep the caller's slice.
	data[0] = 'X'
	mustGet(t, s, "a", []byte("some bytes \x00\xff of a chunk"))
}

func testOverwrite(t *testing.T, s store.Store) {
	put(t, s, "k", []byte("first, longer content"))
	put(t, s, "k", []byte("second"))
	mustGet(t, s, "k", []byte("second"))
}

func testEmptyObject(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "empty", nil)
	mustGet(t, s, "empty", []byte{})
	info, err := s.Stat(ctx, "empty")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Size != 0 {
		t.Errorf("Stat.Size = %d, want 0", info.Size)
	}
	checkRange(t, s, "empty", nil, 0, 10)
	checkRange(t, s, "empty", nil, -10, 0)
	keys, err := s.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.Equal(keys, []string{"empty"}) {
		t.Errorf("List = %q, want [empty]", keys)
	}
}

func testNestedKeys(t *testing.T, s store.Store) {
	keys := []string{
		"group/array/.zarray",
		"group/array/c/0/0/0",
		"group/array/c/0/0/1",
		"group/zarr.json",
		"deep/a/b/c/d/e/f/g",
	}
	for i, k := range keys {
		put(t, s, k, []byte(fmt.Sprintf("value %d of %s", i, k)))
	}
	for i, k := range keys {
		mustGet(t, s, k, []byte(fmt.Sprintf("value %d of %s", i, k)))
	}
	// A "directory" is not an object.
	checkNotFound(t, s, "group/array")
	checkNotFound(t, s, "group")
}

func checkNotFound(t *testing.T, s store.Store, key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
	} else if !strings.Contains(err.Error(), key) {
		t.Errorf("Get(%q) error %q does not name the key", key, err)
	}
	if _, err := s.GetRange(ctx, key, 0, 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRange(%q, 0, 10) = %v, want ErrNotFound", key, err)
	}
	if _, err := s.GetRange(ctx, key, -10, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRange(%q, -10, 0) = %v, want ErrNotFound", key, err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Stat(%q) = %v, want ErrNotFound", key, err)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	checkNotFound(t, s, "missing")
	checkNotFound(t, s, "missing/nested/key")
	put(t, s, "present", []byte("x"))
	checkNotFound(t, s, "present/below") // a key below an object
	checkNotFound(t, s, "presen")
}

func checkRange(t *testing.T, s store.Store, key string, data []byte, offset, length int64) {
	t.Helper()
	got, err := s.GetRange(context.Background(), key, offset, length)
	if err != nil {
		t.Errorf("GetRange(%q, %d, %d): %v", key, offset, length, err)
		return
	}
	var want []byte
	size := int64(len(data))
	switch {
	case offset < 0:
		want = data[max(size+offset, 0):]
	case offset >= size:
		want = nil
	default:
		want = data[offset:min(offset+length, size)]
	}
	if !bytes.Equal(got, want) {
		t.Errorf("GetRange(%q, %d, %d) = %d bytes %q, want %d bytes %q",
			key, offset, length, len(got), short(got), len(want), short(want))
	}
}

func checkRanges(t *testing.T, s store.Store, key string, data []byte) {
	t.Helper()
	n := int64(len(data))
	for _, r := range [][2]int64{
		{0, n},          // whole
		{0, 1},          // first byte
		{100, 1000},     // middle
		{n - 1, 1},      // last byte
		{n - 10, 100},   // runs past the end: cut
		{0, n + 1},      // one past
		{n, 10},         // starts at the end: empty
		{n + 100, 10},   // starts past the end: empty
		{10, 0},         // zero length
		{-1, 0},         // suffix: last byte
		{-100, 0},       // suffix
		{-n, 0},         // suffix = whole
		{-(n + 50), 0},  // suffix longer than the object: whole
		{-100, 5},       // suffix ignores length
		{-(n - 1), 999}, // suffix of all but the first byte
	} {
		checkRange(t, s, key, data, r[0], r[1])
	}
	if _, err := s.GetRange(context.Background(), key, 0, -1); !errors.Is(err, store.ErrInvalidRange) {
		t.Errorf("GetRange(%q, 0, -1) = %v, want ErrInvalidRange", key, err)
	}
}

func testRanges(t *testing.T, s store.Store) {
	data := make([]byte, 4096+17)
	for i := range data {
		data[i] = byte(i*31 + i/256)
	}
	put(t, s, "ranged/object", data)
	checkRanges(t, s, "ranged/object", data)
}

func testStatETagChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "versioned", []byte("version one"))
	a, err := s.Stat(ctx, "versioned")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	// Same size on purpose: the ETag must not be the size alone.
	put(t, s, "versioned", []byte("version two"))
	b, err := s.Stat(ctx, "versioned")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if a.ETag == "" || a.ETag == b.ETag {
		t.Errorf("ETag after rewrite with new content = %q, before %q: want a different, non-empty ETag", b.ETag, a.ETag)
	}
	if b.Size != int64(len("version two")) {
		t.Errorf("Stat.Size = %d, want %d", b.Size, len("version two"))
	}
	// Stat agrees with itself when nothing changed.
	c, err := s.Stat(ctx, "versioned")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if c.ETag != b.ETag {
		t.Errorf("ETag changed without a write: %q then %q", b.ETag, c.ETag)
	}
}

// listKeys are the objects testList and testListInfo write; listCases
// are prefixes with the keys List must return for them.
var listKeys = []string{
	"arr/c/1/0", "arr/c/0/0", "arr/c/0/1", "arr/.zarray", "arr/zarr.json",
	"arr2/c/0", "arrow", "other/x", "z",
}

var listCases = []struct {
	prefix string
	want   []string
}{
	{"", []string{"arr/.zarray", "arr/c/0/0", "arr/c/0/1", "arr/c/1/0", "arr/zarr.json", "arr2/c/0", "arrow", "other/x", "z"}},
	{"arr/", []string{"arr/.zarray", "arr/c/0/0", "arr/c/0/1", "arr/c/1/0", "arr/zarr.json"}},
	{"arr", []string{"arr/.zarray", "arr/c/0/0", "arr/c/0/1", "arr/c/1/0", "arr/zarr.json", "arr2/c/0", "arrow"}},
	{"arr/c/0", []string{"arr/c/0/0", "arr/c/0/1"}},
	{"arr/c/0/", []string{"arr/c/0/0", "arr/c/0/1"}},
	{"arr/.", []string{"arr/.zarray"}},
	{"z", []string{"z"}},
	{"nothing/", nil},
	{"arr/c/9", nil},
	{"zz", nil},
	{"z/", nil}, // below an object, not a directory
}

func testList(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range listKeys {
		put(t, s, k, []byte(k))
	}
	for _, tc := range listCases {
		got, err := s.List(ctx, tc.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tc.prefix, err)
			continue
		}
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

// testListInfo: store.ListInfo (the backend's own InfoLister, else List and
// Stat) lists List's keys, each with the Size and ETag Stat gives, and sees
// an object rewritten in place.
func testListInfo(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range listKeys {
		put(t, s, k, []byte(k))
	}
	for _, tc := range listCases {
		entries, err := store.ListInfo(ctx, s, tc.prefix)
		if err != nil {
			t.Errorf("ListInfo(%q): %v", tc.prefix, err)
			continue
		}
		var keys []string
		for _, e := range entries {
			keys = append(keys, e.Key)
			checkEntry(t, s, e)
		}
		if !slices.Equal(keys, tc.want) {
			t.Errorf("ListInfo(%q) keys = %q, want %q", tc.prefix, keys, tc.want)
		}
	}

	before := listInfo(t, s, "arr/")
	// Same size on purpose: the ETag must not be the size alone.
	put(t, s, "arr/c/0/1", []byte("arr/c/9/9"))
	after := listInfo(t, s, "arr/")
	if len(after) != len(before) {
		t.Fatalf("ListInfo after a rewrite lists %d objects, before %d", len(after), len(before))
	}
	for i, a := range after {
		b := before[i]
		checkEntry(t, s, a)
		switch changed := a.ETag != b.ETag; {
		case a.Key == "arr/c/0/1" && !changed:
			t.Errorf("ListInfo: ETag of %s is %q before and after a rewrite with new content", a.Key, a.ETag)
		case a.Key != "arr/c/0/1" && changed:
			t.Errorf("ListInfo: ETag of %s changed from %q to %q without a write", a.Key, b.ETag, a.ETag)
		}
	}
}

func listInfo(t *testing.T, s store.Store, prefix string) []store.Entry {
	t.Helper()
	entries, err := store.ListInfo(context.Background(), s, prefix)
	if err != nil {
		t.Fatalf("ListInfo(%q): %v", prefix, err)
	}
	return entries
}

// checkEntry checks a listed entry against Stat of its key.
func checkEntry(t *testing.T, s store.Store, e store.Entry) {
	t.Helper()
	info, err := s.Stat(context.Background(), e.Key)
	if err != nil {
		t.Errorf("Stat(%q) of a listed key: %v", e.Key, err)
		return
	}
	if e.ETag == "" || e.ETag != info.ETag || e.Size != info.Size {
		t.Errorf("ListInfo entry %s: ETag %q, size %d; Stat: ETag %q, size %d", e.Key, e.ETag, e.Size, info.ETag, info.Size)
	}
	if e.ModTime.IsZero() {
		t.Errorf("ListInfo entry %s: ModTime is zero", e.Key)
	}
}

// testDelete: Delete removes one object (not its neighbours or the keys
// below a same-named prefix), a missing key is not an error, and
// DeletePrefix removes a whole tree.
func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range []string{"out.zarr/zarr.json", "out.zarr/v/c/0/0", "out.zarr/v/c/0/1", "keep/a", "out.zarrx"} {
		put(t, s, k, []byte(k))
	}
	if err := s.Delete(ctx, "out.zarr/v/c/0/0"); err != nil {
		t.Fatal(err)
	}
	checkNotFound(t, s, "out.zarr/v/c/0/0")
	mustGet(t, s, "out.zarr/v/c/0/1", []byte("out.zarr/v/c/0/1"))
	if err := s.Delete(ctx, "out.zarr/v/c/0/0"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if err := s.Delete(ctx, "never/was"); err != nil {
		t.Errorf("deleting a key that never existed: %v", err)
	}
	n, err := store.DeletePrefix(ctx, s, "out.zarr/")
	if err != nil || n != 2 {
		t.Fatalf("DeletePrefix = %d, %v; want 2 objects", n, err)
	}
	left, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(left, ",") != "keep/a,out.zarrx" {
		t.Errorf("after DeletePrefix the store holds %v, want [keep/a out.zarrx]", left)
	}
	if err := s.Delete(ctx, "../x"); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Delete(../x) = %v, want ErrInvalidKey", err)
	}
}

func testInvalidKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range []string{"", "/abs", "a/../b", "..", "../escape", "a//b", "a/", "./a", "a/./b"} {
		if err := s.Put(ctx, k, []byte("x")); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	if _, err := s.List(ctx, "../"); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("List(%q) = %v, want ErrInvalidKey", "../", err)
	}
	if _, err := store.ListInfo(ctx, s, "../"); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("ListInfo(%q) = %v, want ErrInvalidKey", "../", err)
	}
}

func testCancelledContext(t *testing.T, s store.Store) {
	put(t, s, "k", []byte("v"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with cancelled context = %v, want context.Canceled", op, err)
		}
	}
	_, err := s.Get(ctx, "k")
	check("Get", err)
	_, err = s.GetRange(ctx, "k", 0, 1)
	check("GetRange", err)
	_, err = s.Stat(ctx, "k")
	check("Stat", err)
	check("Put", s.Put(ctx, "k2", []byte("v")))
	_, err = s.List(ctx, "")
	check("List", err)
	_, err = store.ListInfo(ctx, s, "")
	check("ListInfo", err)
	// The cancelled Put wrote nothing.
	if _, err := s.Stat(context.Background(), "k2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Stat after cancelled Put = %v, want ErrNotFound", err)
	}
}

func testConcurrentGets(t *testing.T, s store.Store) {
	content := make(map[string][]byte)
	for i := range 8 {
		k := fmt.Sprintf("c/%d", i)
		content[k] = bytes.Repeat([]byte{byte(i)}, 1000+i)
		put(t, s, k, content[k])
	}
	concurrentGets(t, s, content)
}

func concurrentGets(t *testing.T, s store.Store, content map[string][]byte) {
	keys := sortedKeys(content)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				k := keys[(g+i)%len(keys)]
				got, err := s.Get(context.Background(), k)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, content[k]) {
					errs <- fmt.Errorf("concurrent Get(%q): wrong content", k)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testLargeObject writes more than the GCS writer's 16 MiB chunk, which
// takes the resumable-upload path, and reads ranges across it.
func testLargeObject(t *testing.T, s store.Store) {
	if testing.Short() {
		t.Skip("large object skipped in -short mode")
	}
	data := make([]byte, 17<<20+123)
	for i := 0; i < len(data); i += 4096 {
		data[i] = byte(i >> 12)
	}
	put(t, s, "large/object", data)
	mustGet(t, s, "large/object", data)
	checkRange(t, s, "large/object", data, 16<<20-10, 1<<20)
	checkRange(t, s, "large/object", data, -16388, 0) // a shard index
}

func testURL(t *testing.T, s store.Store) {
	u := s.URL()
	if !strings.Contains(u, "://") {
		t.Errorf("URL() = %q, want scheme://...", u)
	}
	if strings.HasSuffix(u, "/") && !strings.HasSuffix(u, ":///") {
		t.Errorf("URL() = %q ends with /", u)
	}
	_, err := s.Get(context.Background(), "missing")
	if err == nil || !strings.Contains(err.Error(), u) {
		t.Errorf("error %v does not name the store %q", err, u)
	}
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// short keeps failure messages readable when objects are large.
func short(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "..."...)
	}
	return b
}

// CopyDir copies the local store (a directory tree) at src into the test's
// temp dir, so a test may corrupt or rewrite it, and returns the copy's path.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// ReadDir reads the local store (a directory tree) at root: each file's
// slash-separated path below root → its content. Tests compare output
// stores with it.
func ReadDir(t testing.TB, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
