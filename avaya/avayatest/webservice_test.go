package avayatest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// seen is one request as the target web service got it.
type seen struct {
	method, rawQuery, body string
	header                 http.Header
}

// target records requests and answers each with the next status.
func target(t *testing.T, statuses ...int) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.RawQuery, string(b), r.Header.Clone()})
		status := http.StatusOK
		if len(statuses) > 0 {
			status, statuses = statuses[0], statuses[1:]
		}
		mu.Unlock()
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func documented(t *testing.T) avayatest.FinishedCall {
	t.Helper()
	fake := avayatest.NewServer()
	defer fake.Close()
	c, ok := fake.FinishedCall(avayatest.DocumentedCall)
	require.True(t, ok)
	_, ok = fake.FinishedCall("00000000-0000-4000-8000-000000000999-1")
	require.False(t, ok, "an unknown call")
	return c
}

func TestFinishedCallOfTheDocumentedCall(t *testing.T) {
	c := documented(t)
	assert.Equal(t, avayatest.DocumentedCall, c.CallKey)
	assert.Equal(t, avayatest.DocumentedRecording1, c.RecordingKey)
	assert.Equal(t, int64(1568735345298), c.StartTime.UnixMilli(), "the first recording's start")
	assert.Equal(t, int64(1568739643644+59347), c.EndTime.UnixMilli(), "the last recording's end")
	assert.Equal(t, c.EndTime.Sub(c.StartTime), c.Duration)
}

func TestWebServiceGETSendsParamsInOrderAndHeaders(t *testing.T) {
	srv, got := target(t)
	p := &avayatest.WebServiceProfile{
		TargetURL: srv.URL + "/hook?profile=crm", Params: []avayatest.WebServiceParam{
			{Name: "id", Value: "{callKey}"}, {Name: "from", Value: "{startTime}"}, {Name: "len", Value: "{duration}"},
			{Name: "note", Value: "call by {agent} & co"},
		},
		Headers: http.Header{"X-Avaya-Secret": {"s3cret"}, "X-Tenant": {"acme"}},
	}
	res, err := p.Send(context.Background(), documented(t))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, 1, res.Attempts)
	assert.JSONEq(t, `{"ok":true}`, res.Body)
	r := got()[0]
	assert.Equal(t, http.MethodGet, r.method)
	assert.Equal(t, "profile=crm&id=83849370-5753-4186-9fc5-9c069e615734-1568735345298&from=1568735345298&len=4357693&note=call+by+Nate+Thatcher+%26+co",
		r.rawQuery, "the profile's parameters in its order, the target's own query kept")
	assert.Empty(t, r.body)
	assert.Equal(t, "s3cret", r.header.Get("X-Avaya-Secret"))
	assert.Equal(t, "acme", r.header.Get("X-Tenant"))
	assert.Contains(t, r.header.Get("User-Agent"), "Web Service Integration")
}

func TestWebServicePOSTSendsAForm(t *testing.T) {
	srv, got := target(t)
	p := &avayatest.WebServiceProfile{TargetURL: srv.URL, Method: "post", Params: avayatest.DefaultWebServiceParams(), TimeLayout: time.RFC3339}
	_, err := p.Send(context.Background(), documented(t))
	require.NoError(t, err)
	r := got()[0]
	assert.Equal(t, http.MethodPost, r.method)
	assert.Empty(t, r.rawQuery)
	assert.Equal(t, "application/x-www-form-urlencoded; charset=UTF-8", r.header.Get("Content-Type"))
	v, err := url.ParseQuery(r.body)
	require.NoError(t, err)
	assert.Equal(t, "2019-09-17T15:49:05Z", v.Get("startTime"))
	assert.Equal(t, "123", v.Get("extension"))
	assert.Len(t, v, 10)

	p.ParamsInQuery = true
	_, err = p.Send(context.Background(), documented(t))
	require.NoError(t, err)
	r = got()[1]
	assert.Equal(t, http.MethodPost, r.method)
	assert.Empty(t, r.body)
	assert.Contains(t, r.rawQuery, "callKey=83849370")
}

func TestWebServiceBusyAndResend(t *testing.T) {
	srv, got := target(t, 503, 503, 200)
	p := &avayatest.WebServiceProfile{TargetURL: srv.URL, Params: avayatest.DefaultWebServiceParams()}
	_, err := p.SendValues(context.Background(), url.Values{"a": {"1"}})
	require.ErrorIs(t, err, avayatest.ErrWebServiceBusy, "without Retry one attempt: the sender knows")
	var we *avayatest.WebServiceError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, 1, we.Attempts)
	assert.Equal(t, "0", we.RetryAfter)

	p.Retry = contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}
	res, err := p.SendValues(context.Background(), url.Values{"a": {"1"}})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts, "the second 503, then 200")
	assert.Len(t, got(), 3)
}

func TestWebServiceOtherStatusesAreNotResent(t *testing.T) {
	srv, got := target(t, 401, 200)
	p := &avayatest.WebServiceProfile{TargetURL: srv.URL, Retry: contactkit.RetryPolicy{MaxAttempts: 5, MinWait: time.Millisecond, MaxWait: time.Millisecond}}
	_, err := p.SendValues(context.Background(), url.Values{})
	var we *avayatest.WebServiceError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, http.StatusUnauthorized, we.Status)
	assert.False(t, errors.Is(err, avayatest.ErrWebServiceBusy))
	assert.Len(t, got(), 1)
}

func TestWebServiceProfileChecked(t *testing.T) {
	var ve *contactkit.ValidationError
	_, err := (&avayatest.WebServiceProfile{TargetURL: "/relative"}).SendValues(context.Background(), nil)
	require.ErrorAs(t, err, &ve)
	_, err = (&avayatest.WebServiceProfile{TargetURL: "http://127.0.0.1:1", Method: "DELETE"}).SendValues(context.Background(), nil)
	require.ErrorAs(t, err, &ve)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&avayatest.WebServiceProfile{TargetURL: "http://127.0.0.1:1", Retry: contactkit.RetryPolicy{MaxAttempts: 3, MaxWait: time.Second}}).SendValues(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
}

// A profile as an admin sets it up: GET to the CRM with the call key, the
// start in epoch milliseconds and the duration, and the shared secret in a
// custom header.
func ExampleWebServiceProfile_Send() {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.RequestURI())
		fmt.Println("secret header:", r.Header.Get("X-Avaya-Secret") != "")
	}))
	defer crm.Close()
	fake := avayatest.NewServer()
	defer fake.Close()
	call, _ := fake.FinishedCall(avayatest.DocumentedCall)

	p := &avayatest.WebServiceProfile{
		TargetURL: crm.URL + "/hooks/avaya",
		Params: []avayatest.WebServiceParam{
			{Name: "callKey", Value: "{callKey}"}, {Name: "startTime", Value: "{startTime}"}, {Name: "duration", Value: "{duration}"},
		},
		Headers: http.Header{"X-Avaya-Secret": {"a-long-random-value"}},
	}
	res, err := p.Send(context.Background(), call)
	fmt.Println(res.Status, err)
	// Output:
	// GET /hooks/avaya?callKey=83849370-5753-4186-9fc5-9c069e615734-1568735345298&startTime=1568735345298&duration=4357693
	// secret header: true
	// 200 <nil>
}
