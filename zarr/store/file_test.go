package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/store"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

func TestFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.NewFile(filepath.Join(t.TempDir(), "root"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileKeysStayInsideRoot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	outside := filepath.Join(dir, "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := store.NewFile(filepath.Join(dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"../secret", "a/../../secret", "/etc/passwd"} {
		if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", k, err)
		}
		if err := s.Put(ctx, k, []byte("x")); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "secret" {
		t.Errorf("file outside the root was changed: %q", b)
	}
}

func TestFilePutLeavesNoTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Put(ctx, "a/b", []byte("data")); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "b" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only [b]", names)
	}
	if fi, err := os.Stat(filepath.Join(dir, "a", "b")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("object mode = %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestFileReadsFilesWrittenByOthers(t *testing.T) {
	// Datasets on disk were written by zarr-python, not by us: Stat, List
	// and ranges must work on plain files too.
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "arr", "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "arr", "c", "0"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := store.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRange(ctx, "arr/c/0", -3, 0)
	if err != nil || string(got) != "789" {
		t.Errorf("GetRange suffix = %q, %v; want 789", got, err)
	}
	keys, err := s.List(ctx, "arr/")
	if err != nil || len(keys) != 1 || keys[0] != "arr/c/0" {
		t.Errorf("List = %q, %v; want [arr/c/0]", keys, err)
	}
	if s.URL() != "file://"+filepath.ToSlash(dir) {
		t.Errorf("URL() = %q", s.URL())
	}
}

func TestReadOnlyFile(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T, content map[string][]byte) store.Store {
		s, err := store.NewFile(writeDir(t, content))
		if err != nil {
			t.Fatal(err)
		}
		return store.ReadOnly(s)
	})
}

// TestFileListInfoLinksAndTemporaryFiles: List and ListInfo leave out a
// Put's temporary file and symbolic links Stat would not find (dangling, or
// to a directory); a link to a file is listed with its target's version,
// as Stat gives it.
func TestFileListInfoLinksAndTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "arr/c/0", []byte("chunk")); err != nil {
		t.Fatal(err)
	}
	arr := filepath.Join(dir, "arr")
	if err := os.WriteFile(filepath.Join(arr, "c", ".zarrproc-tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"file-link": "c/0", "dir-link": "c", "dangling": "nowhere"} {
		if err := os.Symlink(target, filepath.Join(arr, link)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"arr/c/0", "arr/file-link"}
	keys, err := s.List(ctx, "arr/")
	if err != nil || !slices.Equal(keys, want) {
		t.Errorf("List = %q, %v; want %q", keys, err, want)
	}
	entries, err := s.ListInfo(ctx, "arr/")
	if err != nil || len(entries) != len(want) {
		t.Fatalf("ListInfo = %+v, %v; want %q", entries, err, want)
	}
	for i, e := range entries {
		info, err := s.Stat(ctx, e.Key)
		if e.Key != want[i] || err != nil || e.ETag != info.ETag || e.Size != info.Size {
			t.Errorf("ListInfo entry %+v; Stat(%q) = %+v, %v", e, want[i], info, err)
		}
	}
}
