package webchat

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/contactkit/contactkit/internal/transport"
)

// DefaultBaseURL is the web chat cloud service. Breaking changes go to
// mm-v2, mm-v3 and so on: pass their URL to NewClient.
const DefaultBaseURL = "https://mm-v1.ximasoftware.com"

// Client starts and checks chat sessions. It is safe for concurrent use.
type Client struct {
	baseURL  string
	settings []Option
	t        *transport.Client
}

// NewClient returns a client for the service at baseURL (DefaultBaseURL
// when empty). The API key for POST /chat/apiqueue goes with each request
// (StartRequest.APIKey); the service user key of Call Reporting is not
// used here.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	t, err := newTransport(baseURL, opts, nil)
	if err != nil {
		return nil, err
	}
	return &Client{baseURL: baseURL, settings: opts, t: t}, nil
}

// newTransport builds a transport; jar, when set, is the cookie jar of one
// chat session.
func newTransport(baseURL string, opts []Option, jar http.CookieJar) (*transport.Client, error) {
	s, err := transport.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if jar != nil {
		hc := http.Client{Transport: http.DefaultTransport}
		if s.HTTPClient != nil {
			hc = *s.HTTPClient
		}
		hc.Jar = jar
		s.HTTPClient = &hc
	}
	return transport.New(baseURL, s)
}

// Option configures a Client. Options are checked by NewClient.
type Option = transport.Option

// RetryPolicy is the argument of WithRetry.
type RetryPolicy = transport.RetryPolicy

// WithHTTPClient sets the *http.Client that carries requests. Each chat
// session uses a copy of it with its own cookie jar.
func WithHTTPClient(hc *http.Client) Option { return transport.WithHTTPClient(hc) }

// WithUserAgent puts a product token before contactkit's in User-Agent.
func WithUserAgent(product string) Option { return transport.WithUserAgent(product) }

// WithLogger logs one debug record per HTTP attempt, without secrets (the
// API key and captcha token are never logged).
func WithLogger(l *slog.Logger) Option { return transport.WithLogger(l) }

// WithRetry sets the retry policy of calls that are safe to repeat.
func WithRetry(p RetryPolicy) Option { return transport.WithRetry(p) }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return transport.WithoutRetry() }

// WithMaxResponseBytes caps response bodies (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return transport.WithMaxResponseBytes(n) }

// Errors. Every non-success answer is an *APIError; errors.Is matches it
// against the sentinels by status code.
type (
	APIError        = transport.APIError
	ValidationError = transport.ValidationError
	DecodeError     = transport.DecodeError
)

// Sentinels for errors.Is.
var (
	ErrBadRequest   = transport.ErrBadRequest
	ErrUnauthorized = transport.ErrUnauthorized
	ErrForbidden    = transport.ErrForbidden
	ErrNotFound     = transport.ErrNotFound
	ErrRateLimited  = transport.ErrRateLimited
	ErrServer       = transport.ErrServer
	ErrNotJSON      = transport.ErrNotJSON
	// ErrNoSession: GET /chat/queue answered 204, the session does not
	// exist.
	ErrNoSession = errors.New("contactkit: webchat: no such chat session")
)
