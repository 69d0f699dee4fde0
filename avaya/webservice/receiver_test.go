package webservice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/webservice"
)

// checkDocumentedCall checks the typed helpers against the document's call.
func checkDocumentedCall(t *testing.T, r *webservice.Request, want avayatest.FinishedCall) {
	t.Helper()
	key, err := r.CallKey()
	require.NoError(t, err)
	assert.Equal(t, avayatest.DocumentedCall, key)
	rec, err := r.RecordingKey()
	require.NoError(t, err)
	assert.Equal(t, avayatest.DocumentedRecording1, rec)
	start, err := r.StartTime()
	require.NoError(t, err)
	assert.True(t, start.Equal(time.UnixMilli(1568735345298)), "start %v", start)
	end, err := r.EndTime()
	require.NoError(t, err)
	assert.True(t, end.Equal(time.UnixMilli(1568739643644+59347)), "end %v", end)
	d, err := r.Duration()
	require.NoError(t, err)
	assert.Equal(t, want.Duration, d)
	assert.Equal(t, "123", r.Extension())
	assert.Equal(t, "Nate Thatcher", r.Agent())
	assert.Equal(t, "+18015550123", r.Caller())
	assert.Equal(t, "123", r.Callee())
	assert.Equal(t, "Inbound", r.Direction())
	assert.Equal(t, "acme", r.Header.Get("X-Tenant"), "the admin's other headers are handed on")
	assert.Empty(t, r.Header.Values(secretHeader), "the secret is not handed on")
	assert.NotEmpty(t, r.ID)
}

func TestGETWithURLParameters(t *testing.T) {
	c := newCollector()
	rc, srv := start(t, c.fn)
	call := documentedCall(t)
	res, err := profile(srv, http.MethodGet).Send(context.Background(), call)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	var body struct {
		Status int    `json:"status"`
		ID     string `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.Body), &body))
	r := c.next(t)
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, body.ID, r.ID, "the answer names the request")
	checkDocumentedCall(t, r, call)
	assert.Equal(t, uint64(1), rc.Stats().Accepted)
}

func TestPOSTForm(t *testing.T) {
	for _, inQuery := range []bool{false, true} {
		t.Run(fmt.Sprintf("params in query %v", inQuery), func(t *testing.T) {
			c := newCollector()
			_, srv := start(t, c.fn)
			p := profile(srv, http.MethodPost)
			p.ParamsInQuery = inQuery
			call := documentedCall(t)
			_, err := p.Send(context.Background(), call)
			require.NoError(t, err)
			r := c.next(t)
			assert.Equal(t, http.MethodPost, r.Method)
			checkDocumentedCall(t, r, call)
		})
	}
}

func TestPOSTMergesBodyAndQueryBodyFirst(t *testing.T) {
	c := newCollector()
	_, srv := start(t, c.fn)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/?callKey=from-query&profile=crm", strings.NewReader("callKey=from-body&x=1"))
	req.Header.Set(secretHeader, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _ := do(t, srv, req)
	require.Equal(t, http.StatusOK, status)
	r := c.next(t)
	assert.Equal(t, http.MethodPost, r.Method, "PUT is read as POST")
	assert.Equal(t, []string{"from-body", "from-query"}, r.Params["callKey"])
	assert.Equal(t, "crm", r.Get("profile"))
	assert.Equal(t, "1", r.Get("x"))
}

func TestPOSTFormWithoutContentType(t *testing.T) {
	c := newCollector()
	_, srv := start(t, c.fn)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("agent=Ada"))
	req.Header.Set(secretHeader, secret)
	status, _ := do(t, srv, req)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Ada", c.next(t).Agent())
}

func TestPOSTJSONObject(t *testing.T) {
	c := newCollector()
	_, srv := start(t, c.fn)
	body := `{"callKey":"83849370-5753-4186-9fc5-9c069e615734-1568735345298","startTime":1568735345298,"duration":48974,"vip":true,"note":null,"tags":["a",2]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
	req.Header.Set(secretHeader, secret)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	status, msg := do(t, srv, req)
	require.Equal(t, http.StatusOK, status, msg)
	r := c.next(t)
	key, err := r.CallKey()
	require.NoError(t, err)
	assert.Equal(t, avayatest.DocumentedCall, key)
	start, err := r.StartTime()
	require.NoError(t, err)
	assert.Equal(t, int64(1568735345298), start.UnixMilli())
	d, err := r.Duration()
	require.NoError(t, err)
	assert.Equal(t, 48974*time.Millisecond, d)
	assert.Equal(t, "true", r.Get("vip"))
	assert.Equal(t, []string{""}, r.Params["note"])
	assert.Equal(t, []string{"a", "2"}, r.Params["tags"])
}

func multipartBody(t *testing.T, fields map[string]string, file string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	if file != "" {
		fw, err := mw.CreateFormFile("audio", file)
		require.NoError(t, err)
		_, _ = fw.Write([]byte("RIFF...."))
	}
	require.NoError(t, mw.Close())
	return &b, mw.FormDataContentType()
}

func TestPOSTMultipartFields(t *testing.T) {
	c := newCollector()
	_, srv := start(t, c.fn)
	b, ct := multipartBody(t, map[string]string{"callKey": string(avayatest.DocumentedCall), "extension": "203"}, "")
	req, _ := http.NewRequest(http.MethodPost, srv.URL, b)
	req.Header.Set(secretHeader, secret)
	req.Header.Set("Content-Type", ct)
	status, msg := do(t, srv, req)
	require.Equal(t, http.StatusOK, status, msg)
	r := c.next(t)
	assert.Equal(t, "203", r.Extension())
}

func TestWrongOrMissingSecret(t *testing.T) {
	var calls atomic.Int32
	rc, srv := start(t, func(context.Context, *webservice.Request) error { calls.Add(1); return nil },
		webservice.WithAdditionalSecret("next-secret"))
	cases := map[string]http.Header{
		"missing":       {},
		"empty":         {secretHeader: {""}},
		"wrong":         {secretHeader: {"s3cr3t"}},
		"longer":        {secretHeader: {secret + "x"}},
		"other header":  {"X-Other-Secret": {secret}},
		"twice":         {secretHeader: {secret, "x"}},
		"as bearer":     {"Authorization": {"Bearer " + secret}},
		"case of value": {secretHeader: {strings.ToUpper(secret)}},
	}
	for name, h := range cases {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			p := profile(srv, method)
			p.Headers = h
			_, err := p.Send(context.Background(), documentedCall(t))
			var we *avayatest.WebServiceError
			require.ErrorAs(t, err, &we, name)
			assert.Equal(t, http.StatusUnauthorized, we.Status, name)
			assert.Contains(t, we.Body, "X-Avaya-Secret", name)
		}
	}
	// The right secret, and the additional one, in any header-name case.
	for _, h := range []http.Header{{"x-avaya-secret": {secret}}, {secretHeader: {"next-secret"}}} {
		p := profile(srv, http.MethodGet)
		p.Headers = h
		_, err := p.Send(context.Background(), documentedCall(t))
		require.NoError(t, err)
	}
	require.NoError(t, rc.Shutdown(context.Background()))
	assert.Equal(t, int32(2), calls.Load(), "nothing refused was handed on")
	st := rc.Stats()
	assert.Equal(t, uint64(2*len(cases)), st.Unauthorized)
	assert.Equal(t, uint64(2), st.Accepted)
}

func TestRejectsOversizedAndMalformed(t *testing.T) {
	var calls atomic.Int32
	rc, srv := start(t, func(context.Context, *webservice.Request) error { calls.Add(1); return nil },
		webservice.WithMaxBody(1024), webservice.WithMaxURL(512), webservice.WithMaxParams(20))
	fileBody, fileCT := multipartBody(t, map[string]string{"a": "b"}, "call.wav")
	bigPart, bigCT := multipartBody(t, map[string]string{"a": strings.Repeat("x", 2000)}, "")
	manyParams := strings.Repeat("a=1&", 21)
	cases := []struct {
		name, method, target, ct, ce, body string
		status                             int
		says                               string
	}{
		{"body over the cap", "POST", "/", "application/x-www-form-urlencoded", "", "a=" + strings.Repeat("x", 1100), 413, "over 1024 bytes"},
		{"URL over the cap", "GET", "/?a=" + strings.Repeat("x", 600), "", "", "", 414, "URL is over 512 bytes"},
		{"bad escape in query", "GET", "/?callKey=%zz", "", "", "", 400, "malformed query string: bad %-escape"},
		{"semicolon in query", "GET", "/?a=1;b=2", "", "", "", 400, "semicolons"},
		{"bad escape in form", "POST", "/", "application/x-www-form-urlencoded", "", "callKey=%G1", 400, "malformed form body"},
		{"JSON not an object", "POST", "/", "application/json", "", `["callKey"]`, 400, "not one object"},
		{"JSON cut short", "POST", "/", "application/json", "", `{"callKey":`, 400, "not one object"},
		{"text body", "POST", "/", "text/plain", "", "callKey=1", 415, `"text/plain" is not accepted`},
		{"broken content type", "POST", "/", "multipart/", "", "x", 415, "malformed Content-Type"},
		{"compressed", "POST", "/", "application/x-www-form-urlencoded", "gzip", "a=1", 415, "Content-Encoding"},
		{"file part", "POST", "/", fileCT, "", fileBody.String(), 415, "file parts are not accepted"},
		{"multipart over the cap", "POST", "/", bigCT, "", bigPart.String(), 413, "over 1024 bytes"},
		{"multipart no boundary", "POST", "/", "multipart/form-data", "", "x", 400, "boundary"},
		{"too many values", "GET", "/?" + manyParams, "", "", "", 400, "21 parameter values, more than the 20"},
		{"DELETE", "DELETE", "/", "", "", "", 405, "must be GET or POST"},
	}
	for _, tc := range cases {
		req, err := http.NewRequest(tc.method, srv.URL+tc.target, strings.NewReader(tc.body))
		require.NoError(t, err, tc.name)
		req.Header.Set(secretHeader, secret)
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		if tc.ce != "" {
			req.Header.Set("Content-Encoding", tc.ce)
		}
		status, body := do(t, srv, req)
		assert.Equal(t, tc.status, status, tc.name)
		var e struct {
			Status int    `json:"status"`
			Error  string `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &e), tc.name)
		assert.Equal(t, tc.status, e.Status, tc.name)
		assert.Contains(t, e.Error, tc.says, tc.name)
	}
	require.NoError(t, rc.Shutdown(context.Background()))
	assert.Zero(t, calls.Load(), "nothing rejected was handed on")
	assert.Equal(t, uint64(len(cases)), rc.Stats().Rejected)
}

func TestFuncErrorsRetriedPanicsCounted(t *testing.T) {
	var attempts atomic.Int32
	done := make(chan string, 8)
	fn := func(_ context.Context, r *webservice.Request) error {
		switch r.Get("case") {
		case "flaky":
			if attempts.Add(1) < 3 {
				return errors.New("CRM answered 502")
			}
		case "permanent":
			done <- "permanent"
			return webservice.Permanent(errors.New("CRM rejected the record"))
		case "bad key":
			_, err := r.CallKey()
			done <- "bad key"
			return err
		case "panic":
			done <- "panic"
			panic("boom")
		case "always":
			return errors.New("CRM down")
		}
		done <- r.Get("case")
		return nil
	}
	rc, srv := start(t, fn, webservice.WithWorkers(1),
		webservice.WithRetry(contactkit.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	for _, c := range []string{"flaky", "permanent", "bad key", "panic", "always", "after"} {
		_, err := profile(srv, http.MethodGet).SendValues(context.Background(), url.Values{"case": {c}, "callKey": {"nope"}})
		require.NoError(t, err, "Avaya is answered 200 whatever the function does")
	}
	for range 5 {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("function not called")
		}
	}
	require.NoError(t, rc.Shutdown(context.Background()))
	st := rc.Stats()
	assert.Equal(t, uint64(2), st.Handled, "flaky (3rd attempt) and after")
	assert.Equal(t, uint64(3), st.Failed, "permanent, bad key (not retried) and always (4 attempts)")
	assert.Equal(t, uint64(1), st.Panicked)
	assert.Equal(t, uint64(2+3), st.Retried, "flaky twice, always three times")
	assert.Equal(t, int32(3), attempts.Load())
}

func TestShutdownDrainsQueueAndRefusesNewRequests(t *testing.T) {
	gate := make(chan struct{})
	c := newCollector()
	rc, srv := start(t, func(ctx context.Context, r *webservice.Request) error {
		<-gate
		return c.fn(ctx, r)
	}, webservice.WithWorkers(2))
	for i := range 10 {
		_, err := profile(srv, http.MethodGet).SendValues(context.Background(), url.Values{"n": {fmt.Sprint(i)}})
		require.NoError(t, err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- rc.Shutdown(context.Background()) }()
	lateAccepted := 0 // sent before Shutdown had closed the queue
	require.Eventually(t, func() bool {
		_, err := profile(srv, http.MethodGet).SendValues(context.Background(), url.Values{"n": {"late"}})
		if err == nil {
			lateAccepted++
		}
		return errors.Is(err, avayatest.ErrWebServiceBusy)
	}, 5*time.Second, time.Millisecond, "after Shutdown: 503")
	select {
	case <-stopped:
		t.Fatal("Shutdown returned before the queue was drained")
	default:
	}
	close(gate)
	require.NoError(t, <-stopped)
	assert.Len(t, c.all(), 10+lateAccepted, "every queued request was handled")
}

func TestShutdownDeadlineDropsAndCancels(t *testing.T) {
	cancelled := make(chan struct{}, 1)
	started := make(chan struct{}, 1)
	rc, srv := start(t, func(ctx context.Context, _ *webservice.Request) error {
		started <- struct{}{}
		<-ctx.Done()
		cancelled <- struct{}{}
		return ctx.Err()
	}, webservice.WithWorkers(1))
	for range 5 {
		_, err := profile(srv, http.MethodGet).SendValues(context.Background(), url.Values{"a": {"b"}})
		require.NoError(t, err)
	}
	<-started // one in the function, four queued
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := rc.Shutdown(ctx)
	require.ErrorIs(t, err, webservice.ErrShutdown)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	<-cancelled
	require.Eventually(t, func() bool { return rc.Stats().Dropped == 4 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, uint64(1), rc.Stats().Failed)
}

func TestNewChecksArguments(t *testing.T) {
	fn := func(context.Context, *webservice.Request) error { return nil }
	bad := map[string]func() (*webservice.Receiver, error){
		"no secret":  func() (*webservice.Receiver, error) { return webservice.New(secretHeader, "", fn) },
		"no fn":      func() (*webservice.Receiver, error) { return webservice.New(secretHeader, secret, nil) },
		"bad header": func() (*webservice.Receiver, error) { return webservice.New("X Secret", secret, fn) },
		"queue 0":    func() (*webservice.Receiver, error) { return webservice.New("", secret, fn, webservice.WithQueue(0)) },
		"workers 0":  func() (*webservice.Receiver, error) { return webservice.New("", secret, fn, webservice.WithWorkers(0)) },
		"status 204": func() (*webservice.Receiver, error) {
			return webservice.New("", secret, fn, webservice.WithAcceptStatus(204))
		},
		"nil logger": func() (*webservice.Receiver, error) {
			return webservice.New("", secret, fn, webservice.WithLogger(nil))
		},
		"nil option": func() (*webservice.Receiver, error) { return webservice.New("", secret, fn, nil) },
		"retry 0": func() (*webservice.Receiver, error) {
			return webservice.New("", secret, fn, webservice.WithRetry(contactkit.RetryPolicy{}))
		},
		"empty rotated": func() (*webservice.Receiver, error) {
			return webservice.New("", secret, fn, webservice.WithAdditionalSecret(""))
		},
	}
	for name, mk := range bad {
		rc, err := mk()
		var ve *contactkit.ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Nil(t, rc, name)
	}
}

func TestAcceptStatus202(t *testing.T) {
	c := newCollector()
	_, srv := start(t, c.fn, webservice.WithAcceptStatus(http.StatusAccepted))
	res, err := profile(srv, http.MethodGet).Send(context.Background(), documentedCall(t))
	require.NoError(t, err)
	assert.Equal(t, http.StatusAccepted, res.Status)
	c.next(t)
}
