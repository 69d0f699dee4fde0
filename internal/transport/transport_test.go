package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/fakeserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fastRetry keeps retry tests quick while still exercising the waits.
var fastRetry = RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond}

// testServer serves {"ok":true} behind the shared fault knobs.
func testServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *fakeserver.Faults) {
	t.Helper()
	f := &fakeserver.Faults{}
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}
	srv := httptest.NewServer(f.Handler(h))
	t.Cleanup(srv.Close)
	return srv, f
}

func newClient(t *testing.T, base string, opts ...Option) *Client {
	t.Helper()
	return newAuthClient(t, base, NoAuth(), opts...)
}

func get() *Request { return &Request{Method: http.MethodGet, Path: "/thing", Idempotent: true} }
func post() *Request {
	return &Request{Method: http.MethodPost, Path: "/things", JSON: map[string]string{"a": "b"}}
}

type okBody struct {
	OK bool `json:"ok"`
}

func TestRetriesIdempotentOnRetryableStatuses(t *testing.T) {
	for _, status := range []int{429, 502, 503, 504} {
		srv, f := testServer(t, nil)
		f.FailNext(2, status)
		var out okBody
		require.NoError(t, newClient(t, srv.URL).Do(context.Background(), get(), &out), "status %d", status)
		assert.True(t, out.OK)
		assert.Len(t, f.Requests(), 3, "status %d: two failures then success", status)
	}
}

func TestDoesNotRetryOtherStatuses(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 423, 500, 509} {
		srv, f := testServer(t, nil)
		f.FailNext(1, status)
		err := newClient(t, srv.URL).Do(context.Background(), get(), nil)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, "status %d", status)
		assert.Equal(t, status, apiErr.StatusCode)
		assert.Len(t, f.Requests(), 1, "status %d must not be retried", status)
	}
}

func TestPostNotRepeatedOnceSent(t *testing.T) {
	cases := map[string]fakeserver.Fault{
		"503":              {Status: 503, RetryAfter: "0"},
		"429":              {Status: 429},
		"connection reset": {Drop: true},
	}
	for name, fault := range cases {
		t.Run(name, func(t *testing.T) {
			srv, f := testServer(t, nil)
			f.Inject(1, fault)
			err := newClient(t, srv.URL).Do(context.Background(), post(), nil)
			require.Error(t, err)
			assert.Len(t, f.Requests(), 1, "a create must not be sent twice")
		})
	}
}

func TestPostRetriedWhenNeverSent(t *testing.T) {
	// A closed port: the dial fails, so the request provably never left.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	var logs bytes.Buffer
	c := newClient(t, "http://"+addr, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	err = c.Do(context.Background(), post(), nil)
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 4, strings.Count(logs.String(), `"attempt"`), "dial failures are retried even for POST")
}

func TestDocumentedResendStatusRetriedForPost(t *testing.T) {
	srv, f := testServer(t, nil)
	f.FailNext(2, http.StatusLocked)
	r := post()
	r.RetryStatuses = []int{http.StatusLocked}
	require.NoError(t, newClient(t, srv.URL).Do(context.Background(), r, nil))
	assert.Len(t, f.Requests(), 3)
}

func TestConnectionResetRetriedForGet(t *testing.T) {
	srv, f := testServer(t, nil)
	f.Inject(2, fakeserver.Fault{Drop: true})
	var out okBody
	require.NoError(t, newClient(t, srv.URL).Do(context.Background(), get(), &out))
	assert.True(t, out.OK)
	assert.Len(t, f.Requests(), 3)
}

func TestRetryAfterHonouredButCapped(t *testing.T) {
	srv, f := testServer(t, nil)
	f.Inject(1, fakeserver.Fault{Status: 503, RetryAfter: "3600"})
	c := newClient(t, srv.URL, WithRetry(RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 50 * time.Millisecond}))
	start := time.Now()
	require.NoError(t, c.Do(context.Background(), get(), nil))
	assert.Less(t, time.Since(start), 2*time.Second, "an hour-long Retry-After is capped at MaxWait")
	assert.Len(t, f.Requests(), 2)
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	d, ok := RetryAfter("7", now)
	assert.True(t, ok)
	assert.Equal(t, 7*time.Second, d)
	d, ok = RetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Equal(t, 90*time.Second, d)
	d, ok = RetryAfter(now.Add(-time.Hour).Format(http.TimeFormat), now)
	assert.True(t, ok)
	assert.Zero(t, d)
	for _, bad := range []string{"", "soon", "-3"} {
		_, ok = RetryAfter(bad, now)
		assert.False(t, ok, bad)
	}
}

func TestBackoffGrowsWithJitterWithinCap(t *testing.T) {
	for attempt := range 40 {
		w := Backoff(100*time.Millisecond, 2*time.Second, attempt)
		assert.Positive(t, w)
		assert.LessOrEqual(t, w, 2*time.Second)
	}
	assert.GreaterOrEqual(t, backoff(100*time.Millisecond, 10*time.Second, 3, nil), 400*time.Millisecond)
}

func TestRetriesExhaustedReturnsLastAnswer(t *testing.T) {
	srv, f := testServer(t, nil)
	f.FailNext(10, 503)
	err := newClient(t, srv.URL).Do(context.Background(), get(), nil)
	require.ErrorIs(t, err, ErrServer)
	assert.Len(t, f.Requests(), 4)
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	srv, f := testServer(t, nil)
	f.Inject(1, fakeserver.Fault{Status: 503, RetryAfter: "30"})
	c := newClient(t, srv.URL, WithRetry(RetryPolicy{MaxAttempts: 3, MinWait: time.Second, MaxWait: time.Minute}))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := c.Do(ctx, get(), nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), time.Second, "cancel must cut the 30 s wait short")
	assert.Len(t, f.Requests(), 1)
}

func TestContextCancelledDuringSlowAnswer(t *testing.T) {
	srv, f := testServer(t, nil)
	f.SetDelay(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := newClient(t, srv.URL).Do(ctx, get(), nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestTruncatedJSON(t *testing.T) {
	srv, f := testServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"records":[{"id":1},{"id":2},{"id":3}],"count":3}`)
	})
	f.Inject(1, fakeserver.Fault{Truncate: true})
	var out map[string]any
	err := newClient(t, srv.URL, WithoutRetry()).Do(context.Background(), get(), &out)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "GET /thing", de.Endpoint)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestHTMLErrorPage(t *testing.T) {
	srv, f := testServer(t, nil)
	f.Inject(1, fakeserver.Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"})
	err := newClient(t, srv.URL, WithoutRetry()).Do(context.Background(), get(), nil)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.ErrorIs(t, err, ErrServer)
	assert.Contains(t, string(apiErr.Body), "502 Bad Gateway")
	assert.Empty(t, apiErr.Message)
}

func TestHTMLWithSuccessStatus(t *testing.T) {
	for _, ct := range []string{"text/html; charset=utf-8", "application/json"} {
		srv, _ := testServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", ct)
			_, _ = io.WriteString(w, "<!DOCTYPE html><html>login portal</html>")
		})
		var out okBody
		err := newClient(t, srv.URL).Do(context.Background(), get(), &out)
		require.ErrorIs(t, err, ErrNotJSON, ct)
		var de *DecodeError
		assert.ErrorAs(t, err, &de)
	}
}

func TestWrongTypeIsDecodeError(t *testing.T) {
	srv, _ := testServer(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"ok":"yes"}`)
	})
	var out okBody
	err := newClient(t, srv.URL).Do(context.Background(), get(), &out)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, de.Error(), "GET /thing")
}

func TestOversizedBody(t *testing.T) {
	srv, _ := testServer(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"pad":"`+strings.Repeat("x", 1<<20)+`"}`)
	})
	var out map[string]string
	err := newClient(t, srv.URL, WithMaxResponseBytes(64<<10)).Do(context.Background(), get(), &out)
	require.ErrorIs(t, err, ErrTooLarge)
	var de *DecodeError
	assert.ErrorAs(t, err, &de)
}

func TestEmptyBodyIsDecodeError(t *testing.T) {
	srv, _ := testServer(t, func(http.ResponseWriter, *http.Request) {})
	var out okBody
	err := newClient(t, srv.URL).Do(context.Background(), get(), &out)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestAPIErrorBodies(t *testing.T) {
	cases := []struct {
		name, body, wantMsg, wantID string
		header                      http.Header
		wantDetails                 int
	}{
		{"jtel", `{"status": 404, "error": "Dialler campaign not found"}`, "Dialler campaign not found", "", nil, 1},
		{"thulium", `{"request_id": "53678450401cf", "errors": [{"message": "Bad date_from", "code": 111111}, {"message": "limit over 100", "code": "2"}]}`,
			"Bad date_from; limit over 100", "53678450401cf", nil, 2},
		{"message", `{"message":"Access denied"}`, "Access denied", "r-9", http.Header{"X-Request-Id": {"r-9"}}, 1},
		{"empty", ``, "", "", nil, 0},
	}
	for _, tc := range cases {
		e := NewAPIError(nil, "GET", &url.URL{Scheme: "https", Host: "h", Path: "/x"}, 404, tc.header, []byte(tc.body))
		assert.Equal(t, tc.wantMsg, e.Message, tc.name)
		assert.Equal(t, tc.wantID, e.RequestID, tc.name)
		assert.Len(t, e.Details, tc.wantDetails, tc.name)
		assert.ErrorIs(t, e, ErrNotFound)
	}
	e := NewAPIError(nil, "GET", &url.URL{Path: "u"}, 400, nil, []byte(`{"errors":[{"message":"m","code":111111}]}`))
	assert.Equal(t, 111111, e.Details[0].Code)
	assert.Contains(t, e.Error(), "400 Bad Request: m")
}

func TestAPIErrorKeepsFirst4KiB(t *testing.T) {
	body := strings.Repeat("y", 10_000)
	e := NewAPIError(nil, "GET", &url.URL{Path: "u"}, 500, nil, []byte(body))
	assert.Len(t, e.Body, MaxErrorBody)
}

func TestSentinelsByStatus(t *testing.T) {
	sentinels := map[int]error{
		400: ErrBadRequest, 401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound,
		409: ErrConflict, 423: ErrLocked, 429: ErrRateLimited, 500: ErrServer, 503: ErrServer,
	}
	for status, want := range sentinels {
		e := &APIError{StatusCode: status}
		assert.ErrorIs(t, e, want, "status %d", status)
		for other, s := range sentinels {
			if !errors.Is(s, want) {
				assert.NotErrorIs(t, e, s, "status %d must not match the sentinel of %d", status, other)
			}
		}
	}
}

func TestEgressLimitIsDistinct(t *testing.T) {
	e := &APIError{StatusCode: 509}
	assert.ErrorIs(t, e, ErrEgressLimit)
	assert.ErrorIs(t, e, ErrServer)
	assert.NotErrorIs(t, &APIError{StatusCode: 503}, ErrEgressLimit)
}

func TestAcceptedStatusIsNotAnError(t *testing.T) {
	srv, f := testServer(t, nil)
	f.Inject(1, fakeserver.Fault{Status: 400, Body: `{"results":[]}`})
	r := get()
	r.Accept = []int{400}
	resp, err := newClient(t, srv.URL).Send(context.Background(), r)
	require.NoError(t, err)
	defer CloseBody(resp.Body)
	assert.Equal(t, 400, resp.StatusCode)
}

func TestHeadersAndAuth(t *testing.T) {
	var got http.Header
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		_, _ = io.WriteString(w, `{}`)
	})
	c := newAuthClient(t, srv.URL, bearerToken(t, "tok-1"), WithUserAgent("myapp/2.0"), WithHeader("Accept-Language", "pl"))
	require.NoError(t, c.Do(context.Background(), post(), nil))
	assert.Equal(t, "Bearer tok-1", got.Get("Authorization"))
	assert.Equal(t, "myapp/2.0 contactkit/"+Version, got.Get("User-Agent"))
	assert.Equal(t, "application/json", got.Get("Content-Type"))
	assert.Equal(t, "pl", got.Get("Accept-Language"))

	calls := 0
	c = newAuthClient(t, srv.URL, bearerFunc(t, func(context.Context) (string, error) {
		calls++
		return "fresh-" + string(rune('0'+calls)), nil
	}))
	require.NoError(t, c.Do(context.Background(), get(), nil))
	require.NoError(t, c.Do(context.Background(), get(), nil))
	assert.Equal(t, "Bearer fresh-2", got.Get("Authorization"), "the token function is asked for every call")

	c = newAuthClient(t, srv.URL, basicAuth(t, "api-user", "pa:ss"))
	require.NoError(t, c.Do(context.Background(), get(), nil))
	user, pass, ok := (&http.Request{Header: got}).BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, "api-user", user)
	assert.Equal(t, "pa:ss", pass)

	c = newAuthClient(t, srv.URL, bearerFunc(t, func(context.Context) (string, error) { return "", errors.New("vault down") }))
	assert.ErrorContains(t, c.Do(context.Background(), get(), nil), "vault down")
}

func TestPathEscapingAndQuery(t *testing.T) {
	assert.Equal(t, "/agents/Nate%20Thatcher%28203%29/active-recording", Path("agents", "Nate Thatcher(203)", "active-recording"))
	assert.Equal(t, "/recordings/a%2Fb/audio", Path("recordings", "a/b", "audio"))

	var q Query
	q.Add("date_from", "2021-12-01 00:00:00")
	q.AddArray("user_logins", []string{"a", "b&c"})
	q.AddArray("chat_queue_ids", []string{"3", "1"})
	q.AddCSV("id", []string{"M1", "M 2"})
	q.AddRepeated("id", []string{"x", "y"})
	q.AddInt("limit", 100)
	assert.Equal(t,
		"date_from=2021-12-01+00%3A00%3A00&user_logins[]=a&user_logins[]=b%26c&chat_queue_ids[]=3&chat_queue_ids[]=1&id=M1,M+2&id=x&id=y&limit=100",
		q.Encode())

	var gotPath, gotQuery string
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.EscapedPath(), r.URL.RawQuery
		_, _ = io.WriteString(w, `{}`)
	})
	c := newClient(t, srv.URL+"/rest/v1.0/1001/")
	r := &Request{Method: http.MethodGet, Path: Path("agents", "Nate Thatcher(203)"), Query: &q}
	require.NoError(t, c.Do(context.Background(), r, nil))
	assert.Equal(t, "/rest/v1.0/1001/agents/Nate%20Thatcher%28203%29", gotPath)
	assert.Equal(t, q.Encode(), gotQuery)
}

func TestBaseURLValidation(t *testing.T) {
	for _, bad := range []string{"", "ftp://h", "/relative", "http://", "https://h/x?token=1", "https://h/#f", "%zz"} {
		_, err := ParseBaseURL(bad, "http", "https")
		var ve *ValidationError
		assert.ErrorAs(t, err, &ve, bad)
	}
	u, err := ParseBaseURL(" https://h:8443/rest/v1.0/1001 ", "http", "https")
	require.NoError(t, err)
	assert.Equal(t, "/rest/v1.0/1001", u.Path)
}

func TestOptionsChecked(t *testing.T) {
	bad := []Option{
		WithHTTPClient(nil), WithLogger(nil), WithUserAgent(" "), WithUserAgent("a\nb"),
		WithRetry(RetryPolicy{}), WithRetry(RetryPolicy{MaxAttempts: 2, MinWait: time.Second, MaxWait: time.Millisecond}),
		WithMaxResponseBytes(0), WithHeader("Authorization", "x"), WithHeader("X", "a\r\nb"),
		WithLocation(nil), WithResponseTimeout(0), WithTransportWrapper(nil), nil,
	}
	for i, o := range bad {
		_, err := NewSettings([]Option{o}, same)
		assert.Error(t, err, "option %d", i)
	}
	s := settings(t, WithoutRetry())
	assert.Equal(t, 1, s.Retry.MaxAttempts)

	for _, src := range []contactkit.TokenSource{nil, contactkit.StaticToken(""), contactkit.StaticToken("a\nb"), contactkit.TokenFunc(nil)} {
		_, err := BearerAuth("token", src)
		var ve *ValidationError
		assert.ErrorAs(t, err, &ve, "%#v", src)
	}
	for _, b := range []contactkit.BasicAuth{{}, {User: "a:b"}, {User: "a", Password: "x\ny"}} {
		_, err := BasicAuth("credentials", b)
		var ve *ValidationError
		assert.ErrorAs(t, err, &ve, "%#v", b)
	}
}

func TestLoggerRecordsEachAttempt(t *testing.T) {
	srv, f := testServer(t, nil)
	f.FailNext(1, 503)
	var logs bytes.Buffer
	c := newClient(t, srv.URL, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, c.Do(context.Background(), get(), nil))
	out := logs.String()
	assert.Equal(t, 2, strings.Count(out, "contactkit: http attempt"))
	assert.Contains(t, out, "status=503")
	assert.Contains(t, out, "status=200")
	assert.Contains(t, out, "attempt=2")
	assert.Contains(t, out, "duration=")
}

func TestLimitedReader(t *testing.T) {
	lr := &LimitedReader{R: strings.NewReader("abcdef"), N: 6}
	b, err := io.ReadAll(lr)
	require.NoError(t, err)
	assert.Equal(t, "abcdef", string(b))
	lr = &LimitedReader{R: strings.NewReader("abcdefg"), N: 6}
	_, err = io.ReadAll(lr)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.True(t, lr.Exceeded)
}

func TestConcurrentUse(t *testing.T) {
	srv, _ := testServer(t, nil)
	c := newClient(t, srv.URL)
	var ok atomic.Int32
	done := make(chan struct{})
	for range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			var out okBody
			if c.Do(context.Background(), get(), &out) == nil && out.OK {
				ok.Add(1)
			}
		}()
	}
	for range 16 {
		<-done
	}
	assert.EqualValues(t, 16, ok.Load())
}

func TestAbsoluteURLClient(t *testing.T) {
	srv, f := testServer(t, nil)
	s, err := NewSettings([]Option{WithRetry(fastRetry)}, same)
	require.NoError(t, err)
	c := NewAbsolute(s)
	assert.Nil(t, c.BaseURL())
	var out okBody
	require.NoError(t, c.Do(context.Background(), &Request{Method: http.MethodPost, URL: srv.URL + "/hook?x=1", Body: []byte("a=b"), ContentType: "application/x-www-form-urlencoded"}, &out))
	assert.True(t, out.OK)
	reqs := f.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/hook", reqs[0].Path)
	assert.Equal(t, "x=1", reqs[0].Query)
	assert.Equal(t, "a=b", string(reqs[0].Body))
	assert.Equal(t, "application/x-www-form-urlencoded", reqs[0].Header.Get("Content-Type"))
}

func TestSleep(t *testing.T) {
	require.NoError(t, Sleep(context.Background(), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	require.ErrorIs(t, Sleep(ctx, time.Hour), context.Canceled)
	assert.Less(t, time.Since(start), time.Second)
}
