package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
)

// Version is the SDK version sent in the User-Agent header.
const Version = contactkit.Version

// Settings is what the options of every API package configure.
type Settings struct {
	HTTPClient       *http.Client
	UserAgent        string // product token put before contactkit/<version>
	Logger           *slog.Logger
	Retry            contactkit.RetryPolicy
	MaxResponseBytes int64
	// ResponseTimeout bounds each attempt's wait for progress: for the
	// response headers, and for each read of the body.
	ResponseTimeout time.Duration
	// Wrap wraps the RoundTripper under every request (tracing, metrics).
	Wrap     func(http.RoundTripper) http.RoundTripper
	Header   http.Header    // sent with every request (Accept-Language, say)
	Location *time.Location // zone of the server's zone-less timestamps; nil: the package default
}

// Option configures Settings. API packages wrap it in an Option type of
// their own, so that one package's option does not compile in another's
// constructor.
type Option func(*Settings) error

// NewSettings applies opts over the defaults; unwrap turns a package's
// own option into the transport's.
func NewSettings[O any](opts []O, unwrap func(O) Option) (*Settings, error) {
	s := &Settings{
		Retry:            contactkit.DefaultRetryPolicy,
		MaxResponseBytes: contactkit.DefaultMaxResponseBytes,
		ResponseTimeout:  contactkit.DefaultResponseTimeout,
		Header:           http.Header{},
	}
	for _, o := range opts {
		opt := unwrap(o)
		if opt == nil {
			return nil, errors.New("contactkit: nil option")
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func optionError(name, reason string) error {
	return fmt.Errorf("contactkit: %s: %s", name, reason)
}

// WithHTTPClient sets the *http.Client that carries requests (proxies,
// TLS). The client is not modified; its Transport is wrapped.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *Settings) error {
		if hc == nil {
			return optionError("WithHTTPClient", "client is nil")
		}
		s.HTTPClient = hc
		return nil
	}
}

// WithUserAgent puts a product token such as "myapp/1.2" before
// "contactkit/<version>" in the User-Agent header.
func WithUserAgent(product string) Option {
	return func(s *Settings) error {
		product = strings.TrimSpace(product)
		if product == "" || strings.ContainsAny(product, "\r\n") {
			return optionError("WithUserAgent", "product must be non-empty and on one line")
		}
		s.UserAgent = product
		return nil
	}
}

// WithLogger logs one debug record per HTTP attempt.
func WithLogger(l *slog.Logger) Option {
	return func(s *Settings) error {
		if l == nil {
			return optionError("WithLogger", "logger is nil")
		}
		s.Logger = l
		return nil
	}
}

// WithRetry sets the retry policy.
func WithRetry(p contactkit.RetryPolicy) Option {
	return func(s *Settings) error {
		switch {
		case p.MaxAttempts < 1:
			return optionError("WithRetry", "MaxAttempts must be at least 1")
		case p.MinWait <= 0 || p.MaxWait <= 0:
			return optionError("WithRetry", "MinWait and MaxWait must be positive")
		case p.MinWait > p.MaxWait:
			return optionError("WithRetry", "MinWait must not exceed MaxWait")
		}
		s.Retry = p
		return nil
	}
}

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option {
	return func(s *Settings) error {
		s.Retry.MaxAttempts = 1
		return nil
	}
}

// WithMaxResponseBytes caps buffered response bodies.
func WithMaxResponseBytes(n int64) Option {
	return func(s *Settings) error {
		if n <= 0 {
			return optionError("WithMaxResponseBytes", "limit must be positive")
		}
		s.MaxResponseBytes = n
		return nil
	}
}

// WithResponseTimeout sets how long an attempt may go without progress.
func WithResponseTimeout(d time.Duration) Option {
	return func(s *Settings) error {
		if d <= 0 {
			return optionError("WithResponseTimeout", "timeout must be positive")
		}
		s.ResponseTimeout = d
		return nil
	}
}

// WithTransportWrapper wraps the RoundTripper under every request.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(s *Settings) error {
		if wrap == nil {
			return optionError("WithTransportWrapper", "wrapper is nil")
		}
		if prev := s.Wrap; prev != nil {
			s.Wrap = func(rt http.RoundTripper) http.RoundTripper { return wrap(prev(rt)) }
		} else {
			s.Wrap = wrap
		}
		return nil
	}
}

// WithHeader adds a header sent with every request. Authorization cannot be
// set this way.
func WithHeader(name, value string) Option {
	return func(s *Settings) error {
		if name == "" || strings.ContainsAny(name+value, "\r\n") {
			return optionError("WithHeader", "header name must be non-empty and neither part may hold CR or LF")
		}
		if http.CanonicalHeaderKey(name) == "Authorization" {
			return optionError("WithHeader", "set Authorization with the auth argument")
		}
		s.Header.Set(name, value)
		return nil
	}
}

// WithLocation sets the zone in which the server's zone-less timestamps are
// read and written.
func WithLocation(loc *time.Location) Option {
	return func(s *Settings) error {
		if loc == nil {
			return optionError("WithLocation", "location is nil")
		}
		s.Location = loc
		return nil
	}
}
