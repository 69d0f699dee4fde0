package salesforce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
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
		{"conflict", contactkit.ErrConflict, 409},
		{"wrapped conflict", fmt.Errorf("duplicate activity: %w", contactkit.ErrConflict), 409},
		{"not found", contactkit.ErrNotFound, 404},
		{"locked", contactkit.ErrLocked, 423},
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
	assert.Contains(t, logs.String(), "panic: nil map")
}

// What is still refused, without calling the function or the hook.
func TestHandlerRefusals(t *testing.T) {
	called := false
	fn := func(context.Context, *salesforce.Record) error { called = true; return nil }
	hook := salesforce.HandlerUnreadable(func(context.Context, []byte, error) error { called = true; return nil })
	big := `{"AgentUID":"` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name, method, body string
		header             map[string]string
		want               int
	}{
		{"GET", http.MethodGet, "", nil, 405},
		{"PUT", http.MethodPut, recordBody(t), nil, 405},
		{"oversized", http.MethodPost, big, nil, 413},
		{"gzip", http.MethodPost, recordBody(t), map[string]string{"Content-Encoding": "gzip"}, 415},
	}
	for _, tc := range cases {
		h, err := salesforce.NewHandler(fn, hook)
		require.NoError(t, err)
		req := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, tc.want, rec.Code, tc.name)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"), tc.name)
		assert.Contains(t, rec.Body.String(), fmt.Sprintf(`{"status":%d,"error":"`, tc.want), "jtel's error body")
		assert.False(t, called, "%s must reach neither the function nor the hook", tc.name)
	}
	rec := serve(t, fn, http.MethodGet, "", "")
	assert.Equal(t, "POST", rec.Header().Get("Allow"))
	rec = serve(t, fn, http.MethodPost, "application/json", strings.Repeat("x", 100), salesforce.HandlerMaxBody(10))
	assert.Equal(t, 413, rec.Code)
}

// Issue 12: jtel's content type is not documented. A JSON body without
// Content-Type, as text/plain (.NET's default for a string body) or as a
// form (curl -d) is read (before: 415, which jtel does not resend).
func TestHandlerReadsAnyContentType(t *testing.T) {
	for _, ct := range []string{"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
		"application/json", "application/json; charset=utf-8", "application/vnd.jtel+json", "text/json", "garbage/"} {
		var got *salesforce.Record
		rec := serve(t, func(_ context.Context, r *salesforce.Record) error { got = r; return nil },
			http.MethodPost, ct, recordBody(t))
		assert.Equal(t, 200, rec.Code, "Content-Type %q", ct)
		require.NotNil(t, got, ct)
		assert.Equal(t, "agent.y", got.AgentUID, ct)
	}
	var got *salesforce.Record
	rec := serve(t, func(_ context.Context, r *salesforce.Record) error { got = r; return nil },
		http.MethodPost, "", "\xEF\xBB\xBF"+recordBody(t))
	assert.Equal(t, 200, rec.Code, "a UTF-8 byte-order mark is skipped")
	require.NotNil(t, got)
	assert.Equal(t, "agent.y", got.AgentUID)
}

// Issue 12: what jtel may plausibly send is decoded, never answered 400.
func TestHandlerReadsLenientRecords(t *testing.T) {
	body := "{\"SalesForceID\":\"0035g\",\"jtelStatisticsPartAID\":42.0,\"AgentUID\":\"m.m\xfcller\",\"bOutbound\":\"1\"," +
		"\"CallerID\":49199123456789,\"dtCallStart\":\"2024-05-06T09:30:00Z\",\"dtCallEnd\":\"2024-05-06T11:33:36+02:00\"," +
		"\"nDuration\":12.0,\"CONNRES\":1.0,\"Cause\":\"16\",\"nHoldSeconds\":3}"
	var got *salesforce.Record
	rec := serve(t, func(_ context.Context, r *salesforce.Record) error { got = r; return nil },
		http.MethodPost, "application/json", body, salesforce.HandlerLocation(time.FixedZone("CEST", 2*3600)))
	require.Equal(t, 200, rec.Code, rec.Body.String())
	require.NotNil(t, got)
	assert.EqualValues(t, 42, got.StatisticsPartAID)
	assert.Equal(t, "m.müller", got.AgentUID)
	assert.Equal(t, "49199123456789", got.CallerID)
	assert.Equal(t, 12, got.DurationSeconds)
	assert.Equal(t, salesforce.ConnectedWithAgent, got.Result)
	assert.Equal(t, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC), got.CallStart.UTC(), "Z is UTC, not jtel-local")
	assert.Equal(t, time.Date(2024, 5, 6, 9, 33, 36, 0, time.UTC), got.CallEnd.UTC())
	assert.Equal(t, 3*time.Minute+36*time.Second, got.CallEnd.Sub(got.CallStart.Time))
	assert.JSONEq(t, `3`, string(got.Unknown["nHoldSeconds"]), "an undocumented field reaches the function")
	out, err := json.Marshal(got)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"dtCallStart":"2024-05-06T09:30:00Z"`)
	assert.Contains(t, string(out), `"dtCallEnd":"2024-05-06T11:33:36+02:00"`)
	assert.Contains(t, string(out), `"nHoldSeconds":3`)
}

// Issue 12: a record that cannot be read at all goes to the hook with its
// raw body and is answered 423, so jtel sends it again (before: 400).
func TestHandlerUnreadableRecordsAreKept(t *testing.T) {
	cases := map[string]string{
		"malformed": `{"AgentUID":`, "empty": ``, "null": `null`, "array": `[{}]`, "trailing data": `{} {}`,
		"ill-typed flag": `{"bOutbound":2}`, "ill-typed duration": `{"nDuration":"long"}`,
		"ill-typed time": `{"dtCallStart":"06.05.2024 09:30"}`, "object for a name": `{"AgentUID":{"a":1}}`,
		"not JSON": "SalesForceID=0035g&nDuration=12",
	}
	for name, body := range cases {
		var kept []byte
		var why error
		calledFn := false
		rec := serve(t, func(context.Context, *salesforce.Record) error { calledFn = true; return nil },
			http.MethodPost, "application/json", body,
			salesforce.HandlerUnreadable(func(_ context.Context, b []byte, err error) error {
				kept, why = b, err
				return errors.New("quarantine table down")
			}))
		assert.Equal(t, 423, rec.Code, name)
		assert.False(t, calledFn, name)
		assert.Equal(t, body, string(kept), "%s: the hook gets the raw body", name)
		require.Error(t, why, name)
		assert.Contains(t, why.Error(), "unreadable writeCallStatistics record", name)
		if strings.HasPrefix(name, "ill-typed") || name == "object for a name" {
			var ve *contactkit.ValidationError
			require.ErrorAs(t, why, &ve, name)
			assert.Contains(t, body, `"`+ve.Field+`"`, "%s: the field is named", name)
		}
	}

	// A hook that stored the body durably may answer 200 (jtel stops), or
	// 409 to say "do not resend"; a panicking hook answers 423.
	for want, hookErr := range map[int]error{200: nil, 409: contactkit.ErrConflict, 423: contactkit.ErrLocked} {
		rec := serve(t, func(context.Context, *salesforce.Record) error { return nil }, http.MethodPost, "", `[]`,
			salesforce.HandlerUnreadable(func(context.Context, []byte, error) error { return hookErr }))
		assert.Equal(t, want, rec.Code)
	}
	rec := serve(t, func(context.Context, *salesforce.Record) error { return nil }, http.MethodPost, "", `[]`,
		salesforce.HandlerUnreadable(func(context.Context, []byte, error) error { panic("boom") }))
	assert.Equal(t, 423, rec.Code)
}

// The default hook logs the body for inspection without the handler's
// credentials or secret-named fields, and answers 423.
func TestHandlerUnreadableDefaultLogsWithoutSecrets(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h, err := salesforce.NewHandler(func(context.Context, *salesforce.Record) error { return nil },
		salesforce.RequireBearer("s3cret-bearer"), salesforce.HandlerLogger(log))
	require.NoError(t, err)
	body := `{"bOutbound":"maybe","echo":"s3cret-bearer","access_token":"tok-123456","AgentUID":"agent.q"}`
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer s3cret-bearer")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, 423, rec.Code)
	out := logs.String()
	assert.Contains(t, out, "record unreadable")
	assert.Contains(t, out, "agent.q", "the body is logged for inspection")
	assert.Contains(t, out, "bOutbound")
	assert.NotContains(t, out, "s3cret-bearer")
	assert.NotContains(t, out, "tok-123456")

	// Without HandlerLogger it goes to slog.Default().
	var def bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, nil)))
	defer slog.SetDefault(prev)
	rec = serve(t, func(context.Context, *salesforce.Record) error { return nil }, http.MethodPost, "", strings.Repeat("z", 10_000))
	assert.Equal(t, 423, rec.Code)
	assert.Contains(t, def.String(), "record unreadable")
	assert.Contains(t, def.String(), "(10000 bytes in all)", "a long body is cut")
	assert.Less(t, def.Len(), 6000)
}

// A body that never fully arrives is not "too large" and not unreadable:
// it is answered 423 (send again).
func TestHandlerBodyReadErrorIsResent(t *testing.T) {
	h, err := salesforce.NewHandler(func(context.Context, *salesforce.Record) error { return nil })
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader(`{"AgentUID":`), iotest.ErrReader(io.ErrUnexpectedEOF)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, 423, rec.Code)
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
		salesforce.RequireAuth(nil), salesforce.RequireBearer(""), salesforce.RequireBasic("", "p"), salesforce.HandlerUnreadable(nil), nil,
	} {
		_, err := salesforce.NewHandler(fn, o)
		var ve *contactkit.ValidationError
		require.ErrorAs(t, err, &ve)
	}
}
