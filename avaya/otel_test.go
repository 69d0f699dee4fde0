package avaya_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

// The websocket handshake works under a real tracing wrapper (otelhttp
// wraps the 101 body, which must stay an io.ReadWriteCloser) and is traced
// like every REST call, by operation name.
func TestSubscribeTracedWithOtelhttp(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	wrap := func(rt http.RoundTripper) http.RoundTripper {
		return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(tp),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				return contactkit.OperationName(r.Context())
			}))
	}
	srv, c := newFake(t, avaya.WithTransportWrapper(wrap))
	srv.InitDelay(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	live := 0
	for u, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue, avayatest.MetricAgentTalkTime}, quick) {
		require.NoError(t, err)
		if !u.Snapshot {
			live++
		}
		if live == 2 {
			break
		}
	}
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	assert.Contains(t, names, "GET /rest/api/v1/realtime/metrics/values")
	require.Eventually(t, func() bool {
		for _, s := range rec.Ended() {
			if s.Name() == "GET /rest/api/v1/realtime-metric-subscription" {
				return true
			}
		}
		return false
	}, 2*time.Second, 5*time.Millisecond, "the handshake's span ends when the socket is closed")
}
