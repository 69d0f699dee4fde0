package salesforce

import (
	"log/slog"
	"net/http"

	"github.com/contactkit/contactkit/internal/transport"
)

// Option configures a Sender. Options are checked by NewSender.
type Option = transport.Option

// RetryPolicy is the argument of WithRetry.
type RetryPolicy = transport.RetryPolicy

// TokenFunc returns a bearer token for one call.
type TokenFunc = transport.TokenFunc

// WithToken authenticates with a fixed bearer token.
func WithToken(token string) Option { return transport.TokenOption("salesforce.WithToken", token) }

// WithTokenFunc authenticates with a token fetched for every record, so an
// OAuth access token can be refreshed while the sender runs.
func WithTokenFunc(fn TokenFunc) Option {
	return transport.TokenFuncOption("salesforce.WithTokenFunc", fn)
}

// WithHTTPClient sets the *http.Client that carries requests.
func WithHTTPClient(hc *http.Client) Option { return transport.WithHTTPClient(hc) }

// WithUserAgent puts a product token before contactkit's in User-Agent.
func WithUserAgent(product string) Option { return transport.WithUserAgent(product) }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return transport.WithLogger(l) }

// WithRetry sets how resends are spaced and, with MaxAttempts, bounded
// (by default a record is resent until it is written or the context ends).
func WithRetry(p RetryPolicy) Option { return transport.WithRetry(p) }

// WithoutRetry sends every record once.
func WithoutRetry() Option { return transport.WithoutRetry() }

// WithMaxResponseBytes caps response bodies (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return transport.WithMaxResponseBytes(n) }

// Errors. A 409 or 404 answer is an *APIError matching ErrConflict or
// ErrNotFound; the same sentinels are what a receiving function returns to
// make NewHandler answer those codes.
type (
	APIError        = transport.APIError
	ValidationError = transport.ValidationError
	DecodeError     = transport.DecodeError
)

// Sentinels for errors.Is, on both sides.
var (
	// ErrConflict: 409, writing not possible due to a conflict in the data;
	// jtel does not send the record again.
	ErrConflict = transport.ErrConflict
	// ErrNotFound: 404, the Salesforce record was not found; jtel does not
	// send the record again.
	ErrNotFound = transport.ErrNotFound
	// ErrLocked: 423, writing not possible at this time; jtel sends the
	// record again.
	ErrLocked       = transport.ErrLocked
	ErrBadRequest   = transport.ErrBadRequest
	ErrUnauthorized = transport.ErrUnauthorized
	ErrForbidden    = transport.ErrForbidden
	ErrRateLimited  = transport.ErrRateLimited
	ErrServer       = transport.ErrServer
)
