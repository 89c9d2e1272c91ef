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

func TestMemReadOnlyFixture(t *testing.T) {
	// The read-only suite's Put check does not apply to a writable store, so
	// only make sure Fixture itself round-trips through a store.
	ctx := context.Background()
	s := store.NewMem("fixture")
	for k, v := range storetest.Fixture() {
		if err := s.Put(ctx, k, v); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
	}
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
