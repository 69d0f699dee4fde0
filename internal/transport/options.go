package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Version is the SDK version sent in the User-Agent header.
const Version = "0.1.0"

// DefaultMaxResponseBytes caps a buffered response body (32 MiB) so that a
// runaway server yields an error instead of exhausting memory.
const DefaultMaxResponseBytes int64 = 32 << 20

// RetryPolicy says how often and how long a retryable call is tried again.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 means no retry.
	MaxAttempts int
	// MinWait is the first backoff; each further wait doubles, with jitter.
	MinWait time.Duration
	// MaxWait caps every wait, including one asked for by Retry-After.
	MaxWait time.Duration
}

// DefaultRetryPolicy is used unless WithRetry or WithoutRetry says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, MinWait: 200 * time.Millisecond, MaxWait: 10 * time.Second}

// Settings is what the options of every API package configure.
type Settings struct {
	HTTPClient       *http.Client
	UserAgent        string // product token put before contactkit/<version>
	Logger           *slog.Logger
	Retry            RetryPolicy
	MaxResponseBytes int64
	Auth             Auth
	Header           http.Header    // sent with every request (Accept-Language, say)
	Location         *time.Location // zone of the server's zone-less timestamps; nil: the package default
}

// Option configures a client. It is checked when applied, so a bad option
// is an error from NewClient rather than from the first call.
type Option func(*Settings) error

// NewSettings applies opts over the defaults.
func NewSettings(opts []Option) (*Settings, error) {
	s := &Settings{
		Retry:            DefaultRetryPolicy,
		MaxResponseBytes: DefaultMaxResponseBytes,
		Auth:             NoAuth(),
		Header:           http.Header{},
	}
	for _, opt := range opts {
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

// WithHTTPClient sets the *http.Client that carries requests (proxies, TLS,
// timeouts). The client is not modified.
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

// WithLogger logs one debug record per HTTP attempt: method, URL with
// secrets removed, status, attempt number and duration. Nothing secret is
// ever logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *Settings) error {
		if l == nil {
			return optionError("WithLogger", "logger is nil")
		}
		s.Logger = l
		return nil
	}
}

// WithRetry sets the retry policy for calls that are safe to repeat.
func WithRetry(p RetryPolicy) Option {
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

// WithMaxResponseBytes caps buffered response bodies (default 32 MiB).
// Streamed bodies (audio, exports) are not capped.
func WithMaxResponseBytes(n int64) Option {
	return func(s *Settings) error {
		if n <= 0 {
			return optionError("WithMaxResponseBytes", "limit must be positive")
		}
		s.MaxResponseBytes = n
		return nil
	}
}

// WithAuth sets how requests authenticate.
func WithAuth(a Auth) Option {
	return func(s *Settings) error {
		if a == nil {
			return optionError("WithAuth", "auth is nil")
		}
		s.Auth = a
		return nil
	}
}

// WithHeader adds a header sent with every request. Authorization cannot be
// set this way: use the package's auth option.
func WithHeader(name, value string) Option {
	return func(s *Settings) error {
		if name == "" || strings.ContainsAny(name+value, "\r\n") {
			return optionError("WithHeader", "header name must be non-empty and neither part may hold CR or LF")
		}
		if http.CanonicalHeaderKey(name) == "Authorization" {
			return optionError("WithHeader", "set Authorization with the auth option")
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
