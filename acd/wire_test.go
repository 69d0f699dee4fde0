package acd

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Exact wire checks: one httpmock transport per test, never the global one.

const wireBase = "https://jtel.example.com:8443/rest/v1.0/1001"

type captured struct {
	method, url, auth, contentType, userAgent, accept string
	body                                              []byte
}

func mockClient(t *testing.T, method, url string, status int, body string, opts ...Option) (*Client, *httpmock.MockTransport, *captured) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	got := &captured{}
	mt.RegisterResponder(method, url, func(r *http.Request) (*http.Response, error) {
		got.method, got.url = r.Method, r.URL.String()
		got.auth, got.contentType = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		got.userAgent, got.accept = r.Header.Get("User-Agent"), r.Header.Get("Accept")
		if r.Body != nil {
			got.body, _ = io.ReadAll(r.Body)
		}
		resp := httpmock.NewStringResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	opts = append([]Option{WithHTTPClient(&http.Client{Transport: mt})}, opts...)
	c, err := NewClient(wireBase, contactkit.StaticToken("jtel-token"), opts...)
	require.NoError(t, err)
	return c, mt, got
}

func TestWireListEvents(t *testing.T) {
	c, mt, got := mockClient(t, http.MethodGet, wireBase+"/acd/events", 200, string(readGolden(t, "list.json")))
	list, err := c.ListEvents(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 374, list.Count)
	assert.Equal(t, "GET", got.method)
	assert.Equal(t, wireBase+"/acd/events", got.url)
	assert.Equal(t, "Bearer jtel-token", got.auth)
	assert.Equal(t, "application/json", got.accept)
	assert.Contains(t, got.userAgent, "contactkit/")
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestWireAllEventsStreamsTheSameRecords(t *testing.T) {
	c, _, got := mockClient(t, http.MethodGet, wireBase+"/acd/events", 200, string(readGolden(t, "create_response.json")))
	var ids []int64
	for ev, err := range c.AllEvents(context.Background()) {
		require.NoError(t, err)
		ids = append(ids, ev.ID)
	}
	assert.Equal(t, []int64{2039}, ids)
	assert.Equal(t, wireBase+"/acd/events", got.url)
}

func TestWireGetEvent(t *testing.T) {
	c, _, got := mockClient(t, http.MethodGet, wireBase+"/acd/events/event/2039", 200, string(readGolden(t, "create_response.json")))
	ev, err := c.GetEvent(context.Background(), 2039)
	require.NoError(t, err)
	assert.EqualValues(t, 2039, ev.ID)
	assert.Equal(t, wireBase+"/acd/events/event/2039", got.url)
	assert.Empty(t, got.body)
}

func TestWireCreateEvent(t *testing.T) {
	c, mt, got := mockClient(t, http.MethodPost, wireBase+"/acd/events/create", 200, string(readGolden(t, "create_response.json")))
	ev, err := c.CreateEvent(context.Background(), &NewEvent{
		Type: Ticket, GroupID: 235, Sender: "info@example.com", Receiver: "support@jtel.de",
		Subject: "A new ticket 123456 has been created via the REST API. Congratulations!",
		CrmURL:  "https://www.jtel.de", UserData: "123456",
	})
	require.NoError(t, err)
	assert.EqualValues(t, 2039, ev.ID)
	assert.Equal(t, "POST", got.method)
	assert.Equal(t, "application/json", got.contentType)
	assert.JSONEq(t, string(readGolden(t, "create_ticket.json")), string(got.body))
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestWireNotFoundCarriesJtelReason(t *testing.T) {
	c, _, _ := mockClient(t, http.MethodGet, wireBase+"/acd/events/event/7", 404, `{"status": 404, "error": "Event not found"}`)
	_, err := c.GetEvent(context.Background(), 7)
	require.ErrorIs(t, err, contactkit.ErrNotFound)
	var apiErr *contactkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Event not found", apiErr.Message)
	assert.Equal(t, wireBase+"/acd/events/event/7", apiErr.URL)
	assert.Equal(t, "GET", apiErr.Method)
}

func TestWireLocationOption(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*3600)
	c, _, _ := mockClient(t, http.MethodGet, wireBase+"/acd/events/event/2039", 200, string(readGolden(t, "create_response.json")), WithLocation(berlin))
	ev, err := c.GetEvent(context.Background(), 2039)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 9, 15, 0, 59, 32, 794e6, time.UTC), ev.Created.UTC(), "02:59:32.794 in Berlin summer time")
	assert.Equal(t, "2020-09-15T02:59:32.794", ev.Created.String(), "the wire text is unchanged")
}

func TestWireOneRecordExpected(t *testing.T) {
	c, _, _ := mockClient(t, http.MethodGet, wireBase+"/acd/events/event/5", 200, `{"records":[],"count":0,"status":200}`)
	_, err := c.GetEvent(context.Background(), 5)
	var de *contactkit.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), "GET /acd/events/event/{AcdEventsID}")
}
