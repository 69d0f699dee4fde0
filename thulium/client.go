package thulium

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/contactkit/contactkit"
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
// https://api.thulium.com/api/), authenticating as the API user creds
// with HTTP Basic on every attempt. A missing user is a
// *contactkit.ValidationError.
func NewClient(baseURL string, creds contactkit.BasicAuth, opts ...Option) (*Client, error) {
	auth, err := transport.BasicAuth("credentials", creds)
	if err != nil {
		return nil, err
	}
	s, err := transport.NewSettings(opts, func(o Option) transport.Option { return o.apply })
	if err != nil {
		return nil, err
	}
	if s.Location == nil {
		loc, err := time.LoadLocation(DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("contactkit: thulium: zone %s is not on this system (import time/tzdata or pass WithLocation): %w", DefaultZone, err)
		}
		s.Location = loc
	}
	t, err := transport.New(baseURL, auth, s)
	if err != nil {
		return nil, err
	}
	return &Client{t: t}, nil
}

var systemName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NewSystemClient returns a client for the Thulium system of that name:
// "acme" calls https://acme.thulium.com/api/.
func NewSystemClient(system string, creds contactkit.BasicAuth, opts ...Option) (*Client, error) {
	if !systemName.MatchString(system) {
		return nil, &contactkit.ValidationError{Field: "system", Reason: "must be a Thulium system name such as acme (lower-case letters, digits, hyphens)"}
	}
	return NewClient("https://"+system+".thulium.com/api/", creds, opts...)
}

// Location is the zone dates are written in.
func (c *Client) Location() *time.Location { return c.t.Location() }

// Option configures a Client. Options are checked by NewClient; an
// option of another contactkit package does not compile here.
type Option struct{ apply transport.Option }

// Language selects the language of Thulium's error messages.
type Language string

// The languages Thulium answers in.
const (
	English Language = "en" // the default
	Polish  Language = "pl"
)

// WithLanguage sends Accept-Language so that error messages come in lang.
func WithLanguage(lang Language) Option {
	return Option{func(s *transport.Settings) error {
		if lang != English && lang != Polish {
			return &contactkit.ValidationError{Field: "Accept-Language", Reason: "must be thulium.English or thulium.Polish"}
		}
		return transport.WithHeader("Accept-Language", string(lang))(s)
	}}
}

// WithLocation sets the system's time zone, in which date_from and date_to
// are written (Europe/Warsaw by default).
func WithLocation(loc *time.Location) Option { return Option{transport.WithLocation(loc)} }

// WithHTTPClient sets the *http.Client that carries requests (proxy, TLS).
// It is not modified: the SDK's stack wraps its Transport.
func WithHTTPClient(hc *http.Client) Option { return Option{transport.WithHTTPClient(hc)} }

// WithUserAgent puts a product token such as "crm-sync/1.2" before
// contactkit's in User-Agent.
func WithUserAgent(product string) Option { return Option{transport.WithUserAgent(product)} }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return Option{transport.WithLogger(l)} }

// WithRetry sets the retry policy (every call here is a read).
func WithRetry(p contactkit.RetryPolicy) Option { return Option{transport.WithRetry(p)} }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return Option{transport.WithoutRetry()} }

// WithMaxResponseBytes caps each response body, one page of the report
// (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return Option{transport.WithMaxResponseBytes(n)} }

// WithResponseTimeout sets how long an attempt waits for response headers,
// and a body read for its next bytes, before it fails with
// contactkit.ErrTimeout (default contactkit.DefaultResponseTimeout).
func WithResponseTimeout(d time.Duration) Option {
	return Option{transport.WithResponseTimeout(d)}
}

// WithTransportWrapper wraps the RoundTripper under every request, for
// tracing or metrics (otelhttp.NewTransport, say); each request's context
// carries contactkit.OperationName.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return Option{transport.WithTransportWrapper(wrap)}
}
