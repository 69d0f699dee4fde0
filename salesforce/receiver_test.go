package salesforce_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/salesforce"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func recordBody(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/record_all_fields.json")
	require.NoError(t, err)
	return string(b)
}

// serve sends one request through a handler built around fn.
func serve(t *testing.T, fn salesforce.RecordFunc, method, contentType, body string, opts ...salesforce.HandlerOption) *httptest.ResponseRecorder {
	t.Helper()
	h, err := salesforce.NewHandler(fn, opts...)
	require.NoError(t, err)
	req := httptest.NewRequest(method, "/writeCallStatistics", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerStatusPaths(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"written", nil, 200},
		{"conflict", salesforce.ErrConflict, 409},
		{"wrapped conflict", fmt.Errorf("duplicate activity: %w", salesforce.ErrConflict), 409},
		{"not found", salesforce.ErrNotFound, 404},
		{"locked", salesforce.ErrLocked, 423},
		{"any other error is resent", errors.New("database down"), 423},
		{"context error is resent", context.DeadlineExceeded, 423},
	}
	for _, tc := range cases {
		var got *salesforce.Record
		rec := serve(t, func(_ context.Context, r *salesforce.Record) error {
			got = r
			return tc.err
		}, http.MethodPost, "application/json", recordBody(t))
		assert.Equal(t, tc.want, rec.Code, tc.name)
		require.NotNil(t, got, tc.name)
		assert.Equal(t, "agent.y", got.AgentUID, tc.name)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		assert.Contains(t, rec.Body.String(), fmt.Sprintf(`"status":%d`, tc.want))
	}
}

func TestHandlerPanicIsResent(t *testing.T) {
	var logs bytes.Buffer
	rec := serve(t, func(context.Context, *salesforce.Record) error { panic("nil map") },
		http.MethodPost, "application/json", recordBody(t), salesforce.HandlerLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	assert.Equal(t, 423, rec.Code)
	assert.Contains(t, logs.String(), "panic in RecordFunc: nil map")
	assert.Contains(t, logs.String(), "jtelStatisticsPartAID=123456789")
}

func TestHandlerBadInputNeverCallsFunction(t *testing.T) {
	called := false
	fn := func(context.Context, *salesforce.Record) error { called = true; return nil }
	big := `{"AgentUID":"` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name, method, ct, body string
		want                   int
	}{
		{"GET", http.MethodGet, "application/json", "", 405},
		{"PUT", http.MethodPut, "application/json", recordBody(t), 405},
		{"text/plain", http.MethodPost, "text/plain", recordBody(t), 415},
		{"no content type", http.MethodPost, "", recordBody(t), 415},
		{"form", http.MethodPost, "application/x-www-form-urlencoded", "a=b", 415},
		{"oversized", http.MethodPost, "application/json", big, 413},
		{"malformed", http.MethodPost, "application/json", `{"AgentUID":`, 400},
		{"empty", http.MethodPost, "application/json", ``, 400},
		{"null", http.MethodPost, "application/json", `null`, 400},
		{"array", http.MethodPost, "application/json", `[` + recordBody(t) + `]`, 400},
		{"trailing data", http.MethodPost, "application/json", `{} {}`, 400},
		{"ill-typed flag", http.MethodPost, "application/json", `{"bOutbound":2}`, 400},
		{"ill-typed duration", http.MethodPost, "application/json", `{"nDuration":"long"}`, 400},
		{"ill-typed time", http.MethodPost, "application/json", `{"dtCallStart":"06.05.2024 09:30"}`, 400},
		{"ill-typed string", http.MethodPost, "application/json", `{"CallerID":49199123456789}`, 400},
	}
	for _, tc := range cases {
		rec := serve(t, fn, tc.method, tc.ct, tc.body)
		assert.Equal(t, tc.want, rec.Code, tc.name)
		assert.False(t, called, "%s must not reach the function", tc.name)
	}
	rec := serve(t, fn, http.MethodGet, "", "")
	assert.Equal(t, "POST", rec.Header().Get("Allow"))

	rec = serve(t, fn, http.MethodPost, "application/json; charset=utf-8", recordBody(t))
	assert.Equal(t, 200, rec.Code, "a charset parameter is fine")
	rec = serve(t, fn, http.MethodPost, "application/vnd.jtel+json", recordBody(t))
	assert.Equal(t, 200, rec.Code, "+json is JSON")
	rec = serve(t, fn, http.MethodPost, "application/json", strings.Repeat("x", 100), salesforce.HandlerMaxBody(10))
	assert.Equal(t, 413, rec.Code)
}

func TestHandlerAuth(t *testing.T) {
	fn := func(context.Context, *salesforce.Record) error { return nil }
	h, err := salesforce.NewHandler(fn, salesforce.RequireBearer("s3cret"))
	require.NoError(t, err)
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "Bearer s3cret": 200, "bearer s3cret": 401} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(recordBody(t)))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, want, rec.Code, auth)
		assert.NotContains(t, rec.Body.String(), "s3cret")
	}

	h, err = salesforce.NewHandler(fn, salesforce.RequireBasic("jtel", "pw"))
	require.NoError(t, err)
	for _, c := range []struct {
		user, pass string
		want       int
	}{{"jtel", "pw", 200}, {"jtel", "no", 401}, {"other", "pw", 401}} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(recordBody(t)))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(c.user, c.pass)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, c.want, rec.Code, c.user+":"+c.pass)
	}
}

func TestHandlerLocation(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*3600)
	var got salesforce.Record
	rec := serve(t, func(_ context.Context, r *salesforce.Record) error { got = *r; return nil },
		http.MethodPost, "application/json", recordBody(t), salesforce.HandlerLocation(berlin))
	require.Equal(t, 200, rec.Code)
	assert.Equal(t, time.Date(2024, 5, 6, 7, 30, 0, 0, time.UTC), got.CallStart.UTC())
	assert.Equal(t, "2024-05-06T09:30:00", got.CallStart.String())
}

func TestNewHandlerChecks(t *testing.T) {
	fn := func(context.Context, *salesforce.Record) error { return nil }
	_, err := salesforce.NewHandler(nil)
	require.Error(t, err)
	for _, o := range []salesforce.HandlerOption{
		salesforce.HandlerMaxBody(0), salesforce.HandlerLocation(nil), salesforce.HandlerLogger(nil),
		salesforce.RequireAuth(nil), salesforce.RequireBearer(""), salesforce.RequireBasic("", "p"), nil,
	} {
		_, err := salesforce.NewHandler(fn, o)
		var ve *salesforce.ValidationError
		require.ErrorAs(t, err, &ve)
	}
}
