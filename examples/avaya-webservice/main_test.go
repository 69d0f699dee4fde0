package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/internal/testtool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func demoOptions() options {
	return options{header: "X-Avaya-Secret", calls: 3, shutdownGrace: 5 * time.Second, crmClientTimeout: 5 * time.Second}
}

func TestDemoPostsListenLinksToCRM(t *testing.T) {
	var out testtool.SyncBuffer
	require.NoError(t, run(context.Background(), &out, quiet, demoOptions()))
	s := out.String()
	t.Log("\n" + s)
	assert.Contains(t, s, "Call Reporting: in-process fake at http://127.0.0.1:")
	assert.Contains(t, s, "call 1/3 finished: Avaya's profile sent "+string(avayatest.DocumentedCall)+", answered 200")
	assert.Contains(t, s, "CRM got: call "+string(avayatest.DocumentedCall)+" at 2019-09-17 15:49:05 UTC, 1h12m38s, Nate Thatcher (123), from +18015550123")
	assert.Contains(t, s, "/extlisten/call/index.html?id=83849370-5753-4186-9fc5-9c069e615734")
	assert.Equal(t, 3, strings.Count(s, "CRM got: call "), "one record per finished call")
	assert.Equal(t, 3, strings.Count(s, "listen: http://"))
	assert.Contains(t, s, "receiver: 3 accepted, 3 handled, 0 failed, 0 refused (401), 0 rejected, 0 answered 503")
	assert.Contains(t, s, "CRM stand-in got 3 record(s)")
}

// With -serve it runs until the signal (ctx here), answers a request sent
// with the wrong secret 401, and stops cleanly.
func TestServeStopsOnSignal(t *testing.T) {
	pr, pw := io.Pipe()
	o := demoOptions()
	o.serve, o.calls, o.secret = true, 1, "the-shared-secret"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, pw, quiet, o)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var receiver string
	for lines.Scan() {
		line := lines.Text()
		if rest, ok := strings.CutPrefix(line, "receiver: "); ok && receiver == "" {
			receiver, _, _ = strings.Cut(rest, " ")
		}
		if line == "serving until SIGINT or SIGTERM" {
			break
		}
	}
	require.NotEmpty(t, receiver)
	p := &avayatest.WebServiceProfile{TargetURL: receiver, Headers: http.Header{"X-Avaya-Secret": {"wrong"}}}
	_, err := p.Send(context.Background(), avayatest.FinishedCall{CallKey: avayatest.DocumentedCall})
	var we *avayatest.WebServiceError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, http.StatusUnauthorized, we.Status)

	cancel() // SIGINT
	rest, _ := io.ReadAll(pr)
	require.NoError(t, <-done)
	assert.Contains(t, string(rest), "receiver: 1 accepted, 1 handled, 0 failed, 1 refused (401)")
	assert.Contains(t, string(rest), "CRM stand-in got 1 record(s)")
}

func TestRealModeNeedsCredentials(t *testing.T) {
	o := demoOptions()
	o.baseURL = "http://127.0.0.1:1"
	require.ErrorContains(t, run(context.Background(), io.Discard, quiet, o), "AVAYA_TOKEN")
	o.token = "key"
	require.ErrorContains(t, run(context.Background(), io.Discard, quiet, o), "AVAYA_WS_SECRET")
	o.secret = "s"
	require.ErrorContains(t, run(context.Background(), io.Discard, quiet, o), "-listen")
}
