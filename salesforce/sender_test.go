package salesforce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactkit/contactkit/internal/testtool"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
)

var fastResend = salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: 1000, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

func newEndpoint(t *testing.T) (*salesforcetest.Server, *salesforce.Sender) {
	t.Helper()
	srv := salesforcetest.NewServer()
	t.Cleanup(srv.Close)
	s, err := salesforce.NewSender(srv.URL(), contactkit.StaticToken(srv.Token), fastResend)
	require.NoError(t, err)
	return srv, s
}

func oneRecord(t *testing.T) *salesforce.Record {
	t.Helper()
	b, err := os.ReadFile("testdata/record_all_fields.json")
	require.NoError(t, err)
	var r salesforce.Record
	require.NoError(t, json.Unmarshal(b, &r))
	return &r
}

func TestSenderResendsLockedUntilWritten(t *testing.T) {
	srv, s := newEndpoint(t)
	srv.Script(423, 423, 200)
	require.NoError(t, s.Send(context.Background(), oneRecord(t)))
	d := srv.Deliveries()
	require.Len(t, d, 3)
	assert.Equal(t, []int{423, 423, 200}, []int{d[0].Status, d[1].Status, d[2].Status})
	assert.Len(t, srv.Written(), 1)
	assert.Equal(t, *oneRecord(t), d[2].Record, "the record arrives unchanged")
}

func TestSenderNeverResendsConflictOrNotFound(t *testing.T) {
	for status, sentinel := range map[int]error{409: contactkit.ErrConflict, 404: contactkit.ErrNotFound} {
		srv, s := newEndpoint(t)
		srv.Script(status)
		err := s.Send(context.Background(), oneRecord(t))
		require.ErrorIs(t, err, sentinel, "status %d", status)
		var apiErr *contactkit.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, status, apiErr.StatusCode)
		assert.Len(t, srv.Requests(), 1, "status %d is final", status)
	}
}

func TestSenderResendsTransientFailures(t *testing.T) {
	for name, fault := range map[string]salesforcetest.Fault{
		"502": {Status: 502}, "503": {Status: 503, RetryAfter: "0"}, "504": {Status: 504}, "dropped connection": {Drop: true},
	} {
		srv, s := newEndpoint(t)
		srv.Inject(2, fault)
		require.NoError(t, s.Send(context.Background(), oneRecord(t)), name)
		assert.Len(t, srv.Requests(), 3, name)
		assert.Len(t, srv.Written(), 1, name)
	}
}

func TestSenderDoesNotResendOtherErrors(t *testing.T) {
	srv, s := newEndpoint(t)
	srv.FailNext(1, 500)
	require.ErrorIs(t, s.Send(context.Background(), oneRecord(t)), contactkit.ErrServer)
	assert.Len(t, srv.Requests(), 1)

	bad, err := salesforce.NewSender(srv.URL(), contactkit.StaticToken("wrong"), fastResend)
	require.NoError(t, err)
	require.ErrorIs(t, bad.Send(context.Background(), oneRecord(t)), contactkit.ErrUnauthorized)
}

// A context cancelled while the Sender waits to resend ends Send at once
// and leaves no goroutine behind. The cancel comes 50 ms after the first
// 423 is back (the Sender is then in its minute-long wait), not at a fixed
// time from the start, which a slow machine may reach before the first
// attempt is answered.
func TestSenderStopsOnCancelMidBackoff(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	srv := salesforcetest.NewServer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled atomic.Int64
	var once sync.Once
	answered := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(r)
			once.Do(func() {
				time.AfterFunc(50*time.Millisecond, func() { cancelled.Store(time.Now().UnixNano()); cancel() })
			})
			return resp, err
		})
	}
	s, err := salesforce.NewSender(srv.URL(), contactkit.StaticToken(srv.Token), salesforce.WithTransportWrapper(answered),
		salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: 100, MinWait: time.Minute, MaxWait: time.Hour}))
	require.NoError(t, err)
	srv.Script(423, 423, 423, 423)
	err = s.Send(ctx, oneRecord(t))
	returned := time.Now().UnixNano()
	require.ErrorIs(t, err, context.Canceled)
	// Far below the minute's wait; the room is for a starved CI machine.
	assert.Less(t, time.Duration(returned-cancelled.Load()), 2*time.Second, "the minute-long wait is cut short")
	assert.Len(t, srv.Deliveries(), 1)
	srv.Close()
	goleak.VerifyNone(t, ignore)
}

func TestSenderValidatesFirst(t *testing.T) {
	srv, s := newEndpoint(t)
	r := oneRecord(t)
	r.CallerID = "+49 199"
	var ve *contactkit.ValidationError
	require.ErrorAs(t, s.Send(context.Background(), r), &ve)
	assert.Equal(t, "CallerID", ve.Field)
	require.ErrorAs(t, s.Send(context.Background(), nil), &ve)
	assert.Empty(t, srv.Requests())

	for _, tok := range []contactkit.TokenSource{nil, contactkit.StaticToken(""), contactkit.TokenFunc(nil)} {
		_, err := salesforce.NewSender(srv.URL(), tok)
		require.ErrorAs(t, err, &ve, "a token is required")
		assert.Equal(t, "token", ve.Field)
	}
	_, err := salesforce.NewSender("not a url", contactkit.StaticToken("t"))
	require.ErrorAs(t, err, &ve)
	_, err = salesforce.NewSender(srv.URL(), contactkit.StaticToken("t"), salesforce.WithRetry(contactkit.RetryPolicy{}))
	require.Error(t, err, "a bad option is an error from NewSender")
}

// Issue 11 (auth per attempt): the token rotates between 423 answers and
// every attempt carries the token current at that moment.
func TestSenderTokenPerAttempt(t *testing.T) {
	var issued atomic.Int32
	srv := salesforcetest.NewServer(salesforcetest.WithAuth(func(r *http.Request) error {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			return errors.New("no token")
		}
		return nil
	}))
	defer srv.Close()
	var ops []string
	var mu sync.Mutex
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			ops = append(ops, contactkit.OperationName(r.Context()))
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}
	s, err := salesforce.NewSender(srv.URL(), contactkit.TokenFunc(func(context.Context) (string, error) {
		return fmt.Sprintf("tok-%d", issued.Add(1)), nil // rotated on every call
	}), fastResend, salesforce.WithTransportWrapper(wrap))
	require.NoError(t, err)
	srv.Script(423, 423, 200)
	require.NoError(t, s.Send(context.Background(), oneRecord(t)))

	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Header.Get("Authorization"))
	}
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-2", "Bearer tok-3"}, got, "a fresh token per attempt")
	assert.Equal(t, []string{"POST writeCallStatistics", "POST writeCallStatistics", "POST writeCallStatistics"}, ops,
		"one wrapped request per attempt, named by operation")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Issue 11 (floor between resends): a receiver answering 423 with a
// Retry-After of 0, a past date, a negative number or garbage must not
// make the Sender post in a tight loop (it made ~22,000 POSTs per second):
// every resend waits at least MinWait. The test bounds the attempts, not
// the wall clock, so a starved machine makes it slower, never flaky: each
// gap between two arrivals is a MinWait the Sender slept plus whatever the
// scheduler added, and a tight loop shows as gaps of microseconds.
func TestSenderRetryAfterFloor(t *testing.T) {
	const minWait, attempts = 20 * time.Millisecond, 4
	const slack = time.Millisecond // timer and clock granularity
	for _, retryAfter := range []string{"0", "Mon, 02 Jan 2006 15:04:05 GMT", "-5", "soon", ""} {
		t.Run("Retry-After "+retryAfter, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var arrivals []time.Time
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				arrivals = append(arrivals, time.Now())
				mu.Unlock()
				if retryAfter != "" {
					w.Header().Set("Retry-After", retryAfter)
				}
				w.WriteHeader(http.StatusLocked)
			}))
			defer srv.Close()
			s, err := salesforce.NewSender(srv.URL, contactkit.StaticToken("t"),
				salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: attempts, MinWait: minWait, MaxWait: 2 * minWait}))
			require.NoError(t, err)
			// Only a guard against a hang: the attempts end Send.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err = s.Send(ctx, oneRecord(t))
			require.ErrorIs(t, err, contactkit.ErrLocked, "Retry-After %q: the last 423 after MaxAttempts", retryAfter)

			mu.Lock()
			defer mu.Unlock()
			require.Len(t, arrivals, attempts, "Retry-After %q: it resends up to MaxAttempts", retryAfter)
			for i := 1; i < len(arrivals); i++ {
				assert.GreaterOrEqual(t, arrivals[i].Sub(arrivals[i-1]), minWait-slack,
					"Retry-After %q: gap before attempt %d", retryAfter, i+1)
			}
		})
	}
}

// silentServer accepts connections, reads what comes and never answers.
func silentServer(t *testing.T) (url string, accepted *atomic.Int32) {
	base, accepted := testtool.SilentServerCounting(t)
	return base + "/writeCallStatistics", accepted
}

// Issue 11 (default timeouts): a receiver that accepts and never answers
// ends Send with contactkit.ErrTimeout once the retry policy's attempts
// are used up; each timed-out attempt is resent (jtel's "until written").
func TestSenderSilentReceiverTimesOut(t *testing.T) {
	url, accepted := silentServer(t)
	s, err := salesforce.NewSender(url, contactkit.StaticToken("t"), salesforce.WithResponseTimeout(100*time.Millisecond),
		salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
	require.NoError(t, err)
	start := time.Now()
	err = s.Send(context.Background(), oneRecord(t))
	elapsed := time.Since(start)
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	assert.EqualValues(t, 3, accepted.Load(), "a timed-out record is resent within the policy")
	assert.GreaterOrEqual(t, elapsed, 300*time.Millisecond)
	assert.Less(t, elapsed, 2*time.Second)

	// With the default policy (resend until written) the caller's deadline
	// is what ends it.
	forever, err := salesforce.NewSender(url, contactkit.StaticToken("t"), salesforce.WithResponseTimeout(100*time.Millisecond))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, forever.Send(ctx, oneRecord(t)), context.DeadlineExceeded)
}

// Exact wire check: method, headers and the JSON body with every field.
func TestSenderWire(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var body []byte
	var header http.Header
	mt.RegisterResponder(http.MethodPost, "https://acme.my.salesforce.com/services/apexrest/jtel/writeCallStatistics",
		func(r *http.Request) (*http.Response, error) {
			body, _ = io.ReadAll(r.Body)
			header = r.Header.Clone()
			return httpmock.NewStringResponse(200, ``), nil
		})
	s, err := salesforce.NewSender("https://acme.my.salesforce.com/services/apexrest/jtel/writeCallStatistics",
		contactkit.StaticToken("00D-access-token"), salesforce.WithHTTPClient(&http.Client{Transport: mt}),
		salesforce.WithUserAgent("crm-sync/1.2"))
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), oneRecord(t)))
	want, err := os.ReadFile("testdata/record_all_fields.json")
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(body))
	assert.Equal(t, "Bearer 00D-access-token", header.Get("Authorization"))
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(header.Get("User-Agent"), "crm-sync/1.2 contactkit/"))
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

// A record received with fields jtel added later is forwarded unchanged.
func TestSenderForwardsUnknownFields(t *testing.T) {
	srv, s := newEndpoint(t)
	r := oneRecord(t)
	require.NoError(t, json.Unmarshal([]byte(`{"nQueueSeconds":12.50,"dtCallEnd":"2024-05-06T09:33:36+02:00"}`), r))
	require.NoError(t, s.Send(context.Background(), r))
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Contains(t, string(reqs[0].Body), `"nQueueSeconds":12.50`)
	assert.Contains(t, string(reqs[0].Body), `"dtCallEnd":"2024-05-06T09:33:36+02:00"`)
	w := srv.Written()
	require.Len(t, w, 1)
	assert.JSONEq(t, `12.50`, string(w[0].Unknown["nQueueSeconds"]))
}

func TestGroupCallsOfTheDocumentedCall(t *testing.T) {
	start := time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)
	records := salesforcetest.DocumentedCall(4711, start)
	other := salesforcetest.DocumentedCall(4712, start.Add(time.Hour))[:2]
	mixed := []salesforce.Record{records[0], other[0], records[1], records[2], other[1], records[3], records[4]}

	calls := salesforce.GroupCalls(mixed)
	require.Len(t, calls, 2)
	c := calls[0]
	assert.EqualValues(t, 4711, c.StatisticsPartAID)
	assert.Equal(t, 5, c.Records)
	assert.Equal(t, []string{"agent.w", "agent.x", "agent.y", "agent.z"}, c.AgentsTried)
	assert.Equal(t, "agent.y", c.AnsweredBy)
	assert.Equal(t, []string{"ACD Group 1", "ACD Group 2"}, c.Groups)
	assert.Equal(t, []string{"AAA", "BBB", "CCC"}, c.TransactionCodes)
	assert.Equal(t, start.Add(36*time.Second), c.Connected)
	assert.Equal(t, start, c.Start)
	assert.Equal(t, start.Add(400*time.Second), c.End)
	assert.Equal(t, 6*time.Minute, c.TalkDuration, "Y's 180 s and Z's 180 s; the CCC line repeats Z's leg")
	assert.Equal(t, "49199123456789", c.CallerID)

	unanswered := calls[1]
	assert.Empty(t, unanswered.AnsweredBy)
	assert.True(t, unanswered.Connected.IsZero())
	assert.Zero(t, unanswered.TalkDuration)
	assert.Empty(t, unanswered.TransactionCodes)
}
