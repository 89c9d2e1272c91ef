package store

import "context"

// ReadOnly returns a view of s whose Put fails with ErrReadOnly. Workers
// can open source datasets through it, so that a bug in an output path can
// never overwrite the data it reads.
func ReadOnly(s Store) Store { return readOnly{s} }

type readOnly struct{ Store }

func (r readOnly) Put(ctx context.Context, key string, data []byte) error {
	return opError(r.URL(), "put", key, ErrReadOnly)
}

func (r readOnly) Delete(ctx context.Context, key string) error {
	return opError(r.URL(), "delete", key, ErrReadOnly)
}

// ListInfo implements InfoLister: the view lists as s does (embedding
// promotes only Store's methods).
func (r readOnly) ListInfo(ctx context.Context, prefix string) ([]Entry, error) {
	return ListInfo(ctx, r.Store, prefix)
}
