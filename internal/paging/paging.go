// Package paging turns offset/limit APIs into iterators.
package paging

import (
	"context"
	"iter"
)

// FetchFunc fetches up to limit items starting at offset.
type FetchFunc[T any] func(ctx context.Context, offset, limit int) ([]T, error)

// Offset yields every item of an offset/limit API, fetching page after page
// from start. It stops after a short page, when the caller breaks out of
// the loop (no further request is made), and when ctx is cancelled; a
// failure is yielded once as the last element.
func Offset[T any](ctx context.Context, start, limit int, fetch FetchFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		offset := start
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			page, err := fetch(ctx, offset, limit)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range page {
				if !yield(item, nil) {
					return
				}
			}
			if len(page) < limit || len(page) == 0 {
				return
			}
			offset += len(page)
		}
	}
}
