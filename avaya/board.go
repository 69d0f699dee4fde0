package avaya

import (
	"sort"
	"sync"
	"time"
)

// Board keeps the latest value of every metric key: the state a realtime
// dashboard shows. Apply drops stale updates (same key, a lastUpdateTime
// not newer than the one held). It is safe for concurrent use: one writer
// (a subscription) and any number of readers.
type Board struct {
	mu     sync.RWMutex
	values map[MetricKey]MetricValue
}

// NewBoard returns an empty board.
func NewBoard() *Board { return &Board{values: map[MetricKey]MetricValue{}} }

// Apply stores the update unless the board holds a value for its key that
// is as new or newer; it reports whether it stored it.
func (b *Board) Apply(r MetricResult) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.values[r.Key]; ok && !r.Value.LastUpdateTime.After(old.LastUpdateTime) {
		return false
	}
	b.values[r.Key] = r.Value
	return true
}

// Get returns the value held for key.
func (b *Board) Get(key MetricKey) (MetricValue, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	v, ok := b.values[key]
	return v, ok
}

// Len is the number of keys held.
func (b *Board) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.values)
}

// Results returns every value, sorted by metric id and category value.
func (b *Board) Results() []MetricResult {
	b.mu.RLock()
	out := make([]MetricResult, 0, len(b.values))
	for k, v := range b.values {
		out = append(out, MetricResult{Key: k, Value: v})
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key.MetricID != out[j].Key.MetricID {
			return out[i].Key.MetricID < out[j].Key.MetricID
		}
		return out[i].Key.CategoryValue < out[j].Key.CategoryValue
	})
	return out
}

// DurationsAt computes every DURATION and AVERAGE_DURATION value at the
// given time (time.Now() for "now"); keys whose average has no value
// (count 0) are left out.
func (b *Board) DurationsAt(at time.Time) map[MetricKey]time.Duration {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := map[MetricKey]time.Duration{}
	for k, v := range b.values {
		if d, ok := v.DurationAt(at); ok {
			out[k] = d
		} else if d, ok := v.AverageDurationAt(at); ok {
			out[k] = d
		}
	}
	return out
}
