package webchat

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// DefaultBaseURL is the web chat cloud service. Breaking changes go to
// mm-v2, mm-v3 and so on: pass their URL to NewClient.
const DefaultBaseURL = "https://mm-v1.ximasoftware.com"

// Client starts and checks chat sessions and reads their SQS queues. It is
// safe for concurrent use.
type Client struct {
	t *transport.Client
}

// NewClient returns a client for the service at baseURL (DefaultBaseURL
// when empty). Web chat has no client-level credential: the API key of
// POST /chat/apiqueue (StartRequest.APIKey) or the captcha token of
// POST /chat/queue travels in each start request's body, and is kept out
// of logs and errors. The service user key of Call Reporting is not used
// here.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	s, err := transport.NewSettings(opts, func(o Option) transport.Option { return o.apply })
	if err != nil {
		return nil, err
	}
	t, err := transport.New(baseURL, transport.NoAuth(), s)
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

// BaseURL is the service URL the client calls.
func (c *Client) BaseURL() *url.URL { return c.t.BaseURL() }

// Option configures a Client. Options are checked by NewClient; an
// option of another contactkit package does not compile here.
type Option struct{ apply transport.Option }

// WithHTTPClient sets the *http.Client that carries requests (proxy, TLS),
// the SQS requests included. It is not modified: the SDK's stack wraps its
// Transport, and each chat session gets its own cookie jar on top.
func WithHTTPClient(hc *http.Client) Option { return Option{transport.WithHTTPClient(hc)} }

// WithUserAgent puts a product token such as "shop-chat/1.2" before
// contactkit's in User-Agent.
func WithUserAgent(product string) Option { return Option{transport.WithUserAgent(product)} }

// WithLogger logs one debug record per HTTP attempt (SQS calls included),
// without secrets: the API key, the captcha token and AWS credentials are
// never logged.
func WithLogger(l *slog.Logger) Option { return Option{transport.WithLogger(l)} }

// WithRetry sets the retry policy of calls that are safe to repeat, of the
// SQS calls and of a failed SQS delete.
func WithRetry(p contactkit.RetryPolicy) Option { return Option{transport.WithRetry(p)} }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return Option{transport.WithoutRetry()} }

// WithMaxResponseBytes caps buffered response bodies (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return Option{transport.WithMaxResponseBytes(n)} }

// WithResponseTimeout sets how long an attempt waits for response headers,
// and a body read for its next bytes, before it fails with
// contactkit.ErrTimeout (default contactkit.DefaultResponseTimeout). An
// SQS long poll is kept shorter than it.
func WithResponseTimeout(d time.Duration) Option {
	return Option{transport.WithResponseTimeout(d)}
}

// WithTransportWrapper wraps the RoundTripper under every request, for
// tracing or metrics (otelhttp.NewTransport, say), the SQS requests
// included; each request's context carries contactkit.OperationName
// ("POST /chat", "SQS ReceiveMessage").
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return Option{transport.WithTransportWrapper(wrap)}
}

// ErrNoSession: GET /chat/queue answered 204, the session does not exist.
var ErrNoSession = errors.New("contactkit: webchat: no such chat session")
