package thulium_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fast = thulium.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond})

func newFake(t *testing.T, opts ...thulium.Option) (*thuliumtest.Server, *thulium.Client) {
	t.Helper()
	srv := thuliumtest.NewServer()
	t.Cleanup(srv.Close)
	opts = append([]thulium.Option{thulium.WithLocation(time.UTC), fast}, opts...)
	c, err := thulium.NewClient(srv.URL(), srv.Credentials(), opts...)
	require.NoError(t, err)
	return srv, c
}

// A query of 250 rows: 125 days × 2 users.
func bigQuery() thulium.SummaryQuery {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return thulium.SummaryQuery{From: from, To: from.AddDate(0, 0, 124), AggregateBy: thulium.ByDay, UserLogins: []string{"jkowalski", "anowak"}}
}

func TestAllRowsWalkTheOffsets(t *testing.T) {
	srv, c := newFake(t)
	q := bigQuery()
	want := thuliumtest.Report(q.From, q.To, q.AggregateBy, q.UserLogins, nil, 20)
	require.Len(t, want, 250)
	var got []thulium.SummaryRow
	for r, err := range c.AllChatReportSummary(context.Background(), q) {
		require.NoError(t, err)
		got = append(got, r)
	}
	assert.Equal(t, want, got)
	reqs := srv.Requests()
	require.Len(t, reqs, 3, "pages of 100, 100 and a short 50")
	for i, r := range reqs {
		assert.Contains(t, r.Query, "limit=100", "page %d", i)
		assert.True(t, strings.HasSuffix(r.Query, "offset="+[]string{"0", "100", "200"}[i]), r.Query)
	}
}

func TestAllRowsSmallerPagesAndStart(t *testing.T) {
	srv, c := newFake(t)
	q := bigQuery()
	q.Limit, q.Offset = 40, 200
	n := 0
	for _, err := range c.AllChatReportSummary(context.Background(), q) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 50, n)
	assert.Len(t, srv.Requests(), 2)
}

func TestBreakStopsFetching(t *testing.T) {
	srv, c := newFake(t)
	n := 0
	for range c.AllChatReportSummary(context.Background(), bigQuery()) {
		if n++; n == 150 {
			break
		}
	}
	assert.Len(t, srv.Requests(), 2)
}

func TestCancelStopsPaging(t *testing.T) {
	srv, c := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	n := 0
	for _, err := range c.AllChatReportSummary(ctx, bigQuery()) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 100 {
			cancel()
		}
	}
	require.ErrorIs(t, last, context.Canceled)
	assert.Len(t, srv.Requests(), 1)
}

func TestOnePage(t *testing.T) {
	_, c := newFake(t)
	q := bigQuery()
	q.Limit, q.Offset = 10, 5
	rows, err := c.ChatReportSummary(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, rows, 10)
	all := thuliumtest.Report(q.From, q.To, q.AggregateBy, q.UserLogins, nil, 20)
	assert.Equal(t, all[5:15], rows)
}

func TestEveryAggregationDecodes(t *testing.T) {
	_, c := newFake(t)
	from := time.Date(2024, 3, 30, 22, 0, 0, 0, time.UTC)
	for _, agg := range []thulium.Aggregation{thulium.ByHourOfDay, thulium.ByMinute, thulium.ByHour, thulium.ByDay, thulium.ByWeek, thulium.ByMonth, thulium.ByYear} {
		q := thulium.SummaryQuery{From: from, To: from.Add(3 * time.Hour), AggregateBy: agg, SumUsers: true}
		rows, err := c.ChatReportSummary(context.Background(), q)
		require.NoError(t, err, agg)
		require.NotEmpty(t, rows, agg)
		for _, r := range rows {
			if agg == thulium.ByHourOfDay {
				_, err = r.HourOfDay()
			} else {
				_, err = r.SeriesStart(agg, time.UTC)
			}
			require.NoError(t, err, "%s %q", agg, r.Series)
			assert.Empty(t, r.UserName, "summed rows have no user")
			assert.LessOrEqual(t, r.Answered, r.Incoming)
		}
	}
}

func TestValidationBeforeAnyRequest(t *testing.T) {
	srv, c := newFake(t)
	base := bigQuery()
	cases := map[string]func(q *thulium.SummaryQuery){
		"date_from":          func(q *thulium.SummaryQuery) { q.From = time.Time{} },
		"date_to":            func(q *thulium.SummaryQuery) { q.To = time.Time{} },
		"date_from ":         func(q *thulium.SummaryQuery) { q.From = q.To.Add(time.Second) },
		"aggregate_by":       func(q *thulium.SummaryQuery) { q.AggregateBy = "quarter" },
		"limit":              func(q *thulium.SummaryQuery) { q.Limit = 101 },
		"limit ":             func(q *thulium.SummaryQuery) { q.Limit = -1 },
		"offset":             func(q *thulium.SummaryQuery) { q.Offset = -1 },
		"response_threshold": func(q *thulium.SummaryQuery) { q.ResponseThreshold = -time.Second },
		"response_threshold ": func(q *thulium.SummaryQuery) {
			q.ResponseThreshold = 1500 * time.Millisecond
		},
		"user_logins":    func(q *thulium.SummaryQuery) { q.UserLogins = []string{"a", " "} },
		"chat_queue_ids": func(q *thulium.SummaryQuery) { q.ChatQueueIDs = []int{0} },
		"date_to  ":      func(q *thulium.SummaryQuery) { q.DateOnly = true; q.To = q.To.Add(time.Hour) },
	}
	for name, mutate := range cases {
		q := base
		mutate(&q)
		_, err := c.ChatReportSummary(context.Background(), q)
		var ve *contactkit.ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, strings.TrimSpace(name), ve.Field)
		for _, err := range c.AllChatReportSummary(context.Background(), q) {
			require.ErrorAs(t, err, &ve, name)
		}
	}
	assert.Empty(t, srv.Requests())
}

func TestThuliumErrorsCarryRequestIDAndEveryMessage(t *testing.T) {
	srv, c := newFake(t)
	srv.Inject(1, thuliumtest.Fault{Status: 400, Body: `{"request_id": "53678450401cf", "errors": [{"message": "date_from is invalid", "code": 111111}, {"message": "limit is too high", "code": 111112}]}`})
	_, err := c.ChatReportSummary(context.Background(), bigQuery())
	require.ErrorIs(t, err, contactkit.ErrBadRequest)
	var apiErr *contactkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "53678450401cf", apiErr.RequestID)
	assert.Equal(t, []contactkit.ErrorDetail{{Code: 111111, Message: "date_from is invalid"}, {Code: 111112, Message: "limit is too high"}}, apiErr.Details)
	assert.Contains(t, err.Error(), "date_from is invalid; limit is too high (request id 53678450401cf)")
}

func TestFakeAnswersBadParametersLikeThulium(t *testing.T) {
	srv, _ := newFake(t)
	for _, query := range []string{"date_to=2024-01-01", "date_from=2024-01-01&date_to=2024-01-02&limit=101", "date_from=2024-01-01&date_to=2024-01-02&aggregate_by=quarter"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+"chats/reports/summary?"+query, nil)
		req.SetBasicAuth(srv.User, srv.Password)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 400, resp.StatusCode, query)
	}
}

func TestUnauthorizedInPolish(t *testing.T) {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	c, err := thulium.NewClient(srv.URL(), contactkit.BasicAuth{User: srv.User, Password: "wrong"}, thulium.WithLanguage(thulium.Polish), thulium.WithLocation(time.UTC))
	require.NoError(t, err)
	_, err = c.ChatReportSummary(context.Background(), bigQuery())
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)
	var apiErr *contactkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Brak autoryzacji", apiErr.Message)
	assert.NotEmpty(t, apiErr.RequestID)
	assert.NotContains(t, err.Error(), "wrong")
}

func TestRetriesAndFaults(t *testing.T) {
	srv, c := newFake(t)
	srv.Inject(1, thuliumtest.Fault{Status: 503, RetryAfter: "0"})
	srv.Inject(1, thuliumtest.Fault{Drop: true})
	rows, err := c.ChatReportSummary(context.Background(), bigQuery())
	require.NoError(t, err)
	assert.Len(t, rows, 100)
	assert.Len(t, srv.Requests(), 3)

	srv.Inject(1, thuliumtest.Fault{Truncate: true})
	_, err = c.ChatReportSummary(context.Background(), bigQuery())
	var de *contactkit.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), "GET chats/reports/summary")
}

func TestNewClientChecks(t *testing.T) {
	_, err := thulium.NewSystemClient("acme", contactkit.BasicAuth{})
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve, "credentials are required")
	assert.Equal(t, "credentials.User", ve.Field)
	for _, bad := range []string{"", "Acme", "acme.thulium.com", "-acme", "a/b"} {
		_, err = thulium.NewSystemClient(bad, contactkit.BasicAuth{User: "u", Password: "p"})
		require.ErrorAs(t, err, &ve, bad)
	}
	_, err = thulium.NewSystemClient("acme", contactkit.BasicAuth{User: "u", Password: "p"}, thulium.WithLanguage("de"))
	require.Error(t, err)
	_, err = thulium.NewSystemClient("acme", contactkit.BasicAuth{User: "", Password: "p"})
	require.ErrorAs(t, err, &ve)
	_, err = thulium.NewSystemClient("acme", contactkit.BasicAuth{User: "u", Password: "p"}, thulium.WithResponseTimeout(0))
	require.Error(t, err)
}
