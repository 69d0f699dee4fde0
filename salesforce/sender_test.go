package salesforce_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
)

var fastResend = salesforce.WithRetry(salesforce.RetryPolicy{MaxAttempts: 1000, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

func newEndpoint(t *testing.T) (*salesforcetest.Server, *salesforce.Sender) {
	t.Helper()
	srv := salesforcetest.NewServer()
	t.Cleanup(srv.Close)
	s, err := salesforce.NewSender(srv.URL(), salesforce.WithToken(srv.Token), fastResend)
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
	for status, sentinel := range map[int]error{409: salesforce.ErrConflict, 404: salesforce.ErrNotFound} {
		srv, s := newEndpoint(t)
		srv.Script(status)
		err := s.Send(context.Background(), oneRecord(t))
		require.ErrorIs(t, err, sentinel, "status %d", status)
		var apiErr *salesforce.APIError
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
	require.ErrorIs(t, s.Send(context.Background(), oneRecord(t)), salesforce.ErrServer)
	assert.Len(t, srv.Requests(), 1)

	bad, err := salesforce.NewSender(srv.URL(), salesforce.WithToken("wrong"), fastResend)
	require.NoError(t, err)
	require.ErrorIs(t, bad.Send(context.Background(), oneRecord(t)), salesforce.ErrUnauthorized)
}

func TestSenderStopsOnCancelMidBackoff(t *testing.T) {
	srv := salesforcetest.NewServer()
	defer srv.Close()
	s, err := salesforce.NewSender(srv.URL(), salesforce.WithToken(srv.Token)) // default: 1 s to 1 min, forever
	require.NoError(t, err)
	srv.Script(423, 423, 423, 423)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err = s.Send(ctx, oneRecord(t))
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), time.Second, "the backoff wait is cut short")
	assert.Len(t, srv.Deliveries(), 1)
}

func TestSenderValidatesFirst(t *testing.T) {
	srv, s := newEndpoint(t)
	r := oneRecord(t)
	r.CallerID = "+49 199"
	var ve *salesforce.ValidationError
	require.ErrorAs(t, s.Send(context.Background(), r), &ve)
	assert.Equal(t, "CallerID", ve.Field)
	require.ErrorAs(t, s.Send(context.Background(), nil), &ve)
	assert.Empty(t, srv.Requests())

	_, err := salesforce.NewSender(srv.URL())
	require.ErrorAs(t, err, &ve, "a token is required")
	_, err = salesforce.NewSender("not a url", salesforce.WithToken("t"))
	require.ErrorAs(t, err, &ve)
}

func TestSenderTokenFuncRefreshes(t *testing.T) {
	srv, _ := newEndpoint(t)
	calls := 0
	s, err := salesforce.NewSender(srv.URL(), fastResend, salesforce.WithTokenFunc(func(context.Context) (string, error) {
		calls++
		return srv.Token, nil
	}))
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, s.Send(context.Background(), oneRecord(t)))
	}
	assert.Equal(t, 3, calls, "one token per record")
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
		salesforce.WithToken("00D-access-token"), salesforce.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), oneRecord(t)))
	want, err := os.ReadFile("testdata/record_all_fields.json")
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(body))
	assert.Equal(t, "Bearer 00D-access-token", header.Get("Authorization"))
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, 1, mt.GetTotalCallCount())
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
