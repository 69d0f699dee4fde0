package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/internal/testtool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func quickConfig() config {
	cfg := defaultConfig()
	cfg.addr, cfg.widgetAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.readHeaderTimeout, cfg.readTimeout, cfg.idleTimeout, cfg.heartbeat = 200*time.Millisecond, 250*time.Millisecond, 300*time.Millisecond, 50*time.Millisecond
	cfg.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// start runs the example until the test cancels it, and returns its
// output and the URLs it printed.
func start(t *testing.T, cfg config) (out *testtool.SyncBuffer, board, site string, stop func() error) {
	t.Helper()
	out = &testtool.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, out, cfg) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "press Ctrl-C") }, 5*time.Second, 5*time.Millisecond)
	board = regexp.MustCompile(`wallboard: +(\S+)/`).FindStringSubmatch(out.String())[1]
	if m := regexp.MustCompile(`widget demo: +(\S+)/`).FindStringSubmatch(out.String()); m != nil {
		site = m[1]
	}
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("run did not return within 5 s of its context ending")
			}
		}
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return out, board, site, stop
}

func get(t *testing.T, url string, hdr http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestServesBoardAndWidgetAgainstFake(t *testing.T) {
	out, board, site, stop := start(t, quickConfig())
	assert.Contains(t, out.String(), "in-process fake")
	assert.Contains(t, out.String(), "snapshot JSON: "+board+"/snapshot.json")

	resp, page := get(t, board+"/", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `<script src="wallboard.js"`)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")

	// The fake's values come through (they initialize for a moment first).
	require.Eventually(t, func() bool {
		_, body := get(t, board+"/snapshot.json", nil)
		var d struct {
			State  string            `json:"state"`
			Values []json.RawMessage `json:"values"`
		}
		return json.Unmarshal([]byte(body), &d) == nil && d.State == "connected" && len(d.Values) >= 10
	}, 5*time.Second, 20*time.Millisecond)

	resp, demo := get(t, site+"/", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, demo, `<script src="`+board+`/widget.js" data-metrics="`+avayatest.MetricCallsInQueue+","+avayatest.MetricLongestWait+`" async>`)
	resp, _ = get(t, board+"/snapshot.json", http.Header{"Origin": {site}})
	assert.Equal(t, site, resp.Header.Get("Access-Control-Allow-Origin"), "the demo site's origin may read the stream")
	resp, _ = get(t, board+"/snapshot.json", http.Header{"Origin": {"http://elsewhere.example"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	require.NoError(t, stop())
	assert.Contains(t, out.String(), "stopped")
	assert.NotContains(t, out.String(), avayatest.DefaultToken)
}

// TestSlowAndIdleClientsCannotPinIt: a connection that never sends its
// header, one whose request body trickles in, and a keep-alive connection
// left idle are closed by the server, while an event stream outlives every
// timeout, carries heartbeats, and ends when the example stops.
func TestSlowAndIdleClientsCannotPinIt(t *testing.T) {
	cfg := quickConfig()
	_, board, _, stop := start(t, cfg)
	host := strings.TrimPrefix(board, "http://")

	closedWithin := func(c net.Conn) time.Duration {
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, _ = io.Copy(io.Discard, c)
		return time.Since(start)
	}
	silent, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer silent.Close()
	_, _ = silent.Write([]byte("GET / HTTP/1.1\r\n")) // and never the rest
	assert.Less(t, closedWithin(silent), cfg.readHeaderTimeout+time.Second, "a header that never ends is cut off")

	trickle, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer trickle.Close()
	_, _ = trickle.Write([]byte("GET /snapshot.json HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 1000\r\n\r\n"))
	stopTrickle := make(chan struct{})
	go func() { // a byte every 50 ms: never idle, never done
		for {
			select {
			case <-stopTrickle:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := trickle.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	took := closedWithin(trickle)
	close(stopTrickle)
	assert.Less(t, took, cfg.readTimeout+time.Second, "a request that trickles in is cut off")

	idle, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer idle.Close()
	_, _ = idle.Write([]byte("GET /wallboard.css HTTP/1.1\r\nHost: " + host + "\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Less(t, closedWithin(idle), cfg.idleTimeout+time.Second, "an idle keep-alive connection is closed")

	sse, err := net.Dial("tcp", host)
	require.NoError(t, err)
	defer sse.Close()
	_, _ = sse.Write([]byte("GET /events HTTP/1.1\r\nHost: " + host + "\r\n\r\n"))
	r := bufio.NewReader(sse)
	_ = sse.SetReadDeadline(time.Now().Add(5 * time.Second))
	opened := time.Now()
	heartbeats := 0
	for time.Since(opened) < 2*(cfg.readHeaderTimeout+cfg.readTimeout+cfg.idleTimeout) {
		line, err := r.ReadString('\n')
		require.NoError(t, err, "the stream outlives the header, read and idle timeouts")
		if strings.HasPrefix(line, "event: heartbeat") {
			heartbeats++
		}
	}
	assert.Positive(t, heartbeats)

	require.NoError(t, stop(), "stops with a stream open")
	_ = sse.SetReadDeadline(time.Now().Add(2 * time.Second))
	rest, err := io.ReadAll(r)
	require.NoError(t, err, "the stream ended: the server closed it")
	assert.Contains(t, string(rest), `"state":"stopped"`)
}

func TestRealServerFlags(t *testing.T) {
	fake := avayatest.NewServer()
	defer fake.Close()
	cfg := quickConfig()
	cfg.widgetAddr = ""
	cfg.baseURL = fake.URL()
	require.ErrorContains(t, run(context.Background(), io.Discard, cfg), "AVAYA_TOKEN")
	cfg.token = fake.Token
	require.ErrorContains(t, run(context.Background(), io.Discard, cfg), "-metrics")

	cfg.metrics = avayatest.MetricCallsInQueue + ":5:10, " + avayatest.MetricLongestWait
	out, board, site, stop := start(t, cfg)
	assert.Empty(t, site, "no demo site without -widget-addr")
	assert.Contains(t, out.String(), "source:        "+fake.URL())
	require.Eventually(t, func() bool {
		_, body := get(t, board+"/snapshot.json", nil)
		return strings.Contains(body, `"amber":5,"red":10`) && strings.Count(body, `"metricId"`) == 2
	}, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, stop())
	assert.NotContains(t, out.String(), fake.Token)

	// A refused key ends the example with the error, the key redacted.
	cfg.token = "wrong-key"
	err := run(context.Background(), io.Discard, cfg)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "wrong-key")
}

func TestParseMetrics(t *testing.T) {
	ms, err := parseMetrics(" A , B:5:10,C:1.5:2")
	require.NoError(t, err)
	require.Len(t, ms, 3)
	assert.Equal(t, "A", ms[0].ID)
	assert.InDelta(t, 10, ms[1].Red, 0)
	assert.InDelta(t, 1.5, ms[2].Amber, 0)
	for _, bad := range []string{"", " , ", "A:1", "A:x:2", "A:1:2:3"} {
		_, err := parseMetrics(bad)
		assert.Error(t, err, bad)
	}
}

func TestMainStopsOnSIGINT(t *testing.T) {
	out := &testtool.SyncBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- mainCode([]string{"-addr", "127.0.0.1:0", "-widget-addr", "127.0.0.1:0"}, func(string) string { return "" }, out, io.Discard)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "press Ctrl-C") }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGINT))
	select {
	case c := <-code:
		assert.Equal(t, 0, c)
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT did not stop it")
	}
	assert.Contains(t, out.String(), "stopped")
	assert.Equal(t, 2, mainCode([]string{"-nope"}, func(string) string { return "" }, io.Discard, io.Discard))
}
