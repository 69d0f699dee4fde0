package acd

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactkit/contactkit/internal/transport"
	"github.com/contactkit/contactkit/internal/wiretime"
)

// Client calls the jtel ACD REST API of one client account. It is safe for
// concurrent use.
type Client struct {
	t *transport.Client
}

// NewClient returns a client for baseURL, the account's full REST base:
// https://host:port/rest/v1.0/{ClientsID}. A token option (WithToken or
// WithTokenFunc) is required.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	s, err := transport.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if s.Auth == transport.NoAuth() {
		return nil, errors.New("contactkit: acd: WithToken or WithTokenFunc is required")
	}
	t, err := transport.New(baseURL, s)
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

// NewAccountClient returns a client for the jtel REST server at serverURL
// (https://host:port) and the client account clientsID, whose base URL is
// serverURL/rest/v1.0/{ClientsID}.
func NewAccountClient(serverURL, clientsID string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(clientsID) == "" {
		return nil, &ValidationError{Field: "ClientsID", Reason: "is required"}
	}
	return NewClient(strings.TrimSuffix(serverURL, "/")+"/rest/v1.0/"+url.PathEscape(clientsID), opts...)
}

// BaseURL is the account base URL the client calls.
func (c *Client) BaseURL() *url.URL { return c.t.BaseURL() }

// Option configures a Client. Options are checked by NewClient.
type Option = transport.Option

// RetryPolicy is the argument of WithRetry.
type RetryPolicy = transport.RetryPolicy

// TokenFunc returns a bearer token for one call.
type TokenFunc = transport.TokenFunc

// WithToken authenticates with a jtel API token (Authorization: Bearer).
func WithToken(token string) Option { return transport.TokenOption("acd.WithToken", token) }

// WithTokenFunc authenticates with a token fetched for every call, for
// tokens that are rotated while the program runs.
func WithTokenFunc(fn TokenFunc) Option { return transport.TokenFuncOption("acd.WithTokenFunc", fn) }

// WithLocation sets the jtel server's time zone. jtel timestamps carry no
// zone; they are read and written in this one (UTC by default).
func WithLocation(loc *time.Location) Option { return transport.WithLocation(loc) }

// WithHTTPClient sets the *http.Client that carries requests.
func WithHTTPClient(hc *http.Client) Option { return transport.WithHTTPClient(hc) }

// WithUserAgent puts a product token before contactkit's in User-Agent.
func WithUserAgent(product string) Option { return transport.WithUserAgent(product) }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return transport.WithLogger(l) }

// WithRetry sets the retry policy of calls that are safe to repeat.
func WithRetry(p RetryPolicy) Option { return transport.WithRetry(p) }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return transport.WithoutRetry() }

// WithMaxResponseBytes caps buffered response bodies (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return transport.WithMaxResponseBytes(n) }

// Errors. Every non-success answer is an *APIError; errors.Is matches it
// against the sentinels by status code.
type (
	APIError        = transport.APIError
	ValidationError = transport.ValidationError
	DecodeError     = transport.DecodeError
)

// Sentinels for errors.Is. jtel answers 400 when a required parameter is
// missing, 401 for a bad token or ClientsID, 404 with an empty body for an
// unknown endpoint and with a JSON reason for a missing object, and 409
// when the object exists or another precondition failed.
var (
	ErrBadRequest   = transport.ErrBadRequest
	ErrUnauthorized = transport.ErrUnauthorized
	ErrForbidden    = transport.ErrForbidden
	ErrNotFound     = transport.ErrNotFound
	ErrConflict     = transport.ErrConflict
	ErrLocked       = transport.ErrLocked
	ErrRateLimited  = transport.ErrRateLimited
	ErrServer       = transport.ErrServer
	ErrTooLarge     = transport.ErrTooLarge
	ErrNotJSON      = transport.ErrNotJSON
)

// LocalTime is a jtel timestamp such as 2020-08-09T02:33:50.347: the jtel
// server's local time, without a zone. It embeds time.Time and encodes
// back to the text it was decoded from.
type LocalTime = wiretime.LocalTime
