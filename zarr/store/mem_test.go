package store_test

import (
	"context"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/store"
	"github.com/zarrproc/zarrproc/zarr/store/storetest"
)

func TestMem(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.NewMem(t.Name())
	})
}

// TestListInfoFallback runs the suite on a store with List and Stat but no
// InfoLister of its own, so store.ListInfo lists with List and a Stat per key.
func TestListInfoFallback(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return struct{ store.Store }{store.NewMem(t.Name())}
	})
}

func TestReadOnlyMem(t *testing.T) {
	storetest.RunReadOnly(t, func(t *testing.T, content map[string][]byte) store.Store {
		s := store.NewMem(t.Name())
		for k, v := range content {
			if err := s.Put(context.Background(), k, v); err != nil {
				t.Fatalf("Put(%q): %v", k, err)
			}
		}
		return store.ReadOnly(s)
	})
}

func TestOpenMemSharesByName(t *testing.T) {
	ctx := context.Background()
	a, err := store.Open(ctx, "mem://shared-"+t.Name(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(ctx, "mem://shared-"+t.Name(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "k")
	if err != nil || string(got) != "v" {
		t.Fatalf("Get through the second Open = %q, %v; want v", got, err)
	}
}
