package wallboard

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
)

// stuckWriter is a viewer's connection that takes the first write and
// then blocks every write until released.
type stuckWriter struct {
	hdr     http.Header
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	release chan struct{}
	wrote   chan struct{} // a write (after the first) is waiting
}

func (w *stuckWriter) Header() http.Header { return w.hdr }
func (w *stuckWriter) WriteHeader(int)     {}
func (w *stuckWriter) Flush()              {}
func (w *stuckWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	n := w.writes
	w.mu.Unlock()
	if n > 2 { // retry + the first snapshot pass, then stuck
		select {
		case w.wrote <- struct{}{}:
		default:
		}
		<-w.release
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *stuckWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func testHandler(t *testing.T, cfg Config) *Handler {
	t.Helper()
	c, err := avaya.NewClient("http://127.0.0.1:1", contactkit.StaticToken("k"))
	require.NoError(t, err)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := New(c, cfg)
	require.NoError(t, err)
	return h
}

// TestStalledViewerNeverBlocksAndResyncs: a viewer whose connection takes
// nothing holds at most ViewerBuffer events; the hub goes on at once, and
// when the viewer moves again it gets a snapshot instead of the backlog.
func TestStalledViewerNeverBlocksAndResyncs(t *testing.T) {
	h := testHandler(t, Config{Metrics: []Metric{{ID: "A"}}, ViewerBuffer: 4})
	w := &stuckWriter{hdr: http.Header{}, release: make(chan struct{}), wrote: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/events", nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, req)
	}()
	require.Eventually(t, func() bool { return h.Viewers() == 1 }, time.Second, time.Millisecond)
	base := time.Now().Truncate(time.Millisecond)
	put := func(i int) {
		h.apply(avaya.MetricResult{Key: avaya.MetricKey{MetricID: "A", CategoryValue: fmt.Sprintf("agent %03d", i)},
			Value: avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: base.Add(time.Duration(i) * time.Millisecond), Count: int64(i)}})
	}
	put(0)
	<-w.wrote // the viewer is stuck writing the first update
	// All of them are applied while the viewer is still stuck: the hub
	// never waits for a viewer (were it to, this would never finish).
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for i := 1; i <= 500; i++ {
			put(i)
		}
	}()
	select {
	case <-applied:
	case <-time.After(10 * time.Second):
		t.Fatal("the hub waited for a stuck viewer")
	}
	h.mu.Lock()
	for v := range h.viewers {
		assert.LessOrEqual(t, len(v.ch), 4, "bounded")
		assert.True(t, v.resync.Load())
	}
	h.mu.Unlock()
	close(w.release)
	require.Eventually(t, func() bool { return strings.Count(w.String(), "event: snapshot") == 2 }, 2*time.Second, time.Millisecond)
	cancel()
	<-done
	out := w.String()
	last := out[strings.LastIndex(out, "event: snapshot"):]
	assert.Contains(t, last, `"categoryValue":"agent 500"`, "the snapshot holds the latest board")
	assert.LessOrEqual(t, strings.Count(out, "event: update"), 1+4, "never the backlog")
	assert.Equal(t, 0, h.Viewers())
}

func TestEventFraming(t *testing.T) {
	assert.Equal(t, "id: 7\nevent: update\ndata: {}\n\n", string(event(7, "update", []byte("{}"))))
	assert.Equal(t, "event: heartbeat\ndata: {\"now\":1000}\n\n", string(heartbeatFrame(time.UnixMilli(1000))))
	assert.True(t, etagMatch(`W/"1-a-all"`, `W/"1-a-all"`))
	assert.True(t, etagMatch(`"1-a-all"`, `W/"1-a-all"`), "weak comparison")
	assert.True(t, etagMatch(`*`, `W/"1-a-all"`))
	assert.False(t, etagMatch(`W/"2-a-all"`, `W/"1-a-all"`))
}

// deadlineWriter is a connection that takes nothing: a write blocks until
// the deadline set through http.ResponseController, then fails.
type deadlineWriter struct {
	hdr      http.Header
	mu       sync.Mutex
	deadline time.Time
	first    bool
}

func (w *deadlineWriter) Header() http.Header { return w.hdr }
func (w *deadlineWriter) WriteHeader(int)     {}
func (w *deadlineWriter) FlushError() error   { return nil }
func (w *deadlineWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	return nil
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	first := !w.first
	w.first = true
	d := w.deadline
	w.mu.Unlock()
	if first {
		return len(p), nil
	}
	if !d.IsZero() {
		time.Sleep(time.Until(d))
	}
	return 0, os.ErrDeadlineExceeded
}

// TestViewerThatTakesNothingIsDropped: after WriteTimeout without a byte
// taken, the viewer is dropped and its resources freed.
func TestViewerThatTakesNothingIsDropped(t *testing.T) {
	h := testHandler(t, Config{Metrics: []Metric{{ID: "A"}}, WriteTimeout: 50 * time.Millisecond})
	w := &deadlineWriter{hdr: http.Header{}}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/events", nil))
	}()
	require.Eventually(t, func() bool { return h.Viewers() == 1 }, time.Second, time.Millisecond)
	h.apply(avaya.MetricResult{Key: avaya.MetricKey{MetricID: "A"}, Value: avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: time.Now(), Count: 1}})
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a stalled viewer was kept")
	}
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, 0, h.Viewers())
}

func TestMaxViewers(t *testing.T) {
	h := testHandler(t, Config{Metrics: []Metric{{ID: "A"}}, MaxViewers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, http.MethodGet, "/events", nil))
	}()
	require.Eventually(t, func() bool { return h.Viewers() == 1 }, time.Second, time.Millisecond)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/events", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	cancel()
	<-done
	assert.Equal(t, 0, h.Viewers())
}
