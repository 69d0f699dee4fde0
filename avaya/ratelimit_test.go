package avaya_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

// audioLog records, through the client's transport wrapper, when each
// audio attempt left and what it was answered.
type audioLog struct {
	mu     sync.Mutex
	sent   []time.Time
	status []int
	wait   time.Duration // total time from sending to the answer's headers
}

func (l *audioLog) wrap(next http.RoundTripper) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		audio := strings.HasSuffix(r.URL.Path, "/audio")
		at := time.Now()
		resp, err := next.RoundTrip(r)
		if audio {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.wait += time.Since(at)
			l.sent = append(l.sent, at)
			if resp != nil {
				l.status = append(l.status, resp.StatusCode)
			} else {
				l.status = append(l.status, 0)
			}
		}
		return resp, err
	})
}

func (l *audioLog) count(status int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.status {
		if s == status {
			n++
		}
	}
	return n
}

// minGap is the shortest time between two audio attempts leaving.
func (l *audioLog) minGap() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	gap := time.Duration(1 << 62)
	for i := 1; i < len(l.sent); i++ {
		gap = min(gap, l.sent[i].Sub(l.sent[i-1]))
	}
	return gap
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// pacedFake is a fake with the cloud's audio limit at every, and a
// client paced at the same interval.
func pacedFake(t testing.TB, every time.Duration, log *audioLog, opts ...avaya.Option) (*avayatest.Server, *avaya.Client) {
	t.Helper()
	srv := avayatest.NewServer()
	t.Cleanup(srv.Close)
	srv.LimitAudio(every)
	base := []avaya.Option{
		avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}),
		avaya.WithAudioRateLimit(rate.NewLimiter(rate.Every(every), 1)),
		avaya.WithTransportWrapper(log.wrap),
	}
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), append(base, opts...)...)
	require.NoError(t, err)
	return srv, c
}

// With the limit set, an archive against the fake's LimitAudio gets no
// 429 and loses no recording, however many downloads run at once, and
// takes about the limit's floor: (n − burst) intervals.
func TestArchiveObeysAudioRateLimit(t *testing.T) {
	const n, every = 30, 5 * time.Millisecond
	var log audioLog
	srv, c := pacedFake(t, every, &log)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	for i := range n {
		srv.AddRecording("", base.Add(time.Duration(i)*time.Second), 2048, avaya.StatusSaved)
	}
	start := time.Now()
	res, err := c.Archive(context.Background(), base, base.Add(time.Hour), t.TempDir(), avaya.ArchiveOptions{Concurrency: 4})
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, n, res.Downloaded, "%v", res.Errors)
	assert.Zero(t, res.Failed)
	assert.Zero(t, log.count(http.StatusTooManyRequests), "no 429")
	assert.Equal(t, n, log.count(http.StatusOK))
	assert.GreaterOrEqual(t, log.minGap(), every, "never two requests closer than the limit")
	floor := (n - 1) * every
	assert.GreaterOrEqual(t, elapsed, floor)
	assert.Less(t, elapsed, 2*floor+time.Second, "paced, not waiting out 429s (the benchmark measures the ratio)")

	// The same run without the limit runs into the fake's 429s: the
	// fake does enforce it.
	var unpaced audioLog
	c2, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), avaya.WithTransportWrapper(unpaced.wrap),
		avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	require.NoError(t, err)
	_, err = c2.Archive(context.Background(), base, base.Add(time.Hour), t.TempDir(), avaya.ArchiveOptions{Concurrency: 4})
	require.NoError(t, err)
	assert.Positive(t, unpaced.count(http.StatusTooManyRequests))
}

// Every try of a paced request is paced: a 503 is retried by the client
// itself, after the limit's interval, and so is a 429 some other client
// of the tenant caused; RecordingAudio and CallAudio are paced too.
func TestAudioRateLimitPacesEveryTry(t *testing.T) {
	const every = 20 * time.Millisecond
	var log audioLog
	srv, c := pacedFake(t, every, &log)
	ctx := context.Background()
	srv.FailNext(1, http.StatusServiceUnavailable)
	s, err := c.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.SPX)
	require.NoError(t, err)
	require.NoError(t, s.Body.Close())
	srv.Inject(1, avayatest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	s, err = c.CallAudio(ctx, avayatest.DocumentedCall, avaya.WAV)
	require.NoError(t, err)
	require.NoError(t, s.Body.Close())
	assert.Equal(t, []int{503, 200, 429, 200}, log.status)
	assert.GreaterOrEqual(t, log.minGap(), every)

	// A status that keeps coming ends after MaxAttempts tries with the
	// API error; one not worth retrying ends at once.
	log = audioLog{}
	srv.FailNext(4, http.StatusBadGateway) // MaxAttempts
	_, err = c.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.SPX)
	require.ErrorIs(t, err, contactkit.ErrServer)
	var apiErr *contactkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadGateway, apiErr.StatusCode)
	assert.Len(t, log.status, 4)
	log = audioLog{}
	_, err = c.RecordingAudio(ctx, "00000000-0000-4000-8000-999999999999-1568735345298", avaya.SPX)
	require.ErrorIs(t, err, contactkit.ErrNotFound)
	assert.Len(t, log.status, 1)
}

// A caller waiting for its turn leaves as soon as its context ends.
func TestAudioRateLimitWaitEndsWithContext(t *testing.T) {
	var log audioLog
	_, c := pacedFake(t, time.Hour, &log)
	s, err := c.RecordingAudio(context.Background(), avayatest.DocumentedRecording1, avaya.SPX)
	require.NoError(t, err)
	require.NoError(t, s.Body.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.SPX)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	assert.Len(t, log.status, 1, "the second request never left")

	// Several callers queued behind the hour-long wait all leave.
	ctx, cancel = context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var cancelled atomic.Int32
	for range 5 {
		wg.Go(func() {
			if _, err := c.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.SPX); errors.Is(err, context.Canceled) {
				cancelled.Add(1)
			}
		})
	}
	time.Sleep(10 * time.Millisecond)
	cancel()
	wg.Wait()
	assert.Equal(t, int32(5), cancelled.Load())
}

func TestWithAudioRateLimitChecked(t *testing.T) {
	for name, l := range map[string]*rate.Limiter{
		"nil":     nil,
		"burst 0": rate.NewLimiter(1, 0),
		"limit 0": rate.NewLimiter(0, 1),
	} {
		_, err := avaya.NewClient("http://127.0.0.1:1", contactkit.StaticToken("k"), avaya.WithAudioRateLimit(l))
		assert.Error(t, err, name)
	}
	_, err := avaya.NewClient("http://127.0.0.1:1", contactkit.StaticToken("k"), avaya.WithAudioRateLimit(rate.NewLimiter(rate.Inf, 0)))
	require.NoError(t, err, "no limit at all is a valid limiter")
	l := avaya.CloudAudioLimit()
	assert.Equal(t, rate.Every(3*time.Second), l.Limit())
	assert.Equal(t, 1, l.Burst())
}

// Two clients given one limiter (two parts of a program archiving the
// same tenant) take turns: no 429 between them.
func TestAudioRateLimitSharedByClients(t *testing.T) {
	const every = 5 * time.Millisecond
	srv := avayatest.NewServer()
	t.Cleanup(srv.Close)
	srv.LimitAudio(every)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	for i := range 12 {
		srv.AddRecording("", base.Add(time.Duration(i)*time.Second), 1024, avaya.StatusSaved)
	}
	shared := rate.NewLimiter(rate.Every(every), 1)
	var log audioLog
	var wg sync.WaitGroup
	for range 2 {
		c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), avaya.WithAudioRateLimit(shared),
			avaya.WithTransportWrapper(log.wrap), avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
		require.NoError(t, err)
		dir := t.TempDir()
		wg.Go(func() {
			res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, avaya.ArchiveOptions{Concurrency: 3})
			assert.NoError(t, err)
			assert.Equal(t, 12, res.Downloaded, "%v", res.Errors)
		})
	}
	wg.Wait()
	assert.Zero(t, log.count(http.StatusTooManyRequests))
	assert.Equal(t, 24, log.count(http.StatusOK))
}
