// Package paging turns offset/limit APIs into iterators.
package paging

import (
	"context"
	"iter"
)

// FetchFunc fetches up to limit items starting at offset.
type FetchFunc[T any] func(ctx context.Context, offset, limit int) ([]T, error)

// Repeat detects a server that ignores offset and answers the same page
// again: without it, such a server makes the iterator fetch forever.
type Repeat[T any] struct {
	// Same reports whether page repeats prev, the page fetched before it.
	Same func(prev, page []T) bool
	// Err is the error yielded for such a page, fetched at offset after
	// the one at prevOffset.
	Err func(offset, prevOffset, rows int) error
}

// Offset yields every item of an offset/limit API, fetching page after page
// from start. Each page starts where the items received so far end, so a
// server that sends more than limit items loses and repeats nothing. It
// stops after a short or empty page, when the caller breaks out of the
// loop (no further request is made), when ctx is cancelled (checked
// before each fetch and each item), and, with repeat set, at a page that
// repeats the one before it. A failure is yielded once as the last
// element.
func Offset[T any](ctx context.Context, start, limit int, fetch FetchFunc[T], repeat *Repeat[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var prev []T
		offset, prevOffset := start, start
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
			if repeat != nil && prev != nil && len(page) > 0 && repeat.Same(prev, page) {
				yield(zero, repeat.Err(offset, prevOffset, len(page)))
				return
			}
			for _, item := range page {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
				if !yield(item, nil) {
					return
				}
			}
			if len(page) < limit || len(page) == 0 {
				return
			}
			prev, prevOffset = page, offset
			offset += len(page)
		}
	}
}
