package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/testtool"
)

// attemptTimes serves status with the given Retry-After and records when
// each attempt arrived.
func attemptTimes(t *testing.T, status int, retryAfter string) (*httptest.Server, func() []time.Time) {
	t.Helper()
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		w.Header().Set("Retry-After", retryAfter)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), times...)
	}
}

func TestRetryAfterNeverMakesATightLoop(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	const minWait = 30 * time.Millisecond
	for _, ra := range []string{"0", "-5", past, "soon", "1e9999", ""} {
		for _, isPost := range []bool{false, true} {
			t.Run(fmt.Sprintf("%q post=%v", ra, isPost), func(t *testing.T) {
				status := http.StatusServiceUnavailable
				r := get()
				if isPost {
					// a sender whose API documents 423 as "send again"
					status, r = http.StatusLocked, post()
					r.RetryStatuses = []int{http.StatusLocked}
				}
				srv, times := attemptTimes(t, status, ra)
				c := newClient(t, srv.URL, WithRetry(RetryPolicy{MaxAttempts: 4, MinWait: minWait, MaxWait: 200 * time.Millisecond}))
				err := c.Do(context.Background(), r, nil)
				require.Error(t, err)
				got := times()
				require.Len(t, got, 4)
				for i := 1; i < len(got); i++ {
					assert.GreaterOrEqual(t, got[i].Sub(got[i-1]), minWait-2*time.Millisecond,
						"attempt %d followed %d too soon: Retry-After %q must be clamped to MinWait", i+1, i, ra)
				}
			})
		}
	}
}

func TestRetryAfterCappedAtMaxWait(t *testing.T) {
	srv, times := attemptTimes(t, http.StatusTooManyRequests, "86400")
	c := newClient(t, srv.URL, WithRetry(RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 40 * time.Millisecond}))
	start := time.Now()
	require.ErrorIs(t, c.Do(context.Background(), get(), nil), contactkit.ErrRateLimited)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Len(t, times(), 2)
}

func TestBackoffFloorIsMinWait(t *testing.T) {
	for attempt := range 40 {
		for range 50 {
			d := Backoff(100*time.Millisecond, time.Second, attempt)
			require.GreaterOrEqual(t, d, 100*time.Millisecond)
			require.LessOrEqual(t, d, time.Second)
		}
	}
}

// silent accepts connections and never answers.
func silent(t *testing.T) string { return testtool.SilentServer(t) }

func TestSilentServerTimesOutWithoutADeadline(t *testing.T) {
	base := silent(t)
	c := newClient(t, base, WithResponseTimeout(100*time.Millisecond), WithoutRetry())
	start := time.Now()
	err := c.Do(context.Background(), get(), nil) // no deadline from the caller
	require.Error(t, err)
	assert.ErrorIs(t, err, contactkit.ErrTimeout)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Less(t, time.Since(start), 2*time.Second)

	// an idempotent call retries a timeout within its policy; a POST does not
	c = newClient(t, base, WithResponseTimeout(50*time.Millisecond))
	start = time.Now()
	require.ErrorIs(t, c.Do(context.Background(), get(), nil), contactkit.ErrTimeout)
	assert.Less(t, time.Since(start), 3*time.Second)
	require.ErrorIs(t, c.Do(context.Background(), post(), nil), contactkit.ErrTimeout)
}

func TestDefaultResponseTimeout(t *testing.T) {
	s := settings(t)
	assert.Equal(t, 30*time.Second, s.ResponseTimeout)
	assert.Equal(t, contactkit.DefaultResponseTimeout, s.ResponseTimeout)
}

// stall writes part of a body, flushes, then hangs until the client leaves.
func stall(t *testing.T, first string) string { return testtool.StallServer(t, first) }

func TestStalledBodyTimesOut(t *testing.T) {
	base := stall(t, `{"ok":`)
	c := newClient(t, base, WithResponseTimeout(100*time.Millisecond), WithoutRetry())
	err := c.Do(context.Background(), get(), &okBody{})
	require.Error(t, err)
	assert.ErrorIs(t, err, contactkit.ErrTimeout, "a decode that stalls is a timeout, not a bad body")

	// streamed: headers arrived in time, then the bytes stopped
	resp, err := c.Send(context.Background(), get())
	require.NoError(t, err)
	defer CloseBody(resp.Body)
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, contactkit.ErrTimeout)
}

func TestSlowReaderIsNotAStall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 3<<20))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, WithResponseTimeout(60*time.Millisecond))
	resp, err := c.Send(context.Background(), get())
	require.NoError(t, err)
	defer CloseBody(resp.Body)
	buf := make([]byte, 1<<20)
	total := 0
	for {
		n, err := resp.Body.Read(buf)
		total += n
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "time spent by the caller between reads is not a stall")
		time.Sleep(80 * time.Millisecond) // the caller is busy longer than the timeout
	}
	assert.Equal(t, 3<<20, total)
}

func TestSlowUploadWithProgressIsNotATimeout(t *testing.T) {
	// Small socket buffers on both ends, so that the client's reads of
	// the body follow the server's reads closely (with the kernel's
	// defaults, megabytes sit in buffers and drain unseen).
	small := func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 32<<10)
			if serr == nil {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 32<<10)
			}
		})
		return errors.Join(err, serr)
	}
	ln, err := (&net.ListenConfig{Control: small}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 32<<10)
		for {
			_, err := r.Body.Read(buf)
			if err != nil {
				break
			}
			time.Sleep(5 * time.Millisecond) // a slow link: ~6 MiB/s
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Control: small}).DialContext}}
	defer hc.CloseIdleConnections()
	// The upload takes several times the timeout and keeps making progress.
	// (1 s, not less: a race-enabled run on two busy cores can starve the
	// reader for half a second, which is not the stall this is about.)
	c := newClient(t, srv.URL, WithHTTPClient(hc), WithResponseTimeout(time.Second), WithoutRetry())
	r := &Request{Method: http.MethodPost, Path: "/upload", Body: bytes.Repeat([]byte("p"), 16<<20), ContentType: "application/pdf"}
	start := time.Now()
	var out okBody
	require.NoError(t, c.Do(context.Background(), r, &out))
	assert.True(t, out.OK)
	assert.Greater(t, time.Since(start), time.Second, "the upload took longer than the timeout and still succeeded")
}

func TestTokenFetchedForEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		n := len(seen)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(http.StatusLocked)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	var calls atomic.Int32
	auth := bearerFunc(t, func(context.Context) (string, error) {
		return fmt.Sprintf("rotated-%d", calls.Add(1)), nil
	})
	c := newAuthClient(t, srv.URL, auth)
	r := post()
	r.RetryStatuses = []int{http.StatusLocked}
	require.NoError(t, c.Do(context.Background(), r, nil))
	assert.Equal(t, []string{"Bearer rotated-1", "Bearer rotated-2", "Bearer rotated-3"}, seen)
}

// A redirect to another host is not followed: that host would get the
// original URL as Referer (an auth_token, a signature), the caller's own
// headers and the body again. The 3xx is the answer.
func TestRedirectToAnotherHostNotFollowed(t *testing.T) {
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, _ *http.Request) { reached.Add(1) }))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer home-token", r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+"/landing", http.StatusTemporaryRedirect)
	}))
	defer home.Close()
	c := newAuthClient(t, home.URL, bearerToken(t, "home-token"))
	var q Query
	q.Add("auth_token", "query-secret")
	r := &Request{Method: http.MethodPost, Path: "/reports", Query: &q, Body: []byte("report"),
		Header: http.Header{"X-Api-Key": {"template-secret"}}}
	err := c.Do(context.Background(), r, nil)
	var ae *contactkit.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusTemporaryRedirect, ae.StatusCode)
	assert.Zero(t, reached.Load(), "the other host got nothing: no Referer, no headers, no body")

	// the same for a request sent through HTTPClient (the websocket dial)
	req, _ := http.NewRequestWithContext(c.CallContext(context.Background(), "GET /ws", true), http.MethodGet, home.URL+"/ws?auth_token=ws-secret", nil)
	resp, err := c.HTTPClient().Do(req)
	require.NoError(t, err)
	CloseBody(resp.Body)
	assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode)
	assert.Zero(t, reached.Load())
}

// Within the same host a redirect is followed, without a Referer.
func TestSameHostRedirectFollowedWithoutReferer(t *testing.T) {
	var referer, auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
			return
		}
		referer, auth = r.Header.Get("Referer"), r.Header.Get("Authorization")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	c := newAuthClient(t, srv.URL, bearerToken(t, "tok"))
	var q Query
	q.Add("sig", "signature-secret")
	var out okBody
	require.NoError(t, c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/old", Query: &q}, &out))
	assert.True(t, out.OK)
	assert.Empty(t, referer)
	assert.Equal(t, "Bearer tok", auth)
}

// Many calls at once, each with its own secret: every call's log lines
// and errors stay clean, however many secrets the client has seen since.
func TestPerCallSecretsSurviveConcurrency(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // keep many calls in flight together
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "bad "+r.URL.RawQuery)
	}))
	defer srv.Close()
	var logs testtool.SyncBuffer
	c := newClient(t, srv.URL, WithoutRetry(), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	const calls = 3 * maxRecent
	var wg sync.WaitGroup
	errs := make([]error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secret := fmt.Sprintf("per-call-secret-%04d", i)
			var q Query
			q.Add("sig", secret)
			errs[i] = c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/x", Query: &q, Secrets: []string{secret}}, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.Error(t, err)
		assert.NotContains(t, err.Error(), fmt.Sprintf("per-call-secret-%04d", i))
	}
	assert.NotContains(t, logs.String(), "per-call-secret-")
}

func TestDotSegmentsRefusedBeforeSending(t *testing.T) {
	srv, f := testServer(t, nil)
	c := newClient(t, srv.URL)
	for _, segs := range [][]string{{"agents", "..", "active-recording"}, {"agents", ".", "x"}, {"agents", "", "x"}, {".."}} {
		r := &Request{Method: http.MethodPost, Path: Path(segs...)}
		err := c.Do(context.Background(), r, nil)
		var ve *contactkit.ValidationError
		require.ErrorAs(t, err, &ve, "%q", segs)
		assert.Equal(t, "path", ve.Field)
	}
	assert.Empty(t, f.Requests(), "nothing was sent")
	require.NoError(t, c.Do(context.Background(), &Request{Method: http.MethodGet, Path: Path("a.b", "..c", "...")}, nil), "dots inside a segment are fine")
	require.NoError(t, c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/trailing/"}, nil))
}

func TestHTTPClientCarriesTheStack(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	var ops []string
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return rtFunc(func(r *http.Request) (*http.Response, error) {
			ops = append(ops, contactkit.OperationName(r.Context()))
			return next.RoundTrip(r)
		})
	}
	var logs bytes.Buffer
	c := newAuthClient(t, srv.URL, bearerToken(t, "stack-token"), WithUserAgent("app/1"), WithTransportWrapper(wrap),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := c.CallContext(context.Background(), "GET /ws", true)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/ws", nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", "other-lib/9")
	resp, err := c.HTTPClient().Do(req)
	require.NoError(t, err)
	CloseBody(resp.Body)
	assert.Equal(t, "app/1 contactkit/"+Version+" other-lib/9", got.Get("User-Agent"))
	assert.Equal(t, "Bearer stack-token", got.Get("Authorization"))
	assert.Equal(t, []string{"GET /ws"}, ops)
	assert.Contains(t, logs.String(), "operation=\"GET /ws\"")
	assert.NotContains(t, logs.String(), "stack-token")

	// without withAuth, nothing is added
	req, _ = http.NewRequestWithContext(c.CallContext(context.Background(), "GET /public", false), http.MethodGet, srv.URL, nil)
	resp, err = c.HTTPClient().Do(req)
	require.NoError(t, err)
	CloseBody(resp.Body)
	assert.Empty(t, got.Get("Authorization"))
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCookieJarClientSharesTheStack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("s"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	base := newClient(t, srv.URL)
	jar := &recordingJar{}
	chat := base.WithCookieJar(jar)
	require.NoError(t, chat.Do(context.Background(), get(), nil))
	assert.Equal(t, 1, jar.sets, "the per-session client keeps its cookies")
	require.NoError(t, base.Do(context.Background(), get(), nil))
	assert.Equal(t, 1, jar.sets, "the shared client has no jar")
	assert.Same(t, base.Redactor(), chat.Redactor())
}

type recordingJar struct {
	mu      sync.Mutex
	sets    int
	cookies []*http.Cookie
}

func (j *recordingJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.sets++
	j.cookies = append(j.cookies, cs...)
}

func (j *recordingJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]*http.Cookie(nil), j.cookies...)
}

func TestTwoThousandConcurrentRequests(t *testing.T) {
	srv, _ := testServer(t, nil)
	c := newClient(t, srv.URL)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 2000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out okBody
			if err := c.Do(context.Background(), get(), &out); err != nil || !out.OK {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, failed.Load())
	c.HTTPClient().CloseIdleConnections()
}

func TestWaitFollowsThePolicy(t *testing.T) {
	c := newClient(t, "http://h", WithRetry(RetryPolicy{MaxAttempts: 3, MinWait: 20 * time.Millisecond, MaxWait: 40 * time.Millisecond}))
	start := time.Now()
	require.NoError(t, c.Wait(context.Background(), 0))
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, c.Wait(ctx, 5), context.Canceled)
	assert.Equal(t, 3, c.Retry().MaxAttempts)
}

func TestCancelStopsAHangingCall(t *testing.T) {
	base := silent(t)
	c := newClient(t, base)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	start := time.Now()
	err := c.Do(ctx, get(), nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), time.Second)
	assert.False(t, strings.Contains(err.Error(), "REDACTED"), err.Error())
}

// A client without a base URL (the chat export's) sends the headers its
// caller set, Authorization included, to the URL it was given.
func TestAbsoluteClientKeepsCallersAuthorization(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.Header.Get("Authorization") }))
	defer srv.Close()
	c := NewAbsolute(settings(t))
	r := &Request{Method: http.MethodPost, URL: srv.URL + "/reports", Body: []byte("x"), Header: http.Header{"Authorization": {"Bearer from-template"}}}
	require.NoError(t, c.Do(context.Background(), r, nil))
	assert.Equal(t, "Bearer from-template", got)
}
