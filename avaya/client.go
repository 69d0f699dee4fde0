package avaya

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// Client calls the Avaya Call Reporting (Xima Chronicall) REST API of one
// server, and subscribes to its realtime metrics. It is safe for
// concurrent use.
type Client struct {
	t *transport.Client
	// Which path form a server answered for the endpoints that vendor
	// documents print two ways (see CallAudio and Recordings); 0 unknown,
	// 1 the documented form, 2 the other one.
	callAudioForm atomic.Int32
	listingForm   atomic.Int32
	audio         *pacer // WithAudioRateLimit; nil: audio requests are not paced
}

// NewClient returns a client for the Call Reporting server at baseURL
// (http://10.0.0.101:9080, say), authenticating with the service user key
// from key on every attempt (Authorization: Bearer; the realtime websocket
// carries it as its auth_token parameter): contactkit.StaticToken for a
// fixed key, contactkit.TokenFunc for one fetched while the program runs.
// A missing key is a *contactkit.ValidationError.
func NewClient(baseURL string, key contactkit.TokenSource, opts ...Option) (*Client, error) {
	auth, err := transport.BearerAuth("key", key)
	if err != nil {
		return nil, err
	}
	s, err := transport.NewSettings(opts, func(o Option) transport.Option { return o.apply })
	if err != nil {
		return nil, err
	}
	t, err := transport.New(baseURL, auth, s)
	if err != nil {
		return nil, err
	}
	c := &Client{t: t}
	for _, o := range opts {
		if o.audio != nil {
			c.audio = newPacer(o.audio) // the last one given wins, as with every option
		}
	}
	return c, nil
}

// Option configures a Client. Options are checked by NewClient; an
// option of another contactkit package does not compile here.
type Option struct {
	apply transport.Option
	audio *rate.Limiter // WithAudioRateLimit: a setting of this package, not the transport's
}

// WithHTTPClient sets the *http.Client that carries requests (proxy, TLS),
// the realtime websocket's handshake included. It is not modified: the
// SDK's stack wraps its Transport.
func WithHTTPClient(hc *http.Client) Option { return Option{apply: transport.WithHTTPClient(hc)} }

// WithUserAgent puts a product token such as "crm-sync/1.2" before
// contactkit's in User-Agent, for REST calls and the websocket handshake.
func WithUserAgent(product string) Option { return Option{apply: transport.WithUserAgent(product)} }

// WithLogger logs one debug record per HTTP attempt (and websocket
// handshake), without secrets.
func WithLogger(l *slog.Logger) Option { return Option{apply: transport.WithLogger(l)} }

// WithRetry sets the retry policy of calls that are safe to repeat. The
// same policy spaces the websocket's redials, the historic report's 202
// polls and WaitForMetricValues' polls. The cloud edition answers 429
// beyond one audio request per 3 seconds with Retry-After; MaxWait caps
// how long a retry waits for it.
func WithRetry(p contactkit.RetryPolicy) Option { return Option{apply: transport.WithRetry(p)} }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return Option{apply: transport.WithoutRetry()} }

// WithMaxResponseBytes caps buffered (JSON) response bodies, default
// 32 MiB; audio and raw reports stream and are not capped.
func WithMaxResponseBytes(n int64) Option { return Option{apply: transport.WithMaxResponseBytes(n)} }

// WithResponseTimeout sets how long an attempt waits for response headers,
// and a body read for its next bytes, before it fails with
// contactkit.ErrTimeout (default contactkit.DefaultResponseTimeout).
func WithResponseTimeout(d time.Duration) Option {
	return Option{apply: transport.WithResponseTimeout(d)}
}

// WithTransportWrapper wraps the RoundTripper under every request, for
// tracing or metrics (otelhttp.NewTransport, say); each request's context
// carries contactkit.OperationName. The websocket handshake goes through
// it too.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return Option{apply: transport.WithTransportWrapper(wrap)}
}
