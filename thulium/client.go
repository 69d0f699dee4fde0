package thulium

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/contactkit/contactkit/internal/transport"
)

// Client calls the Thulium REST API of one system. It is safe for
// concurrent use.
type Client struct {
	t *transport.Client
}

// DefaultZone is the zone dates are written in unless WithLocation is
// given: Thulium systems are Poland-based (the zone the server assumes is
// not documented).
const DefaultZone = "Europe/Warsaw"

// NewClient returns a client for the API base URL of a system,
// https://<system-name>.thulium.com/api/ (older documents use
// https://api.thulium.com/api/). WithBasicAuth is required.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	s, err := transport.NewSettings(opts)
	if err != nil {
		return nil, err
	}
	if s.Auth == transport.NoAuth() {
		return nil, errors.New("contactkit: thulium: WithBasicAuth is required")
	}
	if s.Location == nil {
		loc, err := time.LoadLocation(DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("contactkit: thulium: zone %s is not on this system (import time/tzdata or pass WithLocation): %w", DefaultZone, err)
		}
		s.Location = loc
	}
	t, err := transport.New(baseURL, s)
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

var systemName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NewSystemClient returns a client for the Thulium system of that name:
// "acme" calls https://acme.thulium.com/api/.
func NewSystemClient(system string, opts ...Option) (*Client, error) {
	if !systemName.MatchString(system) {
		return nil, &ValidationError{Field: "system", Reason: "must be a Thulium system name such as acme (lower-case letters, digits, hyphens)"}
	}
	return NewClient("https://"+system+".thulium.com/api/", opts...)
}

// Location is the zone dates are written in.
func (c *Client) Location() *time.Location { return c.t.Location() }

// Option configures a Client. Options are checked by NewClient.
type Option = transport.Option

// RetryPolicy is the argument of WithRetry.
type RetryPolicy = transport.RetryPolicy

// WithBasicAuth authenticates as a Thulium API user.
func WithBasicAuth(user, password string) Option {
	return transport.BasicOption("thulium.WithBasicAuth", user, password)
}

// Language selects the language of Thulium's error messages.
type Language string

// The languages Thulium answers in.
const (
	English Language = "en" // the default
	Polish  Language = "pl"
)

// WithLanguage sends Accept-Language so that error messages come in lang.
func WithLanguage(lang Language) Option {
	return func(s *transport.Settings) error {
		if lang != English && lang != Polish {
			return &ValidationError{Field: "Accept-Language", Reason: "must be thulium.English or thulium.Polish"}
		}
		return transport.WithHeader("Accept-Language", string(lang))(s)
	}
}

// WithLocation sets the system's time zone, in which date_from and date_to
// are written (Europe/Warsaw by default).
func WithLocation(loc *time.Location) Option { return transport.WithLocation(loc) }

// WithHTTPClient sets the *http.Client that carries requests.
func WithHTTPClient(hc *http.Client) Option { return transport.WithHTTPClient(hc) }

// WithUserAgent puts a product token before contactkit's in User-Agent.
func WithUserAgent(product string) Option { return transport.WithUserAgent(product) }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return transport.WithLogger(l) }

// WithRetry sets the retry policy (every call here is a read).
func WithRetry(p RetryPolicy) Option { return transport.WithRetry(p) }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return transport.WithoutRetry() }

// WithMaxResponseBytes caps response bodies (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return transport.WithMaxResponseBytes(n) }

// Errors. Every non-success answer is an *APIError with Thulium's
// request id and every message of its errors list (in Details, with their
// codes); errors.Is matches it against the sentinels by status code.
type (
	APIError        = transport.APIError
	ErrorDetail     = transport.ErrorDetail
	ValidationError = transport.ValidationError
	DecodeError     = transport.DecodeError
)

// Sentinels for errors.Is.
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
