package thulium

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/contactkit/contactkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type seen struct {
	rawQuery, path, lang string
	user, pass           string
	basic                bool
}

func mockClient(t *testing.T, body string, opts ...Option) (*Client, *seen) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	got := &seen{}
	mt.RegisterResponder(http.MethodGet, "https://your-system-name.thulium.com/api/chats/reports/summary",
		func(r *http.Request) (*http.Response, error) {
			got.rawQuery, got.path, got.lang = r.URL.RawQuery, r.URL.EscapedPath(), r.Header.Get("Accept-Language")
			got.user, got.pass, got.basic = r.BasicAuth()
			resp := httpmock.NewStringResponse(200, body)
			resp.Header.Set("Content-Type", "application/json")
			return resp, nil
		})
	opts = append([]Option{WithHTTPClient(&http.Client{Transport: mt}), WithLocation(time.UTC)}, opts...)
	c, err := NewSystemClient("your-system-name", contactkit.BasicAuth{User: "api_user", Password: "api_pass"}, opts...)
	require.NoError(t, err)
	return c, got
}

// The example request of the document, to the byte:
// GET https://your-system-name.thulium.com/api/chats/reports/summary?user_logins[]=jkowalski&date_from=2024-12-19&date_to=2025-01-18&aggregate_by=day
func TestWireDocumentedExampleRequest(t *testing.T) {
	c, got := mockClient(t, `[]`)
	_, err := c.ChatReportSummary(context.Background(), SummaryQuery{
		UserLogins:  []string{"jkowalski"},
		From:        time.Date(2024, 12, 19, 0, 0, 0, 0, time.UTC),
		To:          time.Date(2025, 1, 18, 0, 0, 0, 0, time.UTC),
		DateOnly:    true,
		AggregateBy: ByDay,
	})
	require.NoError(t, err)
	assert.Equal(t, "/api/chats/reports/summary", got.path)
	assert.Equal(t, "user_logins[]=jkowalski&date_from=2024-12-19&date_to=2025-01-18&aggregate_by=day", got.rawQuery)
	assert.True(t, got.basic)
	assert.Equal(t, "api_user", got.user)
	assert.Equal(t, "api_pass", got.pass)
}

func TestWireEveryParameterInOrder(t *testing.T) {
	c, got := mockClient(t, `[]`, WithLanguage(Polish))
	_, err := c.ChatReportSummary(context.Background(), SummaryQuery{
		From:              time.Date(2019, 11, 1, 11, 12, 0, 0, time.UTC),
		To:                time.Date(2019, 11, 2, 11, 12, 0, 0, time.UTC),
		UserLogins:        []string{"jankowalski", "anowak"},
		ChatQueueIDs:      []int{1, 3},
		SumUsers:          true,
		AggregateBy:       ByMonth,
		ResponseThreshold: 50 * time.Second,
		Limit:             100,
		Offset:            10,
	})
	require.NoError(t, err)
	assert.Equal(t,
		"user_logins[]=jankowalski&user_logins[]=anowak&date_from=2019-11-01+11%3A12%3A00&date_to=2019-11-02+11%3A12%3A00"+
			"&sum_users=true&aggregate_by=month&chat_queue_ids[]=1&chat_queue_ids[]=3&response_threshold=50&limit=100&offset=10",
		got.rawQuery)
	assert.Equal(t, "pl", got.lang)
}

func TestWireDatesInSystemZone(t *testing.T) {
	c, got := mockClient(t, `[]`, WithLocation(time.FixedZone("CET", 3600)))
	_, err := c.ChatReportSummary(context.Background(), SummaryQuery{
		From: time.Date(2024, 12, 18, 23, 0, 0, 0, time.UTC), To: time.Date(2024, 12, 19, 22, 59, 59, 0, time.UTC),
	})
	require.NoError(t, err)
	assert.Equal(t, "date_from=2024-12-19+00%3A00%3A00&date_to=2024-12-19+23%3A59%3A59", got.rawQuery)
}

func TestDefaultZoneIsWarsaw(t *testing.T) {
	if _, err := time.LoadLocation(DefaultZone); err != nil {
		t.Skip("no zoneinfo on this machine")
	}
	c, err := NewClient("https://acme.thulium.com/api/", contactkit.BasicAuth{User: "u", Password: "p"})
	require.NoError(t, err)
	assert.Equal(t, "Europe/Warsaw", c.Location().String())
}
