package webservice_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/avaya/webservice"
)

// Scaled-down copies of the recommended timeouts, so that the test is fast.
const (
	testReadHeader = 500 * time.Millisecond
	testRead       = time.Second
	testIdle       = time.Second
)

// serveRecommended runs the receiver in NewServer's http.Server, its
// timeouts scaled down, and returns its address.
func serveRecommended(t *testing.T, rc *webservice.Receiver) string {
	t.Helper()
	srv := webservice.NewServer("127.0.0.1:0", rc, quiet)
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = testReadHeader, testRead, testRead, testIdle
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.ErrorIs(t, <-done, http.ErrServerClosed)
		require.NoError(t, rc.Shutdown(ctx))
	})
	return ln.Addr().String()
}

// closedWithin reads from conn until the server closes it and returns how
// long that took.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	t0 := time.Now()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(limit)))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v", limit)
	}
	return time.Since(t0)
}

func TestSlowAndIdleClientsAreCutOff(t *testing.T) {
	var calls atomic.Int32
	rc, err := webservice.New(secretHeader, secret, func(context.Context, *webservice.Request) error { calls.Add(1); return nil },
		webservice.WithLogger(quiet))
	require.NoError(t, err)
	addr := serveRecommended(t, rc)

	// A client that never finishes its headers (slowloris).
	slowHeaders, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer slowHeaders.Close()
	_, err = slowHeaders.Write([]byte("GET /?callKey=x HTTP/1.1\r\nHost: avaya\r\nX-Avaya-Secret: "))
	require.NoError(t, err)

	// A client that sends its headers and then trickles its body.
	slowBody, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer slowBody.Close()
	_, err = slowBody.Write([]byte("POST / HTTP/1.1\r\nHost: avaya\r\nX-Avaya-Secret: " + secret +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncallKey=1"))
	require.NoError(t, err)

	// A client that sends one request and keeps the connection idle.
	idle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer idle.Close()
	_, err = idle.Write([]byte("GET /?n=1 HTTP/1.1\r\nHost: avaya\r\nX-Avaya-Secret: " + secret + "\r\n\r\n"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Meanwhile a well-behaved client is answered at once.
	t0 := time.Now()
	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(url.Values{"n": {"2"}}.Encode()))
	req.Header.Set(secretHeader, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Less(t, time.Since(t0), testReadHeader, "slow clients do not hold up others: answered before the first is cut off")

	limit := 5 * time.Second // the scaled timeouts are at most 1 s; a server without them never closes
	for name, conn := range map[string]net.Conn{
		"slow headers cut off after ReadHeaderTimeout": slowHeaders,
		"a trickled body cut off after ReadTimeout":    slowBody,
		"an idle connection closed after IdleTimeout":  idle,
	} {
		t.Logf("%s: closed %v after the check began", name, closedWithin(t, conn, limit).Round(time.Millisecond))
	}
	require.NoError(t, rc.Shutdown(context.Background()))
	assert.Equal(t, int32(2), calls.Load(), "only the two whole requests were handed on")
}
