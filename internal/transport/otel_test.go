package transport

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/contactkit/contactkit"
)

// A user traces the SDK's calls with otelhttp through the one wrapper
// option: one span per attempt, named by the SDK operation.
func TestOpenTelemetrySpanPerAttempt(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	wrap := func(rt http.RoundTripper) http.RoundTripper {
		return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(tp),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				return contactkit.OperationName(r.Context())
			}))
	}
	c := newClient(t, srv.URL, WithTransportWrapper(wrap))
	r := &Request{Method: http.MethodGet, Path: Path("acd", "events", "event", "42"), Endpoint: "GET /acd/events/event/{id}", Idempotent: true}
	var out okBody
	require.NoError(t, c.Do(context.Background(), r, &out))

	spans := rec.Ended()
	require.Len(t, spans, 3, "one span per attempt")
	for _, s := range spans {
		assert.Equal(t, "GET /acd/events/event/{id}", s.Name())
	}
}
