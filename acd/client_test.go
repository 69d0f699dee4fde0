package acd_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fast = acd.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond})

func newFake(t *testing.T, opts ...acdtest.Option) (*acdtest.Server, *acd.Client) {
	t.Helper()
	srv := acdtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), fast)
	require.NoError(t, err)
	return srv, c
}

func callback() *acd.NewEvent {
	return &acd.NewEvent{
		Type: acd.Callback, GroupID: 235, Sender: "49199123456789", Receiver: "4919900112233",
		Subject: "Callback request", Body: "Call back after 9.\r\n", CrmURL: "https://www.jtel.de", UserData: "987654",
	}
}

func TestListGetCreateAgainstFake(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	list, err := c.ListEvents(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(srv.Events()), list.Count)
	assert.Equal(t, -1, list.LimitPageSize)

	created, err := c.CreateEvent(ctx, callback())
	require.NoError(t, err)
	assert.Positive(t, created.ID)
	assert.Equal(t, acd.Callback, created.Type)
	assert.Nil(t, created.UserID, "no user: the group queue")
	assert.False(t, created.Created.IsZero())
	data, err := created.ParseEventData()
	require.NoError(t, err)
	assert.Equal(t, "Call back after 9.\r\n", data.Body.Text)
	assert.Equal(t, "https://www.jtel.de", data.URLs[0].Path)

	back, err := c.GetEvent(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created.Subject, back.Subject)

	n := 0
	for ev, err := range c.AllEvents(ctx) {
		require.NoError(t, err)
		assert.Positive(t, ev.ID)
		n++
	}
	assert.Equal(t, list.Count+1, n)
}

func TestTicketGetsForeignSystemNumber(t *testing.T) {
	_, c := newFake(t)
	ev, err := c.CreateEvent(context.Background(), &acd.NewEvent{Type: acd.Ticket, GroupID: 235, Sender: "info@example.com", Subject: "Ticket", UserData: "T-77"})
	require.NoError(t, err)
	assert.Equal(t, "T-77", ev.ForeignSystemNumber)
}

func TestUnauthorized(t *testing.T) {
	srv := acdtest.NewServer()
	defer srv.Close()
	c, err := acd.NewClient(srv.URL(), contactkit.StaticToken("wrong"))
	require.NoError(t, err)
	_, err = c.ListEvents(context.Background())
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)
	assert.Contains(t, err.Error(), "invalid token or ClientsID")

	c, err = acd.NewAccountClient(srv.ServerURL(), "9999", contactkit.StaticToken(srv.Token))
	require.NoError(t, err)
	_, err = c.GetEvent(context.Background(), 2039)
	require.ErrorIs(t, err, contactkit.ErrUnauthorized, "a wrong ClientsID is a 401 at jtel")
	assert.Len(t, srv.Requests(), 2, "401 is not retried")
}

func TestNotFoundReasons(t *testing.T) {
	srv, c := newFake(t)
	_, err := c.GetEvent(context.Background(), 999999)
	require.ErrorIs(t, err, contactkit.ErrNotFound)
	var apiErr *contactkit.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Event not found", apiErr.Message)

	// An endpoint jtel does not have: 404 with an empty body.
	wrong, err := acd.NewClient(srv.ServerURL()+"/rest/v9/1001", contactkit.StaticToken(srv.Token))
	require.NoError(t, err)
	_, err = wrong.ListEvents(context.Background())
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Empty(t, apiErr.Message)
}

func TestValidationBeforeAnyRequest(t *testing.T) {
	srv, c := newFake(t)
	bad := map[string]func(e *acd.NewEvent){
		"AcdEventTypesID": func(e *acd.NewEvent) { e.Type = 0 },
		"AcdGroupsID":     func(e *acd.NewEvent) { e.GroupID = 0 },
		"Sender":          func(e *acd.NewEvent) { e.Sender = " " },
		"Subject":         func(e *acd.NewEvent) { e.Subject = "" },
		"Body":            func(e *acd.NewEvent) { e.Type = acd.Email; e.Sender = "a@b.c" },
		"CrmURL":          func(e *acd.NewEvent) { e.CrmURL = "www.jtel.de" },
		"UsersID":         func(e *acd.NewEvent) { zero := int64(0); e.UserID = &zero },
	}
	for field, mutate := range bad {
		e := callback()
		mutate(e)
		_, err := c.CreateEvent(context.Background(), e)
		var ve *contactkit.ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	for _, number := range []string{"+49199123456789", "0199123456789", "49 199 123", "123", "4919912345678901234"} {
		e := callback()
		e.Sender = number
		_, err := c.CreateEvent(context.Background(), e)
		var ve *contactkit.ValidationError
		require.ErrorAs(t, err, &ve, number)
		assert.Equal(t, "Sender", ve.Field)
		e = callback()
		e.Receiver = number
		_, err = c.CreateEvent(context.Background(), e)
		require.ErrorAs(t, err, &ve, number)
		assert.Equal(t, "Receiver", ve.Field)
	}
	_, err := c.CreateEvent(context.Background(), nil)
	require.Error(t, err)
	_, err = c.GetEvent(context.Background(), 0)
	require.Error(t, err)
	assert.Empty(t, srv.Requests(), "bad input must not reach the server")

	// E.164 applies to telephone events only.
	_, err = c.CreateEvent(context.Background(), &acd.NewEvent{Type: acd.Email, GroupID: 1, Sender: "kunde@example.com", Subject: "x"})
	require.NoError(t, err)
}

func TestFakeRejectsMissingFields(t *testing.T) {
	srv, _ := newFake(t)
	resp, err := srv.Client().Post(srv.URL()+"/acd/events/create", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode, "no token")

	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/acd/events/create", strings.NewReader(`{"AcdEventTypesID":3}`))
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err = srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
}

func TestCreateNeverRepeatedOnceSent(t *testing.T) {
	for name, fault := range map[string]acdtest.Fault{
		"connection dropped": {Drop: true},
		"503":                {Status: 503},
		"502":                {Status: 502},
		"truncated answer":   {Truncate: true},
	} {
		t.Run(name, func(t *testing.T) {
			srv, c := newFake(t)
			before := len(srv.Events())
			srv.Inject(1, fault)
			_, err := c.CreateEvent(context.Background(), callback())
			require.Error(t, err)
			assert.Len(t, srv.Requests(), 1, "the create was sent once")
			if name == "truncated answer" {
				assert.Len(t, srv.Events(), before+1, "the server did create it: retrying would have duplicated it")
			}
		})
	}
}

func TestReadsRetried(t *testing.T) {
	srv, c := newFake(t)
	srv.Inject(1, acdtest.Fault{Status: 503, RetryAfter: "0"})
	srv.Inject(1, acdtest.Fault{Drop: true})
	ev, err := c.GetEvent(context.Background(), 2039)
	require.NoError(t, err)
	assert.EqualValues(t, 2039, ev.ID)
	assert.Len(t, srv.Requests(), 3)
}

func TestAllEventsBreakAndCancel(t *testing.T) {
	srv, c := newFake(t)
	srv.GenerateEvents(50_000)
	n := 0
	for _, err := range c.AllEvents(context.Background()) {
		require.NoError(t, err)
		n++
		if n == 10 {
			break
		}
	}
	assert.Equal(t, 10, n)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	n = 0
	for _, err := range c.AllEvents(ctx) {
		if err != nil {
			last = err
			break
		}
		n++
		if n == 100 {
			cancel()
		}
	}
	require.ErrorIs(t, last, context.Canceled)
}

func TestAllEventsBadBodies(t *testing.T) {
	srv, c := newFake(t)
	srv.GenerateEvents(300)
	srv.Inject(1, acdtest.Fault{Truncate: true})
	var last error
	for _, err := range c.AllEvents(context.Background()) {
		last = err
	}
	var de *contactkit.DecodeError
	require.ErrorAs(t, last, &de)

	srv.Inject(1, acdtest.Fault{Status: 500, Body: "<html>Internal error</html>"})
	for _, err := range c.AllEvents(context.Background()) {
		last = err
	}
	require.ErrorIs(t, last, contactkit.ErrServer)
}

func TestListEventsDecodeFailures(t *testing.T) {
	srv, c := newFake(t)
	srv.Inject(1, acdtest.Fault{Truncate: true})
	_, err := c.ListEvents(context.Background())
	var de *contactkit.DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), "GET /acd/events")

	small, err := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), acd.WithMaxResponseBytes(512))
	require.NoError(t, err)
	_, err = small.ListEvents(context.Background())
	require.ErrorIs(t, err, contactkit.ErrTooLarge)
}

func TestTokenFuncRefreshes(t *testing.T) {
	srv := acdtest.NewServer()
	defer srv.Close()
	tokens := []string{"stale", srv.Token}
	c, err := acd.NewClient(srv.URL(), contactkit.TokenFunc(func(context.Context) (string, error) {
		tok := tokens[0]
		tokens = tokens[1:]
		return tok, nil
	}))
	require.NoError(t, err)
	_, err = c.ListEvents(context.Background())
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)
	_, err = c.ListEvents(context.Background())
	require.NoError(t, err)
}

func TestNewClientChecks(t *testing.T) {
	_, err := acd.NewClient("https://h/rest/v1.0/1", nil)
	require.Error(t, err, "a token is required")
	_, err = acd.NewClient("h/rest", contactkit.StaticToken("t"))
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	_, err = acd.NewClient("https://h/rest/v1.0/1", contactkit.StaticToken(""))
	require.Error(t, err)
	_, err = acd.NewAccountClient("https://h", "", contactkit.StaticToken("t"))
	require.ErrorAs(t, err, &ve)
	c, err := acd.NewAccountClient("https://h:8443/", "10 01", contactkit.StaticToken("t"))
	require.NoError(t, err)
	assert.Equal(t, "https://h:8443/rest/v1.0/10%2001", c.BaseURL().String())
	_, err = acd.NewClient("https://h/x", contactkit.StaticToken("t"), acd.WithRetry(contactkit.RetryPolicy{}))
	require.Error(t, err)
	assert.False(t, errors.Is(err, contactkit.ErrNotFound))
}
