package webservice_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya/webservice"
	"github.com/contactkit/contactkit/internal/testtool"
)

// The shared secret never reaches a log line, whatever echoes it: the
// function's errors and panics, a parameter that carries it, a request
// with a near miss, a dropped request.
func TestSecretNeverLogged(t *testing.T) {
	for name, mk := range map[string]func(*testtool.SyncBuffer) slog.Handler{
		"json": func(b *testtool.SyncBuffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"text": func(b *testtool.SyncBuffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	} {
		t.Run(name, func(t *testing.T) { secretNeverLogged(t, mk) })
	}
}

func secretNeverLogged(t *testing.T, mk func(*testtool.SyncBuffer) slog.Handler) {
	var buf testtool.SyncBuffer
	log := slog.New(mk(&buf)).With("service", "crm-sync").WithGroup("ws")
	stuck := make(chan struct{})
	fn := func(ctx context.Context, r *webservice.Request) error {
		switch r.Get("case") {
		case "error":
			return fmt.Errorf("CRM said: bad token %s (escaped %s, base64 %s)", secret,
				url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret)))
		case "panic":
			panic("the secret is " + secret)
		case "param":
			_, err := r.CallKey() // a ParamError quoting the value
			return err
		case "stuck":
			close(stuck)
			<-ctx.Done()
			return fmt.Errorf("gave up with %s: %w", secret, ctx.Err())
		case "wrapped":
			return fmt.Errorf("retry me: %w", errors.New("Authorization: Bearer "+secret))
		}
		return nil
	}
	rc, err := webservice.New(secretHeader, secret, fn, webservice.WithLogger(log), webservice.WithWorkers(1),
		webservice.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
	require.NoError(t, err)
	srv := newServer(t, rc)
	send := func(v url.Values, h http.Header) {
		p := profile(srv, http.MethodGet)
		if h != nil {
			p.Headers = h
		}
		_, _ = p.SendValues(context.Background(), v)
	}
	send(url.Values{"case": {"error"}}, nil)
	send(url.Values{"case": {"panic"}}, nil)
	send(url.Values{"case": {"param"}, "callKey": {secret}}, nil)
	send(url.Values{"case": {"wrapped"}}, nil)
	send(url.Values{"secret": {secret}}, http.Header{secretHeader: {secret + "x"}}) // near miss: 401
	send(url.Values{"token": {secret}}, http.Header{"Authorization": {"Bearer " + secret}})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?secret="+url.QueryEscape(secret)+"&bad=%zz", nil) // rejected 400
	req.Header.Set(secretHeader, secret)
	do(t, srv, req)
	send(url.Values{"case": {"stuck"}, "callKey": {secret}}, nil)
	<-stuck
	send(url.Values{"case": {"queued"}, "callKey": {secret}}, nil) // dropped at shutdown
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, rc.Shutdown(ctx), webservice.ErrShutdown)
	require.NoError(t, rc.Shutdown(context.Background()))

	out := buf.String()
	if testing.Verbose() {
		t.Log(out)
	}
	for _, form := range []string{secret, "Zq9", url.QueryEscape(secret), url.PathEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret))} {
		assert.NotContains(t, out, form, "the secret in a form")
	}
	for _, line := range []string{"function failed", "trying again", "panicked", "request refused", "request rejected", "dropped", "REDACTED", "crm-sync"} {
		assert.Contains(t, out, line)
	}
	st := rc.Stats()
	assert.Equal(t, uint64(1), st.Panicked)
	assert.Equal(t, uint64(2), st.Unauthorized)
	assert.Equal(t, uint64(1), st.Dropped)
}

// newServer serves h on loopback until the test ends.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestNewServerHasRecommendedLimits(t *testing.T) {
	srv := webservice.NewServer(":0", http.NotFoundHandler(), nil)
	assert.Equal(t, webservice.ReadHeaderTimeout, srv.ReadHeaderTimeout)
	assert.Equal(t, webservice.ReadTimeout, srv.ReadTimeout)
	assert.Equal(t, webservice.WriteTimeout, srv.WriteTimeout)
	assert.Equal(t, webservice.IdleTimeout, srv.IdleTimeout)
	assert.Greater(t, srv.MaxHeaderBytes, webservice.DefaultMaxURL, "a URL of the receiver's cap fits in the header block")
	assert.NotNil(t, srv.ErrorLog)
	for _, d := range []time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout} {
		assert.Positive(t, d)
		assert.LessOrEqual(t, d, time.Minute)
	}
	assert.True(t, strings.HasPrefix(srv.Addr, ":"))
}
