package avaya_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactkit/contactkit/internal/testtool"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

// polling spaces polls and redials by 1-2 ms, so bounded loops end fast.
var polling = avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond})

const subscriptionPath = "/rest/api/v1/realtime-metric-subscription"

func handshakes(srv *avayatest.Server) []avayatest.Request {
	var out []avayatest.Request
	for _, r := range srv.Requests() {
		if r.Path == subscriptionPath {
			out = append(out, r)
		}
	}
	return out
}

// Issue 11 "one request path": the websocket handshake goes through the
// client's stack: WithUserAgent, WithLogger and WithTransportWrapper
// apply, and the token stays out of the log.
func TestSubscribeGoesThroughClientStack(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	var ops []string
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			ops = append(ops, contactkit.OperationName(r.Context()))
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}
	srv, c := newFake(t, avaya.WithUserAgent("wallboard/2.0"), avaya.WithTransportWrapper(wrap),
		avaya.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	srv.InitDelay(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue}, quick) {
		require.NoError(t, err)
		break
	}
	hs := handshakes(srv)
	require.Len(t, hs, 1)
	ua := hs[0].Header.Get("User-Agent")
	assert.True(t, strings.HasPrefix(ua, "wallboard/2.0 contactkit/"), "the handshake's User-Agent: %q", ua)
	assert.Contains(t, logs.String(), "operation=\"GET /rest/api/v1/realtime-metric-subscription\"")
	assert.Contains(t, logs.String(), "auth_token=REDACTED")
	assert.NotContains(t, logs.String(), srv.Token)
	mu.Lock()
	assert.Contains(t, ops, "GET /rest/api/v1/realtime-metric-subscription", "the wrapper saw the handshake")
	mu.Unlock()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A rotating key is asked for on every dial; the auth_token carries it.
func TestSubscribeAsksTokenFuncPerDial(t *testing.T) {
	srv := avayatest.NewServer()
	t.Cleanup(srv.Close)
	srv.InitDelay(0)
	var asked atomic.Int32
	c, err := avaya.NewClient(srv.URL(), contactkit.TokenFunc(func(context.Context) (string, error) {
		asked.Add(1)
		return srv.Token, nil
	}), polling)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	for u, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue}, avaya.SubscribeOptions{NoSnapshot: true}) {
		require.NoError(t, err)
		_ = u
		if n++; n == 1 {
			srv.DropSubscribers()
		}
		if len(handshakes(srv)) >= 2 {
			break
		}
	}
	assert.GreaterOrEqual(t, int(asked.Load()), 2)
}

// Issue 11 "one wait": redials are spaced by the client's RetryPolicy.
func TestSubscribeRedialFollowsRetryPolicy(t *testing.T) {
	srv := avayatest.NewServer()
	t.Cleanup(srv.Close)
	srv.RejectSubscriptions(http.StatusServiceUnavailable)
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token),
		avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: 100 * time.Millisecond, MaxWait: 100 * time.Millisecond}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 330*time.Millisecond)
	defer cancel()
	for _, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue}, quick) {
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	n := len(handshakes(srv))
	assert.GreaterOrEqual(t, n, 2)
	assert.LessOrEqual(t, n, 5, "waits of 50-100 ms between dials, not a tight loop")
}

// Issue 11 "one wait": the 202 loop and the metric-value poll use the
// client's policy and stop after MaxPolls with a typed error, even with a
// context that never ends.
func TestPollsAreBounded(t *testing.T) {
	srv, c := newFake(t, polling)
	srv.CacheNextReports(1000)
	_, err := c.RunReport(context.Background(), avayatest.AgentTalkingSummary)
	require.ErrorIs(t, err, avaya.ErrNotReady)
	var nr *avaya.NotReadyError
	require.ErrorAs(t, err, &nr)
	assert.Equal(t, avaya.MaxPolls, nr.Polls)
	assert.Len(t, srv.Requests(), avaya.MaxPolls)

	srv.InitDelay(time.Hour)
	srv.ResetRequests()
	v, err := c.WaitForMetricValues(context.Background(), avayatest.MetricCallsInQueue)
	require.ErrorIs(t, err, avaya.ErrNotReady)
	assert.True(t, v.Partial(), "the last partial values come with the error")
	assert.Len(t, srv.Requests(), avaya.MaxPolls)
}

// Issue 11 "path safety": ".", ".." and empty path parameters are a
// *contactkit.ValidationError naming the argument, before any request.
func TestPathParametersRefused(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	var ve *contactkit.ValidationError
	for _, id := range []string{"..", ".", "", " "} {
		_, err := c.PauseRecording(ctx, id)
		require.ErrorAs(t, err, &ve, "%q", id)
		assert.Equal(t, "AgentId", ve.Field)
		_, err = c.RecordingState(ctx, id)
		require.ErrorAs(t, err, &ve)
		_, err = c.RecordingAudio(ctx, avaya.Key(id), avaya.WAV)
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "key", ve.Field)
		_, err = c.CallRecordings(ctx, avaya.Key(id))
		require.ErrorAs(t, err, &ve)
		_, err = c.RunReport(ctx, id)
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "historicDataKey", ve.Field)
	}
	assert.Empty(t, srv.Requests())
}

// Issue 11 "default timeouts": a server that accepts and never answers
// ends a call with contactkit.ErrTimeout, without any caller deadline.
func TestSilentServerTimesOut(t *testing.T) {
	base := testtool.SilentServer(t)
	c, err := avaya.NewClient(base, contactkit.StaticToken("k"),
		avaya.WithResponseTimeout(100*time.Millisecond), avaya.WithoutRetry())
	require.NoError(t, err)
	start := time.Now()
	_, err = c.AgentMapping(context.Background())
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	assert.Less(t, time.Since(start), 2*time.Second)
	// A subscription lives until its ctx ends: a handshake that times out
	// is reported (OnState) and redialled, not waited on forever.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := quick
	var dialErr error
	opts.OnState = func(s avaya.ConnState, err error) {
		if s == avaya.Disconnected && dialErr == nil {
			dialErr = err
			cancel()
		}
	}
	for _, err := range c.Subscribe(ctx, []string{"M"}, opts) {
		require.ErrorIs(t, err, context.Canceled)
	}
	require.ErrorIs(t, dialErr, contactkit.ErrTimeout)
	assert.NotContains(t, dialErr.Error(), "auth_token=k")
}

// Issue 12: cancelled during the post-connect snapshot, Subscribe ended
// silently and SubscribeFunc returned nil.
func TestSubscribeCancelledDuringSnapshot(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if contactkit.OperationName(r.Context()) == "GET /rest/api/v1/realtime/metrics/values" {
				cancel()
			}
			return next.RoundTrip(r)
		})
	}
	srv, c := newFake(t, avaya.WithTransportWrapper(wrap))
	srv.InitDelay(0)
	err := c.SubscribeFunc(ctx, []string{avayatest.MetricCallsInQueue}, quick, func(avaya.Update) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.Eventually(t, func() bool { return srv.Subscribers() == 0 }, 2*time.Second, 5*time.Millisecond)
}

// Attack: a context cancelled at every step of Subscribe (before the dial,
// during the dial, during the snapshot, while reading, between redials)
// always ends with the context's error; goleak in TestMain checks that
// nothing is left running.
func TestSubscribeCancelledAtEveryStep(t *testing.T) {
	srv, _ := newFake(t)
	srv.InitDelay(0)
	srv.RealtimeStep(5 * time.Millisecond)
	for step := range 6 { // cancel on the step-th round trip (dial, snapshot, redial...)
		ctx, cancel := context.WithCancel(context.Background())
		var n atomic.Int32
		wrap := func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if int(n.Add(1)) > step {
					cancel()
				}
				return next.RoundTrip(r)
			})
		}
		c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), polling, avaya.WithTransportWrapper(wrap))
		require.NoError(t, err)
		updates := 0
		err = c.SubscribeFunc(ctx, []string{avayatest.MetricCallsInQueue, avayatest.MetricAgentTalkTime}, quick, func(avaya.Update) error {
			if updates++; updates%3 == 0 {
				srv.DropSubscribers() // make it redial: more round trips
			}
			return nil
		})
		require.ErrorIs(t, err, context.Canceled, "step %d", step)
		cancel()
	}
	_, c := newFake(t)
	for _, d := range []time.Duration{0, time.Microsecond, 100 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		err := c.SubscribeFunc(ctx, []string{avayatest.MetricCallsInQueue}, quick, func(avaya.Update) error { return nil })
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded, "after %s", d)
	}
	require.Eventually(t, func() bool { return srv.Subscribers() == 0 }, 2*time.Second, 5*time.Millisecond)
}

// Issue 12: the socket is closed with a close frame (1000), whether the
// loop is left or ctx ends.
func TestSubscribeClosesWithCloseFrame(t *testing.T) {
	srv, c := newFake(t)
	srv.InitDelay(0)
	for _, u := range c.Subscribe(context.Background(), []string{avayatest.MetricCallsInQueue}, quick) {
		_ = u
		break
	}
	require.Eventually(t, func() bool { return len(srv.CloseCodes()) == 1 }, 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, websocket.StatusNormalClosure, srv.CloseCodes()[0], "breaking out of the loop")

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := c.SubscribeFunc(ctx, []string{avayatest.MetricCallsInQueue}, avaya.SubscribeOptions{NoSnapshot: true}, func(avaya.Update) error {
		if n++; n == 1 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Eventually(t, func() bool { return len(srv.CloseCodes()) == 2 }, 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, websocket.StatusNormalClosure, srv.CloseCodes()[1], "ctx ending")
}

// Issue 12: the path-form fallback also follows a 404 whose body is a web
// framework's generic error, but not a 404 with a message of its own.
func TestFallbackOnFrameworkNotFound(t *testing.T) {
	srv, c := newFake(t)
	srv.PathForms(avayatest.AlternativeForm)
	srv.FrameworkNotFound(true)
	a, err := c.CallAudio(context.Background(), avayatest.DocumentedCall, avaya.WAV)
	require.NoError(t, err)
	assert.Len(t, readAll(t, a), 58+(48974+59347)*8, "one WAV of both recordings")
	recs, err := c.Recordings(context.Background(), time.UnixMilli(1568735345298), time.UnixMilli(1568739643644))
	require.NoError(t, err)
	assert.Len(t, recs, 2)

	for _, body := range []string{
		`{"status":404,"error":"Recording not found","path":"/api/v1/recordings/x/audio"}`,
		`{"message":"An invalid call key was provided."}`,
	} {
		srv, c := newFake(t)
		srv.Inject(1, avayatest.Fault{Status: http.StatusNotFound, Body: body})
		_, err := c.CallAudio(context.Background(), avayatest.DocumentedCall, avaya.WAV)
		require.ErrorIs(t, err, contactkit.ErrNotFound, body)
		assert.Len(t, srv.Requests(), 1, "a 404 about the key is not an unknown endpoint: %s", body)
	}
	srv, c = newFake(t)
	srv.Inject(1, avayatest.Fault{Status: http.StatusNotFound, Body: `{"timestamp":"2024-05-06T09:00:00.000+00:00","status":404,"error":"Not Found","message":"No message available","path":"/api/v1/recordings"}`})
	_, err = c.Recordings(context.Background(), time.UnixMilli(1568735345298), time.UnixMilli(1568739643644))
	require.NoError(t, err)
	assert.Len(t, srv.Requests(), 2, "Spring's generic 404: the other form is tried")
}

func archiveFixture(t *testing.T, srv *avayatest.Server, sizes ...int64) (time.Time, []avaya.Recording) {
	t.Helper()
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	var recs []avaya.Recording
	for i, size := range sizes {
		recs = append(recs, srv.AddRecording("", base.Add(time.Duration(i)*time.Minute), size, avaya.StatusSaved))
	}
	return base, recs
}

// audioFile is the file the fake serves for r in format.
func audioFile(t *testing.T, format avaya.AudioFormat, r avaya.Recording) []byte {
	t.Helper()
	body, size := avayatest.Audio(format, r)
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	require.Len(t, b, int(size))
	return b
}

func wantAudio(t *testing.T, dir string, r avaya.Recording) { wantFile(t, dir, avaya.WAV, r) }

func wantFile(t *testing.T, dir string, format avaya.AudioFormat, r avaya.Recording) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, string(r.Key)+"."+string(format)))
	require.NoError(t, err)
	want := audioFile(t, format, r)
	require.Len(t, got, len(want))
	require.True(t, bytes.Equal(want, got), "the archived bytes are the recording's")
}

func audioRequests(srv *avayatest.Server) []avayatest.Request {
	var out []avayatest.Request
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/audio") {
			out = append(out, r)
		}
	}
	return out
}

var formats = []avaya.AudioFormat{avaya.SPX, avaya.WAV}

// Issue 12: a body cut short without Content-Length was stored as a
// complete file, and every later run skipped it as "already there". For
// WAV the listing's size is not the file's: the cut is caught by the
// file's own RIFF header.
func TestArchiveNeverKeepsBodyCutShort(t *testing.T) {
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			srv, c := newFake(t)
			srv.IgnoreRange(true)
			base, recs := archiveFixture(t, srv, 1<<20)
			whole := int64(len(audioFile(t, format, recs[0])))
			srv.CutAudio(100) // every try is cut
			dir := t.TempDir()
			opts := avaya.ArchiveOptions{Format: format}
			res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, opts)
			require.NoError(t, err)
			assert.Equal(t, 1, res.Failed)
			assert.Contains(t, res.Errors[recs[0].Key].Error(), fmt.Sprintf("got %d of", whole/2))
			assert.Contains(t, res.Errors[recs[0].Key].Error(), fmt.Sprintf("%d bytes", whole))
			assert.Len(t, audioRequests(srv), 4, "a cut body is fetched again, up to MaxAttempts")
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "nothing renamed into place, no temporary file left")

			srv.CutAudio(1) // the next run: one cut, then whole; no ranges, so it starts over
			srv.ResetRequests()
			res, err = c.Archive(context.Background(), base, base.Add(time.Hour), dir, opts)
			require.NoError(t, err)
			assert.Equal(t, 1, res.Downloaded, "%v", res.Errors)
			wantFile(t, dir, format, recs[0])
			reqs := audioRequests(srv)
			require.Len(t, reqs, 2)
			assert.Empty(t, reqs[1].Header.Get("Range"), "no validator: no Range")
		})
	}
}

// Issue 12: a broken download resumes with Range + If-Range where the
// server offers ranges, in both formats.
func TestArchiveResumesWithRange(t *testing.T) {
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			srv, c := newFake(t)
			base, recs := archiveFixture(t, srv, 1<<20)
			whole := int64(len(audioFile(t, format, recs[0])))
			srv.CutAudio(1)
			dir := t.TempDir()
			res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, avaya.ArchiveOptions{Format: format})
			require.NoError(t, err)
			require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
			wantFile(t, dir, format, recs[0])
			reqs := audioRequests(srv)
			require.Len(t, reqs, 2)
			assert.Equal(t, fmt.Sprintf("bytes=%d-", whole/2), reqs[1].Header.Get("Range"))
			assert.NotEmpty(t, reqs[1].Header.Get("If-Range"), "with the ETag the server gave")
			assert.Equal(t, whole, res.Bytes)
		})
	}
}

// Issue 12: a truncated file of an earlier run is not "already there"
// (for WAV: also one cut at exactly the listing's size, which is the SPX
// file's), a whole one is, and stale temporary files of earlier runs are
// removed.
func TestArchiveRedoesTruncatedFilesAndRemovesStaleParts(t *testing.T) {
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			srv, c := newFake(t)
			base, recs := archiveFixture(t, srv, 40_000, 50_000, 60_000)
			dir := t.TempDir()
			name := func(r avaya.Recording) string { return filepath.Join(dir, string(r.Key)+"."+string(format)) }
			full := audioFile(t, format, recs[0])
			require.NoError(t, os.WriteFile(name(recs[0]), full[:20_000], 0o600))
			cut := len(full) - 1
			if format == avaya.WAV {
				full := audioFile(t, format, recs[2])
				cut = int(recs[2].Size) // what the listing says
				require.Less(t, cut, len(full))
				require.NoError(t, os.WriteFile(name(recs[2]), full[:cut], 0o600))
			} else {
				require.NoError(t, os.WriteFile(name(recs[2]), audioFile(t, format, recs[2])[:cut/2], 0o600))
			}
			stale := []string{"." + string(recs[1].Key) + "." + string(format) + ".part", "." + string(recs[1].Key) + ".part-12345"}
			for _, name := range stale {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o600))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".keep.part"), []byte("not ours"), 0o600))
			opts := avaya.ArchiveOptions{Format: format}
			res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, opts)
			require.NoError(t, err)
			assert.Equal(t, 3, res.Downloaded, "the truncated files are downloaded again: %v", res.Errors)
			for _, r := range recs {
				wantFile(t, dir, format, r)
			}
			for _, name := range stale {
				assert.NoFileExists(t, filepath.Join(dir, name))
			}
			assert.FileExists(t, filepath.Join(dir, ".keep.part"), "files that are not ours are left alone")

			// A rerun skips the good files and redoes a truncated one.
			full = audioFile(t, format, recs[1])
			require.NoError(t, os.WriteFile(name(recs[1]), full[:len(full)*3/5], 0o600))
			srv.ResetRequests()
			res, err = c.Archive(context.Background(), base, base.Add(time.Hour), dir, opts)
			require.NoError(t, err)
			assert.Equal(t, 2, res.Skipped)
			assert.Equal(t, 1, res.Downloaded, "%v", res.Errors)
			assert.Len(t, audioRequests(srv), 1)
			wantFile(t, dir, format, recs[1])
		})
	}
}

// Attack: a context cancelled at every step of Archive (listing, each
// download, mid-body) ends with the context's error, leaves no goroutine
// and no temporary file, and never a partial file under a final name.
func TestArchiveCancelledAtEveryStep(t *testing.T) {
	srv, _ := newFake(t)
	base, recs := archiveFixture(t, srv, 300_000, 300_000, 300_000)
	for step := range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		var n atomic.Int32
		wrap := func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := next.RoundTrip(r)
				if int(n.Add(1)) > step {
					cancel() // after the answer's headers: mid-body for audio
				}
				return resp, err
			})
		}
		c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), polling, avaya.WithTransportWrapper(wrap))
		require.NoError(t, err)
		dir := t.TempDir()
		_, err = c.Archive(ctx, base, base.Add(time.Hour), dir, avaya.ArchiveOptions{Format: avaya.WAV, Concurrency: 1})
		cancel()
		if err == nil {
			continue // everything finished before the cancel was noticed
		}
		require.ErrorIs(t, err, context.Canceled, "step %d", step)
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			require.False(t, strings.HasPrefix(e.Name(), "."), "step %d left %s", step, e.Name())
			for _, r := range recs {
				if e.Name() == string(r.Key)+".wav" {
					wantAudio(t, dir, r)
				}
			}
		}
	}
	for _, d := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond} {
		_, c := newFake(t)
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, err := c.Archive(ctx, base, base.Add(time.Hour), t.TempDir(), avaya.ArchiveOptions{})
		cancel()
		if err != nil {
			require.True(t, errors.Is(err, context.DeadlineExceeded), "after %s: %v", d, err)
		}
	}
}

// A server that never answers the close frame does not hold Subscribe
// for the library's 5 s: the close handshake waits at most PingTimeout.
func TestSubscribeCloseBoundedOnSilentServer(t *testing.T) {
	srv, c := newFake(t)
	srv.GoSilent(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := avaya.SubscribeOptions{NoSnapshot: true, PingInterval: time.Hour, PingTimeout: 100 * time.Millisecond}
	var cancelled time.Time
	opts.OnState = func(s avaya.ConnState, _ error) {
		if s == avaya.Connected {
			cancelled = time.Now()
			cancel()
		}
	}
	for _, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue}, opts) {
		require.ErrorIs(t, err, context.Canceled)
	}
	require.False(t, cancelled.IsZero())
	assert.Less(t, time.Since(cancelled), time.Second)
}

// Issue 12 (review): a server that accepts the handshake and drops the
// socket at once was redialled (and its values polled) after MinWait
// every time, forever: the backoff was reset by every handshake. It now
// keeps growing until a connection lasts PingInterval. With MinWait 5 ms
// and MaxWait 200 ms the waits are at least 5, 5, 10, 20, 40, then 100 ms
// (jitter halves at most), so 800 ms hold at most 13 dials; a reset
// backoff made one every 5-10 ms (about a hundred).
// flappingFake is a server that drops every subscription at once and a
// client whose waits are 5 ms doubling up to maxWait.
func flappingFake(t *testing.T, maxWait time.Duration) (*avayatest.Server, *avaya.Client) {
	t.Helper()
	srv := avayatest.NewServer()
	t.Cleanup(srv.Close)
	srv.InitDelay(0)
	srv.DropAtOnce(true)
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token),
		avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: 5 * time.Millisecond, MaxWait: maxWait}))
	require.NoError(t, err)
	return srv, c
}

func TestSubscribeBacksOffFromServerThatDropsAtOnce(t *testing.T) {
	srv, c := flappingFake(t, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	var connected atomic.Int32
	opts := avaya.SubscribeOptions{PingInterval: time.Second, PingTimeout: 150 * time.Millisecond}
	opts.OnState = func(s avaya.ConnState, _ error) {
		if s == avaya.Connected {
			connected.Add(1)
		}
	}
	for _, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue}, opts) {
		if err != nil { // snapshot values come too
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
	}
	dials := len(handshakes(srv))
	polls := 0
	for _, r := range srv.Requests() {
		if r.Path == "/rest/api/v1/realtime/metrics/values" {
			polls++
		}
	}
	assert.GreaterOrEqual(t, int(connected.Load()), 3, "the handshakes succeed and are redialled")
	assert.LessOrEqual(t, dials, 13, "dials spaced by a growing backoff")
	assert.LessOrEqual(t, polls, dials, "one snapshot poll per connection at most")
}

// The backoff starts again from MinWait after a connection that stayed
// up PingInterval: after six connections dropped at once (the next wait
// would be 160-320 ms), one that lasts is followed, when it drops, by a
// redial after MinWait.
func TestSubscribeBackoffResetsAfterStableConnection(t *testing.T) {
	srv, c := flappingFake(t, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var (
		mu       sync.Mutex
		connects int
		lost     []time.Time // when each connection was noticed lost
		redials  []time.Time // when each redial started
	)
	opts := avaya.SubscribeOptions{NoSnapshot: true, PingInterval: 50 * time.Millisecond, PingTimeout: 150 * time.Millisecond}
	opts.OnState = func(s avaya.ConnState, _ error) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case avaya.Connected:
			connects++
			switch connects {
			case 6:
				srv.DropAtOnce(false) // the seventh connection lasts
			case 7:
				time.AfterFunc(150*time.Millisecond, srv.DropSubscribers)
			case 8:
				cancel()
			}
		case avaya.Disconnected:
			lost = append(lost, time.Now())
		case avaya.Connecting:
			redials = append(redials, time.Now())
		}
	}
	for _, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue}, opts) {
		if err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 8, connects)
	require.Len(t, lost, 7)
	require.Len(t, redials, 8)
	assert.GreaterOrEqual(t, redials[6].Sub(lost[5]), 80*time.Millisecond, "the sixth drop at once waited Wait(5)")
	assert.Less(t, redials[7].Sub(lost[6]), 80*time.Millisecond, "after a connection that lasted, MinWait again")
}
