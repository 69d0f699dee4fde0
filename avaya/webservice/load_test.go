package webservice_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/webservice"
	"github.com/contactkit/contactkit/internal/testtool"
)

const (
	burst    = 2000
	maxConns = 128
	workers  = 4
	queue    = 64
)

// counter counts how often each request number was handed on.
type counter struct {
	mu   sync.Mutex
	seen map[int]int
}

func (c *counter) fn(_ context.Context, r *webservice.Request) error {
	n, err := strconv.Atoi(r.Get("n"))
	if err != nil {
		return webservice.Permanent(err)
	}
	c.mu.Lock()
	c.seen[n]++
	c.mu.Unlock()
	return nil
}

// sendBurst sends n requests at once, numbered by their n parameter, and
// returns each one's outcome: true accepted, false answered 503.
func sendBurst(t *testing.T, p *avayatest.WebServiceProfile, n int, sample func()) []bool {
	t.Helper()
	accepted := make([]bool, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	startGun := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-startGun
			_, err := p.SendValues(context.Background(), url.Values{"n": {strconv.Itoa(i)}})
			switch {
			case err == nil:
				accepted[i] = true
			case errors.Is(err, avayatest.ErrWebServiceBusy):
			default:
				errs <- err
			}
		})
	}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
				sample()
			}
		}
	}()
	close(startGun)
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		require.NoError(t, err, "every request is answered 200 or 503")
	}
	return accepted
}

func burstClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxConnsPerHost: maxConns, MaxIdleConnsPerHost: maxConns, IdleConnTimeout: time.Second,
	}}
}

// While the workers are stuck, 2,000 requests at once are each answered
// at once, 200 for the queue's worth and 503 for the rest; none is lost,
// and the receiver holds no goroutine per request.
func TestBurstWithStuckWorkersLosesNothingAndBoundsGoroutines(t *testing.T) {
	gate := make(chan struct{})
	c := &counter{seen: map[int]int{}}
	var logged testtool.SyncBuffer
	rc, srv := start(t, func(ctx context.Context, r *webservice.Request) error {
		<-gate
		return c.fn(ctx, r)
	}, webservice.WithWorkers(workers), webservice.WithQueue(queue), webservice.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	hc := burstClient()
	defer hc.CloseIdleConnections()
	p := profile(srv, http.MethodGet)
	p.Client = hc

	t0 := time.Now()
	runtime.GC()
	base := runtime.NumGoroutine()
	var peak atomic.Int64
	sample := func() {
		if n := int64(runtime.NumGoroutine()); n > peak.Load() {
			peak.Store(n)
		}
	}
	accepted := sendBurst(t, p, burst, sample)

	// Every answer is in while all work is still queued: what is left
	// running is the fixed pool and the open connections, not 2,000 jobs.
	held := runtime.NumGoroutine() - base
	st := rc.Stats()
	t.Logf("burst of %d: %d accepted, %d answered 503; goroutines: base %d, peak +%d (2,000 of them the senders), held after the answers +%d",
		burst, st.Accepted, st.Busy, base, peak.Load()-int64(base), held)
	assert.GreaterOrEqual(t, st.Accepted, uint64(queue), "the queue's worth")
	assert.LessOrEqual(t, st.Accepted, uint64(queue+workers), "the queue and the stuck workers' share")
	assert.Equal(t, uint64(burst), st.Accepted+st.Busy, "every request answered 200 or 503")
	assert.Equal(t, queue, st.Queued)
	assert.LessOrEqual(t, held, workers+4*maxConns+16, "goroutines held with the queue full: the pool and the connections, none per request")
	assert.LessOrEqual(t, peak.Load()-int64(base), int64(burst+4*maxConns+workers+64), "no goroutine per request during the burst")

	busyLines := strings.Count(logged.String(), "answered 503")
	assert.Positive(t, busyLines)
	assert.LessOrEqual(t, busyLines, int(time.Since(t0)/time.Second)+1, "a flood of 503s logs at most a line a second")

	close(gate)
	require.NoError(t, rc.Shutdown(context.Background()))
	var want []int
	for i, ok := range accepted {
		if ok {
			want = append(want, i)
		}
	}
	got := make([]int, 0, len(c.seen))
	for n, times := range c.seen {
		assert.Equal(t, 1, times, "request %d handed on once", n)
		got = append(got, n)
	}
	slices.Sort(got)
	assert.Equal(t, want, got, "exactly the accepted requests were handed on")
}

// With a sender that resends after 503 (as Avaya may), every request of
// a burst arrives, each handed on exactly once. (Half the burst above, to
// keep the suite fast on two cores: what it adds is the resends.)
func TestBurstWithResendingSenderDeliversAll(t *testing.T) {
	c := &counter{seen: map[int]int{}}
	rc, srv := start(t, func(ctx context.Context, r *webservice.Request) error {
		time.Sleep(50 * time.Microsecond) // a quick CRM call
		return c.fn(ctx, r)
	}, webservice.WithWorkers(workers), webservice.WithQueue(queue), webservice.WithRetryAfter(time.Second))
	hc := burstClient()
	defer hc.CloseIdleConnections()
	p := profile(srv, http.MethodPost)
	p.Client = hc
	p.Retry = contactkit.RetryPolicy{MaxAttempts: 1000, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}
	const n = burst / 2
	accepted := sendBurst(t, p, n, func() {})
	for i, ok := range accepted {
		require.True(t, ok, "request %d delivered", i)
	}
	require.NoError(t, rc.Shutdown(context.Background()))
	st := rc.Stats()
	t.Logf("burst of %d with resends: %d answered 503 and sent again", n, st.Busy)
	assert.Equal(t, uint64(n), st.Accepted)
	assert.Equal(t, uint64(n), st.Handled)
	require.Len(t, c.seen, n)
	for n, times := range c.seen {
		require.Equal(t, 1, times, "request %d handed on once", n)
	}
}

// A function that takes long does not slow the answers: Avaya is
// answered from the queue, not after the work.
func TestSlowFuncDoesNotSlowAnswers(t *testing.T) {
	release := make(chan struct{})
	var started atomic.Int32
	rc, srv := start(t, func(ctx context.Context, _ *webservice.Request) error {
		started.Add(1)
		select { // a CRM that takes as long as the test does
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}, webservice.WithWorkers(2), webservice.WithQueue(512))
	p := profile(srv, http.MethodPost)
	const n = 300
	lat := make([]time.Duration, 0, n)
	for i := range n {
		t0 := time.Now()
		_, err := p.SendValues(context.Background(), url.Values{"n": {fmt.Sprint(i)}})
		require.NoError(t, err)
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	p50, p99 := lat[n/2], lat[n*99/100]
	t.Logf("answer latency with both workers busy: p50 %v, p99 %v, max %v", p50, p99, lat[n-1])
	assert.Equal(t, int32(2), started.Load(), "the workers were busy the whole time")
	assert.Equal(t, n-2, rc.Stats().Queued, "all answered while the function still ran")
	// The function has not returned once while all n were answered, so no
	// answer waited for it; the bound only keeps scheduling noise on a
	// loaded 2-core CI machine from failing the test (locally p99 is a few ms).
	assert.Less(t, p99, 250*time.Millisecond, "answers do not wait for the function")
	close(release)
	require.NoError(t, rc.Shutdown(context.Background()))
	assert.Equal(t, uint64(n), rc.Stats().Handled)
}
