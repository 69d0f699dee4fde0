package thulium_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/testtool"
	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
)

// collectAll walks the iterator, but gives up after limit rows so that a
// server that makes it endless fails the test instead of hanging it.
func collectAll(t *testing.T, seq func(func(thulium.SummaryRow, error) bool), limit int) ([]thulium.SummaryRow, error) {
	t.Helper()
	var rows []thulium.SummaryRow
	for r, err := range seq {
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
		if len(rows) > limit {
			t.Fatalf("more than %d rows: the iteration does not end", limit)
		}
	}
	return rows, nil
}

// Issue 12: a server that ignores offset answered the same full page for
// ever (4,186 pages, 418,500 duplicate rows in 3 s).
func TestServerIgnoringOffsetStopsWithRepeatedPageError(t *testing.T) {
	srv, c := newFake(t)
	srv.IgnoreOffset(true)
	rows, err := collectAll(t, c.AllChatReportSummary(context.Background(), bigQuery()), 1000)
	var rpe *thulium.RepeatedPageError
	require.ErrorAs(t, err, &rpe)
	require.ErrorIs(t, err, thulium.ErrRepeatedPage)
	assert.Equal(t, thulium.RepeatedPageError{Offset: 100, PreviousOffset: 0, Rows: 100}, *rpe)
	assert.Contains(t, err.Error(), "ignore offset")
	assert.Len(t, rows, 100, "the first page once, nothing of the repeat")
	assert.Len(t, srv.Requests(), 2)
}

// A query of 50 rows: 25 days × 2 users.
func smallQuery() thulium.SummaryQuery {
	q := bigQuery()
	q.To = q.From.AddDate(0, 0, 24)
	return q
}

func TestServerIgnoringOffsetAndLimit(t *testing.T) {
	srv, c := newFake(t)
	srv.IgnoreOffset(true)
	srv.OverfillPages(1000)
	q := smallQuery()
	q.Limit = 10
	rows, err := collectAll(t, c.AllChatReportSummary(context.Background(), q), 1000)
	require.ErrorIs(t, err, thulium.ErrRepeatedPage)
	assert.Len(t, rows, 50, "the whole report came in the first answer, once")
	assert.Len(t, srv.Requests(), 2)
}

func TestShortPageEndsTheIteration(t *testing.T) {
	srv, c := newFake(t)
	q := smallQuery() // 50 rows
	q.Limit = 8
	rows, err := collectAll(t, c.AllChatReportSummary(context.Background(), q), 1000)
	require.NoError(t, err)
	assert.Len(t, rows, 50)
	reqs := srv.Requests()
	require.Len(t, reqs, 7, "six pages of 8, then a short one of 2; no request after it")
	assert.True(t, strings.HasSuffix(reqs[6].Query, "limit=8&offset=48"), reqs[6].Query)
}

func TestServerSendingMoreRowsThanLimit(t *testing.T) {
	srv, c := newFake(t)
	srv.OverfillPages(3)
	q := smallQuery()
	q.Limit = 10
	rows, err := collectAll(t, c.AllChatReportSummary(context.Background(), q), 1000)
	require.NoError(t, err)
	assert.Equal(t, thuliumtest.Report(q.From, q.To, q.AggregateBy, q.UserLogins, nil, 20), rows, "every row once, in order")
	var offsets []string
	for _, r := range srv.Requests() {
		offsets = append(offsets, r.Query[strings.LastIndex(r.Query, "offset="):])
	}
	assert.Equal(t, []string{"offset=0", "offset=13", "offset=26", "offset=39", "offset=50"}, offsets,
		"each page asked where the rows so far end; 39 brings the last 11, 50 none")
}

// Every point of the iteration where the caller may cancel: before the
// first row, inside a page, on a page boundary, during a slow fetch.
// goleak in TestMain checks that nothing is left running.
func TestCancelAtEveryStep(t *testing.T) {
	srv, c := newFake(t)
	q := smallQuery()
	q.Limit = 10
	for _, at := range []int{0, 1, 5, 9, 10, 11, 19, 20, 49} {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		var last error
		if at == 0 {
			cancel()
		}
		for _, err := range c.AllChatReportSummary(ctx, q) {
			if err != nil {
				last = err
				break
			}
			if n++; n == at {
				cancel()
			}
		}
		cancel()
		require.ErrorIs(t, last, context.Canceled, "cancelled after %d rows", at)
		assert.Equal(t, at, n, "no row after the cancel")
	}
	srv.ResetRequests()
	srv.SetDelay(time.Minute)
	defer srv.SetDelay(0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := collectAll(t, c.AllChatReportSummary(ctx, bigQuery()), 1000)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string { return testtool.SilentServer(t) + "/api/" }

func TestSilentServerTimesOut(t *testing.T) {
	base := silentServer(t)
	c, err := thulium.NewClient(base, contactkit.BasicAuth{User: "u", Password: "p"}, thulium.WithLocation(time.UTC),
		thulium.WithResponseTimeout(100*time.Millisecond), thulium.WithoutRetry())
	require.NoError(t, err)
	start := time.Now()
	_, err = c.ChatReportSummary(context.Background(), bigQuery())
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	_, err = collectAll(t, c.AllChatReportSummary(context.Background(), bigQuery()), 1000)
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestBodyCutShortWithoutContentLength(t *testing.T) {
	srv, c := newFake(t)
	srv.Inject(1, thuliumtest.Fault{Cut: true})
	_, err := c.ChatReportSummary(context.Background(), smallQuery())
	var de *contactkit.DecodeError
	require.ErrorAs(t, err, &de)

	srv.Inject(1, thuliumtest.Fault{}) // page one whole
	srv.Inject(1, thuliumtest.Fault{Cut: true})
	q := smallQuery()
	q.Limit = 10
	rows, err := collectAll(t, c.AllChatReportSummary(context.Background(), q), 1000)
	require.ErrorAs(t, err, &de)
	assert.Len(t, rows, 10, "the rows of the whole page, then the error")
}

// Issue 12, forward compatibility: fields a newer Thulium adds survive a
// decode and re-encode, from a single page and through the paging.
const rowWithExtras = `{"series":"2021-12","user_name":"John Doe","incoming":1,"incoming_to_agent":1,"incoming_including_empty":1,` +
	`"abandoned":0,"answered":1,"incoming_to_bot":0,"transferred_by_bot":0,"finished_by_bot":0,"service_level_percent":100,` +
	`"chat_time":{"min":"00:00:48","max":"00:00:48","sum":"00:00:48","avg":"00:00:48","median":"00:00:48"},` +
	`"wait_time":{"min":"00:00:00","max":"00:00:00","sum":"00:00:00","avg":"00:00:00"},"sla_percent":100,` +
	`"rating":{"rate":{"sad":0,"neutral":0,"happy":0,"angry":2},"satisfaction_percent":0,"rated_percent":0,"nps":40},` +
	`"missed_by_bot":7,"queue":{"id":3,"name":"Sales"}}`

func TestUnknownFieldsSurvive(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, "https://acme.thulium.com/api/chats/reports/summary", func(r *http.Request) (*http.Response, error) {
		body := "[" + rowWithExtras + "]"
		if !strings.HasSuffix(r.URL.RawQuery, "offset=0") && strings.Contains(r.URL.RawQuery, "offset=") {
			body = "[]"
		}
		resp := httpmock.NewStringResponse(200, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	c, err := thulium.NewSystemClient("acme", contactkit.BasicAuth{User: "u", Password: "p"}, thulium.WithHTTPClient(&http.Client{Transport: mt}), thulium.WithLocation(time.UTC))
	require.NoError(t, err)
	q := bigQuery()
	rows, err := c.ChatReportSummary(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	check := func(r thulium.SummaryRow) {
		t.Helper()
		assert.JSONEq(t, `7`, string(r.Unknown["missed_by_bot"]))
		assert.JSONEq(t, `"00:00:48"`, string(r.ChatTime.Unknown["median"]))
		assert.JSONEq(t, `2`, string(r.Rating.Rate.Unknown["angry"]))
		assert.JSONEq(t, `40`, string(r.Rating.Unknown["nps"]))
		out, err := json.Marshal(r)
		require.NoError(t, err)
		assert.JSONEq(t, rowWithExtras, string(out))
	}
	check(rows[0])
	q.Limit = 1
	all, err := collectAll(t, c.AllChatReportSummary(context.Background(), q), 10)
	require.NoError(t, err)
	require.Len(t, all, 1)
	check(all[0])
}
