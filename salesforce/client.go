package salesforce

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// Option configures a Sender. Options are checked by NewSender; an option
// of another contactkit package does not compile here.
type Option struct{ apply transport.Option }

// WithHTTPClient sets the *http.Client that carries requests (proxy, TLS).
// It is not modified: the SDK's stack wraps its Transport.
func WithHTTPClient(hc *http.Client) Option { return Option{transport.WithHTTPClient(hc)} }

// WithUserAgent puts a product token such as "crm-sync/1.2" before
// contactkit's in User-Agent.
func WithUserAgent(product string) Option { return Option{transport.WithUserAgent(product)} }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return Option{transport.WithLogger(l)} }

// WithRetry sets how resends are spaced (MinWait is also the floor under
// a receiver's Retry-After) and, with MaxAttempts, bounded. The default,
// DefaultSenderRetry, resends until the record is written or the context
// ends, as jtel does.
func WithRetry(p contactkit.RetryPolicy) Option { return Option{transport.WithRetry(p)} }

// WithoutRetry sends every record once.
func WithoutRetry() Option { return Option{transport.WithoutRetry()} }

// WithMaxResponseBytes caps buffered response bodies (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return Option{transport.WithMaxResponseBytes(n)} }

// WithResponseTimeout sets how long an attempt waits for response headers,
// and a body read for its next bytes, before it fails with
// contactkit.ErrTimeout (default contactkit.DefaultResponseTimeout). A
// timed-out attempt is resent within the retry policy (see Sender.Send).
func WithResponseTimeout(d time.Duration) Option {
	return Option{transport.WithResponseTimeout(d)}
}

// WithTransportWrapper wraps the RoundTripper under every request, for
// tracing or metrics (otelhttp.NewTransport, say); each request's context
// carries contactkit.OperationName ("POST writeCallStatistics"), and each
// resend is a request of its own.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return Option{transport.WithTransportWrapper(wrap)}
}
