package avaya

import (
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/contactkit/contactkit/internal/transport"
)

// Client calls the Avaya Call Reporting (Xima Chronicall) REST API of one
// server. It is safe for concurrent use.
type Client struct {
	t *transport.Client
	// Which path form a server answered for the endpoints that vendor
	// documents print two ways (see CallAudio and Recordings); 0 unknown,
	// 1 the documented form, 2 the other one.
	callAudioForm atomic.Int32
	listingForm   atomic.Int32
}

// NewClient returns a client for the Call Reporting server at baseURL
// (http://10.0.0.101:9080, say). A token option (WithToken or
// WithTokenFunc, the service user key) is required.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	s, err := transport.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if s.Auth == transport.NoAuth() {
		return nil, errors.New("contactkit: avaya: WithToken or WithTokenFunc is required")
	}
	t, err := transport.New(baseURL, s)
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

// Option configures a Client. Options are checked by NewClient.
type Option = transport.Option

// RetryPolicy is the argument of WithRetry.
type RetryPolicy = transport.RetryPolicy

// TokenFunc returns a bearer token for one call.
type TokenFunc = transport.TokenFunc

// WithToken authenticates with a service user key (Authorization: Bearer).
func WithToken(key string) Option { return transport.TokenOption("avaya.WithToken", key) }

// WithTokenFunc authenticates with a key fetched for every call.
func WithTokenFunc(fn TokenFunc) Option { return transport.TokenFuncOption("avaya.WithTokenFunc", fn) }

// WithHTTPClient sets the *http.Client that carries requests.
func WithHTTPClient(hc *http.Client) Option { return transport.WithHTTPClient(hc) }

// WithUserAgent puts a product token before contactkit's in User-Agent.
func WithUserAgent(product string) Option { return transport.WithUserAgent(product) }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return transport.WithLogger(l) }

// WithRetry sets the retry policy of calls that are safe to repeat. The
// cloud edition answers 429 beyond one audio request per 3 seconds with
// Retry-After; MaxWait caps how long a retry waits for it.
func WithRetry(p RetryPolicy) Option { return transport.WithRetry(p) }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return transport.WithoutRetry() }

// WithMaxResponseBytes caps buffered (JSON) response bodies, default
// 32 MiB; audio and raw reports stream and are not capped.
func WithMaxResponseBytes(n int64) Option { return transport.WithMaxResponseBytes(n) }

// Errors. Every non-success answer is an *APIError; errors.Is matches it
// against the sentinels by status code.
type (
	APIError        = transport.APIError
	ValidationError = transport.ValidationError
	DecodeError     = transport.DecodeError
)

// Sentinels for errors.Is. Call Reporting answers 400 for a bad format or
// malformed report request, 401 for a bad key, 403 when the service user
// may not see the recording, call, agent or data, 404 for an unknown key
// or agent. The cloud edition adds 429 (audio rate limit) and 509.
var (
	ErrBadRequest   = transport.ErrBadRequest
	ErrUnauthorized = transport.ErrUnauthorized
	ErrForbidden    = transport.ErrForbidden
	ErrNotFound     = transport.ErrNotFound
	ErrConflict     = transport.ErrConflict
	ErrRateLimited  = transport.ErrRateLimited
	ErrServer       = transport.ErrServer
	// ErrEgressLimit: 509, the cloud edition's 5-day egress cap is
	// reached. It is not retried: waiting seconds will not lift it.
	ErrEgressLimit = transport.ErrEgressLimit
	ErrTooLarge    = transport.ErrTooLarge
	ErrNotJSON     = transport.ErrNotJSON
)
