package zarr

import (
	"context"
	"sync"
	"testing"

	"github.com/zarrproc/zarrproc/zarr/dtype"
	"github.com/zarrproc/zarrproc/zarr/store"
)

// countingStore records the reads made through it.
type countingStore struct {
	store.Store
	mu     sync.Mutex
	gets   []string
	ranges [][2]int64
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	c.gets = append(c.gets, key)
	c.mu.Unlock()
	return c.Store.Get(ctx, key)
}

func (c *countingStore) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	c.mu.Lock()
	c.ranges = append(c.ranges, [2]int64{off, n})
	c.mu.Unlock()
	return c.Store.GetRange(ctx, key, off, n)
}

func (c *countingStore) reset() {
	c.mu.Lock()
	c.gets, c.ranges = nil, nil
	c.mu.Unlock()
}

func TestShardPartialRead(t *testing.T) {
	ctx := context.Background()
	mem := store.NewMem(t.Name())
	// One shard of 4x4 inner chunks of 8x8 (32x32 elements), in a 40x40
	// array, so there are edge shards too.
	a, err := CreateArray(ctx, mem, "v", ArraySpec{Shape: []int{40, 40}, ChunkShape: []int{8, 8}, ShardShape: []int{32, 32},
		DType: dtype.Float32Type, FillValue: -1.0})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 1600)
	for i := range want {
		want[i] = float32(i)
	}
	if err := Write(ctx, a, []int{0, 0}, []int{40, 40}, want); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: mem}
	r, err := OpenArray(ctx, cs, "v")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.InnerChunkShape(); got[0] != 8 || got[1] != 8 {
		t.Fatalf("InnerChunkShape %v", got)
	}
	cs.reset()

	check := func(start, shape []int) {
		t.Helper()
		got, err := Read[float32](ctx, r, start, shape, WithConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < shape[0]; i++ {
			for j := 0; j < shape[1]; j++ {
				if w := want[(start[0]+i)*40+start[1]+j]; got[i*shape[1]+j] != w {
					t.Fatalf("region %v+%v: [%d,%d] = %v, want %v", start, shape, i, j, got[i*shape[1]+j], w)
				}
			}
		}
	}

	// Inside one inner chunk: a suffix read of the index, one inner chunk.
	check([]int{9, 9}, []int{3, 3})
	indexSize := int64(16*16 + 4)
	if len(cs.gets) != 0 || len(cs.ranges) != 2 || cs.ranges[0] != [2]int64{-indexSize, 0} {
		t.Fatalf("first read: gets %v ranges %v", cs.gets, cs.ranges)
	}
	// Same shard again: the index is cached, two adjacent inner chunks
	// coalesce into one range read.
	cs.reset()
	check([]int{0, 4}, []int{4, 8})
	if len(cs.gets) != 0 || len(cs.ranges) != 1 {
		t.Fatalf("second read: gets %v ranges %v", cs.gets, cs.ranges)
	}
	// The whole shard: one plain GET.
	cs.reset()
	check([]int{0, 0}, []int{32, 32})
	if len(cs.gets) != 1 || len(cs.ranges) != 0 {
		t.Fatalf("whole shard: gets %v ranges %v", cs.gets, cs.ranges)
	}
	// Across shards and the array edge.
	check([]int{30, 30}, []int{10, 10})
}

func TestShardEmptyInnerChunksReadAsFill(t *testing.T) {
	ctx := context.Background()
	mem := store.NewMem(t.Name())
	a, err := CreateArray(ctx, mem, "", ArraySpec{Shape: []int{8, 8}, ChunkShape: []int{2, 2}, ShardShape: []int{8, 8},
		DType: dtype.Int32Type, FillValue: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, a, []int{2, 2}, []int{2, 2}, []int32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	got, err := Read[int32](ctx, a, []int{1, 1}, []int{4, 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{7, 7, 7, 7, 7, 1, 2, 7, 7, 3, 4, 7, 7, 7, 7, 7}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Partial read of an absent inner chunk, and of an absent shard.
	a2, _ := OpenArray(ctx, mem, "")
	if v, err := Read[int32](ctx, a2, []int{6, 6}, []int{1, 1}); err != nil || v[0] != 7 {
		t.Fatalf("absent inner chunk: %v %v", v, err)
	}
}
