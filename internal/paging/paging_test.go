package paging

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// source serves items 0..n-1 and records every fetch.
type source struct {
	n       int
	fetches [][2]int
	failAt  int // offset whose fetch fails; -1 for never
}

func (s *source) fetch(_ context.Context, offset, limit int) ([]int, error) {
	s.fetches = append(s.fetches, [2]int{offset, limit})
	if offset == s.failAt {
		return nil, errors.New("boom")
	}
	var page []int
	for i := offset; i < min(offset+limit, s.n); i++ {
		page = append(page, i)
	}
	return page, nil
}

func collect(t *testing.T, seq func(func(int, error) bool)) ([]int, error) {
	t.Helper()
	var got []int
	for v, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
	return got, nil
}

func TestOffsetWalksUntilShortPage(t *testing.T) {
	s := &source{n: 25, failAt: -1}
	got, err := collect(t, Offset(context.Background(), 0, 10, s.fetch, nil))
	require.NoError(t, err)
	assert.Len(t, got, 25)
	assert.Equal(t, 24, got[24])
	assert.Equal(t, [][2]int{{0, 10}, {10, 10}, {20, 10}}, s.fetches)
}

func TestOffsetExactMultipleEndsOnEmptyPage(t *testing.T) {
	s := &source{n: 20, failAt: -1}
	got, err := collect(t, Offset(context.Background(), 0, 10, s.fetch, nil))
	require.NoError(t, err)
	assert.Len(t, got, 20)
	assert.Len(t, s.fetches, 3)
}

func TestOffsetStartsAtStart(t *testing.T) {
	s := &source{n: 25, failAt: -1}
	got, err := collect(t, Offset(context.Background(), 15, 10, s.fetch, nil))
	require.NoError(t, err)
	assert.Equal(t, 15, got[0])
	assert.Len(t, got, 10)
}

func TestOffsetBreakStopsFetching(t *testing.T) {
	s := &source{n: 1000, failAt: -1}
	n := 0
	for range Offset(context.Background(), 0, 10, s.fetch, nil) {
		n++
		if n == 15 {
			break
		}
	}
	assert.Len(t, s.fetches, 2, "breaking in page two must not fetch page three")
}

func TestOffsetErrorYieldedOnceLast(t *testing.T) {
	s := &source{n: 100, failAt: 20}
	got, err := collect(t, Offset(context.Background(), 0, 10, s.fetch, nil))
	require.EqualError(t, err, "boom")
	assert.Len(t, got, 20)
}

func TestOffsetStopsOnCancel(t *testing.T) {
	s := &source{n: 1000, failAt: -1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var err error
	n := 0
	for _, e := range Offset(ctx, 0, 10, s.fetch, nil) {
		if e != nil {
			err = e
			break
		}
		n++
		if n == 5 {
			cancel()
		}
	}
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 5, n, "no item is yielded after the cancel")
	assert.Len(t, s.fetches, 1)
}

// ignoring serves items 0..limit-1 whatever the offset: a server that
// does not implement offset.
func ignoring(fetches *int) FetchFunc[int] {
	return func(_ context.Context, _, limit int) ([]int, error) {
		*fetches++
		page := make([]int, limit)
		for i := range page {
			page[i] = i
		}
		return page, nil
	}
}

var errRepeat = errors.New("repeated")

func sameInts(prev, page []int) bool { return slices.Equal(prev, page) }

func TestOffsetStopsAtARepeatedPage(t *testing.T) {
	fetches := 0
	var gotOffset, gotPrev, gotRows int
	rep := &Repeat[int]{Same: sameInts, Err: func(offset, prevOffset, rows int) error {
		gotOffset, gotPrev, gotRows = offset, prevOffset, rows
		return errRepeat
	}}
	got, err := collect(t, Offset(context.Background(), 30, 10, ignoring(&fetches), rep))
	require.ErrorIs(t, err, errRepeat)
	assert.Len(t, got, 10, "the first page is yielded once, the repeat not at all")
	assert.Equal(t, 2, fetches)
	assert.Equal(t, [3]int{40, 30, 10}, [3]int{gotOffset, gotPrev, gotRows})
}

func TestOffsetMoreThanLimitAdvancesByWhatCame(t *testing.T) {
	var offsets []int
	fetch := func(_ context.Context, offset, limit int) ([]int, error) {
		offsets = append(offsets, offset)
		var page []int
		for i := offset; i < min(offset+limit+5, 47); i++ { // 5 more than asked
			page = append(page, i)
		}
		return page, nil
	}
	got, err := collect(t, Offset(context.Background(), 0, 10, fetch, &Repeat[int]{Same: sameInts, Err: func(int, int, int) error { return errRepeat }}))
	require.NoError(t, err)
	want := make([]int, 47)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, got, "nothing lost, nothing repeated")
	assert.Equal(t, []int{0, 15, 30, 45}, offsets, "45 brings 2 (short): the end")
}
