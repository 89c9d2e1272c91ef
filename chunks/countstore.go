package chunks

import (
	"context"
	"sync/atomic"

	"github.com/zarrproc/zarrproc/zarr/store"
)

// countingStore adds the bytes it returns to the counter carried by the
// request's context, so each tile knows what it read even when tiles share
// one store and one open array.
type countingStore struct{ store.Store }

type bytesReadKey struct{}

func withBytesCounter(ctx context.Context, c *atomic.Int64) context.Context {
	return context.WithValue(ctx, bytesReadKey{}, c)
}

func count(ctx context.Context, n int) {
	if c, ok := ctx.Value(bytesReadKey{}).(*atomic.Int64); ok {
		c.Add(int64(n))
	}
}

func (s countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.Store.Get(ctx, key)
	count(ctx, len(b))
	return b, err
}

func (s countingStore) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	b, err := s.Store.GetRange(ctx, key, offset, length)
	count(ctx, len(b))
	return b, err
}

func (s countingStore) GetInto(ctx context.Context, key string, buf []byte) ([]byte, error) {
	b, err := store.GetInto(ctx, s.Store, key, buf)
	count(ctx, len(b))
	return b, err
}
