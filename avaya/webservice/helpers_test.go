package webservice_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/webservice"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	secretHeader = "X-Avaya-Secret"
	secret       = "s3cr3t-Zq9/+w==&v=1" // '/', '+', '=' and '&' so every escaped form differs
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// collector records every request the receiver hands on.
type collector struct {
	mu   sync.Mutex
	reqs []*webservice.Request
	got  chan *webservice.Request
}

func newCollector() *collector { return &collector{got: make(chan *webservice.Request, 4096)} }

func (c *collector) fn(_ context.Context, r *webservice.Request) error {
	c.mu.Lock()
	c.reqs = append(c.reqs, r)
	c.mu.Unlock()
	c.got <- r
	return nil
}

func (c *collector) all() []*webservice.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*webservice.Request(nil), c.reqs...)
}

// next waits for the next request handed on.
func (c *collector) next(t *testing.T) *webservice.Request {
	t.Helper()
	select {
	case r := <-c.got:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no request handed on")
		return nil
	}
}

// start serves a receiver on a loopback test server; both are shut down
// (server first, then the receiver's queue) when the test ends.
func start(t *testing.T, fn webservice.Func, opts ...webservice.Option) (*webservice.Receiver, *httptest.Server) {
	t.Helper()
	opts = append([]webservice.Option{webservice.WithLogger(quiet)}, opts...)
	rc, err := webservice.New(secretHeader, secret, fn, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(rc)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, rc.Shutdown(ctx))
	})
	return rc, srv
}

// profile is the Web Service Integration profile pointing at srv.
func profile(srv *httptest.Server, method string) *avayatest.WebServiceProfile {
	return &avayatest.WebServiceProfile{
		Name: "CRM", TargetURL: srv.URL + "/avaya/call-finished", Method: method,
		Params:  avayatest.DefaultWebServiceParams(),
		Headers: http.Header{secretHeader: {secret}, "X-Tenant": {"acme"}},
		Client:  srv.Client(),
	}
}

// documentedCall is the document's call, as the fake server holds it.
func documentedCall(t *testing.T) avayatest.FinishedCall {
	t.Helper()
	fake := avayatest.NewServer()
	defer fake.Close()
	c, ok := fake.FinishedCall(avayatest.DocumentedCall)
	require.True(t, ok)
	return c
}

// do sends a raw request and returns status and body.
func do(t *testing.T, srv *httptest.Server, req *http.Request) (int, string) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
