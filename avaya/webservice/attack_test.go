package webservice_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya/webservice"
	"github.com/contactkit/contactkit/internal/testtool"
)

// Hostile-network and confused-user cases found in review; each failed
// before its fix.

// signed is a GET with the right secret, for calling ServeHTTP directly.
func signed(target string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set(secretHeader, secret)
	return req
}

// A secret read from a file or a mounted Kubernetes secret ends in a
// newline, which no HTTP header value can carry: it used to make every
// request 401, for ever, without a word. Surrounding whitespace is now
// dropped (as HTTP drops it from the header), and a secret no header can
// carry is refused by New.
func TestSecretWithSurroundingWhitespaceMatchesHeader(t *testing.T) {
	c := newCollector()
	rc, err := webservice.New(secretHeader, " "+secret+"\n", c.fn, webservice.WithLogger(quiet),
		webservice.WithAdditionalSecret("\tnext-secret\r\n"))
	require.NoError(t, err)
	for _, s := range []string{secret, "next-secret"} {
		req := signed("/?callKey=x")
		req.Header.Set(secretHeader, s)
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		assert.Equal(t, http.StatusOK, w.Code, "%q: %s", s, w.Body)
	}
	require.NoError(t, rc.Shutdown(context.Background()))
	assert.Len(t, c.all(), 2)

	fn := func(context.Context, *webservice.Request) error { return nil }
	for _, bad := range []string{" \n", "line1\nline2", "nul\x00byte", "del\x7f"} {
		rc, err := webservice.New(secretHeader, bad, fn)
		var ve *contactkit.ValidationError
		require.ErrorAs(t, err, &ve, "%q", bad)
		assert.Equal(t, "secret", ve.Field)
		assert.Nil(t, rc)
		rc, err = webservice.New(secretHeader, secret, fn, webservice.WithAdditionalSecret(bad))
		require.ErrorAs(t, err, &ve, "%q", bad)
		assert.Nil(t, rc)
	}
}

// Anyone who can reach the receiver can send requests without the secret
// (or with a method it refuses before it looks at the secret): each used
// to cost a log line, so a flood of them filled the log. They are now
// logged at most once a second with their running total, as 503s are.
func TestUnauthenticatedFloodLogsAtMostALineASecond(t *testing.T) {
	var logged testtool.SyncBuffer
	rc, err := webservice.New(secretHeader, secret, func(context.Context, *webservice.Request) error { return nil },
		webservice.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	require.NoError(t, err)
	t0 := time.Now()
	const n = 1000
	for i := range n {
		method := http.MethodGet
		if i%2 == 1 {
			method = http.MethodDelete
		}
		req := httptest.NewRequest(method, "/?callKey=x", nil)
		req.Header.Set(secretHeader, "guess-"+string(rune('a'+i%26)))
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		require.Equal(t, http.StatusUnauthorized, w.Code, "no secret, no further: not even a 405")
	}
	elapsed := time.Since(t0)
	require.NoError(t, rc.Shutdown(context.Background()))
	lines := strings.Count(logged.String(), "\n")
	assert.Positive(t, lines, "the first refusal is logged")
	assert.LessOrEqual(t, lines, int(elapsed/time.Second)+1, "at most a line a second:\n%s", logged.String())
	assert.Contains(t, logged.String(), "answered_401_total=1")
	assert.Equal(t, uint64(n), rc.Stats().Unauthorized)
	assert.Zero(t, rc.Stats().Rejected)
}

// When Shutdown's deadline ended a retry wait, the request was counted
// failed, but the last word in the log was "trying again": the one record
// of a lost call said it would be tried. It is now logged as failed.
func TestRetryWaitCutByShutdownIsLoggedAsFailed(t *testing.T) {
	var logged testtool.SyncBuffer
	tried := make(chan struct{}, 1)
	rc, err := webservice.New(secretHeader, secret, func(context.Context, *webservice.Request) error {
		select {
		case tried <- struct{}{}:
		default:
		}
		return context.DeadlineExceeded // the CRM timed out: worth another try
	}, webservice.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))),
		webservice.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Hour, MaxWait: time.Hour}))
	require.NoError(t, err)
	rc.ServeHTTP(httptest.NewRecorder(), signed("/?callKey=x"))
	<-tried
	require.Eventually(t, func() bool { return strings.Contains(logged.String(), "trying again") }, 5*time.Second, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, rc.Shutdown(ctx), webservice.ErrShutdown)
	require.Eventually(t, func() bool { return rc.Stats().Failed == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, rc.Shutdown(context.Background()))
	out := logged.String()
	assert.Contains(t, out, "level=ERROR")
	assert.Regexp(t, `level=ERROR msg="[^"]*function failed[^"]*" id=1`, out)
}

// A Func that ends its goroutine without returning — runtime.Goexit, as
// t.FailNow and require.* do inside a user's test — used to take a worker
// with it for good: the pool shrank to nothing, accepted requests stayed
// queued unhandled, every later request was answered 503, and Shutdown
// still reported success. The worker is now replaced and the call
// counted.
func TestFuncCallingGoexitDoesNotKillTheWorkerPool(t *testing.T) {
	var calls atomic.Int32
	c := newCollector()
	rc, err := webservice.New(secretHeader, secret, func(ctx context.Context, r *webservice.Request) error {
		if calls.Add(1) <= 3 {
			runtime.Goexit()
		}
		return c.fn(ctx, r)
	}, webservice.WithLogger(quiet), webservice.WithWorkers(2), webservice.WithQueue(8))
	require.NoError(t, err)
	for range 8 {
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, signed("/?callKey=x"))
		require.Equal(t, http.StatusOK, w.Code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, rc.Shutdown(ctx))
	st := rc.Stats()
	assert.Len(t, c.all(), 5, "every request after the three Goexits was handled")
	assert.Equal(t, uint64(5), st.Handled)
	assert.Equal(t, uint64(3), st.Panicked, "a Goexit counts as a Func that did not return")
	assert.Zero(t, st.Queued)
}

// A POST whose parameters are all in the URL may come with a JSON
// Content-Type and no body (the profile's client sets the header
// whatever the body): it was answered 400 "not one object", though an
// empty body under any other type is no parameters.
func TestPOSTEmptyJSONBodyIsNoParameters(t *testing.T) {
	c := newCollector()
	rc, err := webservice.New(secretHeader, secret, c.fn, webservice.WithLogger(quiet))
	require.NoError(t, err)
	for _, body := range []string{"", " \r\n"} {
		req := httptest.NewRequest(http.MethodPost, "/?callKey=x", strings.NewReader(body))
		req.Header.Set(secretHeader, secret)
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code, "%q: %s", body, w.Body)
		assert.Equal(t, "x", c.next(t).Get("callKey"))
	}
	require.NoError(t, rc.Shutdown(context.Background()))
}

// The URL cap read only Request.RequestURI, which is empty in a request
// built by an adapter (a serverless gateway, a test) rather than read
// off the wire: a query of 100,000 parameters was parsed whole before
// being refused. The cap now applies to the URL itself.
func TestURLCapHoldsWithoutRequestURI(t *testing.T) {
	var calls atomic.Int32
	rc, err := webservice.New(secretHeader, secret, func(context.Context, *webservice.Request) error { calls.Add(1); return nil },
		webservice.WithLogger(quiet))
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, "http://receiver/?"+strings.Repeat("a=1&", 100_000), nil)
	require.NoError(t, err)
	require.Empty(t, req.RequestURI)
	req.Header.Set(secretHeader, secret)
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, req)
	assert.Equal(t, http.StatusRequestURITooLong, w.Code, w.Body.String())
	require.NoError(t, rc.Shutdown(context.Background()))
	assert.Zero(t, calls.Load())
}

// 100,000 parameters in a form body the user allowed to be large: net/url
// stops at its own cap, and its error used to be passed on as "malformed
// form body: not name=value pairs joined by &", which sent the admin
// looking for a syntax error. It is now the parameter cap's answer.
func TestHundredThousandParamsSaysTooMany(t *testing.T) {
	var calls atomic.Int32
	_, srv := start(t, func(context.Context, *webservice.Request) error { calls.Add(1); return nil },
		webservice.WithMaxBody(1<<20))
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(strings.Repeat("a=1&", 100_000)))
	require.NoError(t, err)
	req.Header.Set(secretHeader, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body := do(t, srv, req)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "more parameter values than the 256 accepted")
	assert.Zero(t, calls.Load())
}

// An RFC 1123 time with a zone abbreviation other than GMT was read with
// time.Parse, which gives an abbreviation it does not know in the
// process's own zone a zero offset: "09:49:05 MDT" became 09:49:05 UTC,
// six hours off, without an error, and the answer changed with the TZ of
// the machine. An abbreviation is now read in the Call Reporting server's
// zone (WithLocation) and refused when that zone does not use it.
func TestParseTimeZoneAbbreviation(t *testing.T) {
	denver, err := time.LoadLocation("America/Denver")
	require.NoError(t, err)
	want := time.Date(2019, 9, 17, 15, 49, 5, 0, time.UTC)
	for _, tc := range []struct {
		in  string
		loc *time.Location
	}{
		{"Tue, 17 Sep 2019 15:49:05 GMT", nil},
		{"Tue, 17 Sep 2019 15:49:05 UTC", denver},
		{"Tue, 17 Sep 2019 09:49:05 MDT", denver},
		{"Tue, 17 Sep 2019 09:49:05 -0600", nil},
	} {
		got, err := webservice.ParseTime(tc.in, tc.loc)
		require.NoError(t, err, tc.in)
		assert.True(t, got.Equal(want), "%s: got %v", tc.in, got.UTC())
	}
	for _, tc := range []struct {
		in  string
		loc *time.Location
	}{
		{"Tue, 17 Sep 2019 09:49:05 MDT", nil},    // UTC server: MDT is not its zone
		{"Tue, 17 Sep 2019 09:49:05 EST", denver}, // not Denver's abbreviation
		{"Tue, 17 Sep 2019 09:49:05 XYZ", denver},
	} {
		got, err := webservice.ParseTime(tc.in, tc.loc)
		assert.Error(t, err, "%s read as %v", tc.in, got.UTC())
	}
}
