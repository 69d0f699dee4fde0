package acd

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
	"github.com/contactkit/contactkit/internal/wiretime"
)

// Client calls the jtel ACD REST API of one client account. It is safe for
// concurrent use.
type Client struct {
	t *transport.Client
}

// NewClient returns a client for baseURL, the account's full REST base
// (https://host:port/rest/v1.0/{ClientsID}), authenticating with a jtel
// API token from token on every attempt: contactkit.StaticToken for a
// fixed token, contactkit.TokenFunc for one that is rotated while the
// program runs. A missing token is a *contactkit.ValidationError.
func NewClient(baseURL string, token contactkit.TokenSource, opts ...Option) (*Client, error) {
	auth, err := transport.BearerAuth("token", token)
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
	return &Client{t: t}, nil
}

// NewAccountClient returns a client for the jtel REST server at serverURL
// (https://host:port) and the client account clientsID, whose base URL is
// serverURL/rest/v1.0/{ClientsID}.
func NewAccountClient(serverURL, clientsID string, token contactkit.TokenSource, opts ...Option) (*Client, error) {
	if strings.TrimSpace(clientsID) == "" {
		return nil, &contactkit.ValidationError{Field: "clientsID", Reason: "is required"}
	}
	return NewClient(strings.TrimSuffix(serverURL, "/")+"/rest/v1.0/"+url.PathEscape(clientsID), token, opts...)
}

// BaseURL is the account base URL the client calls.
func (c *Client) BaseURL() *url.URL { return c.t.BaseURL() }

// Option configures a Client. Options are checked by NewClient; an
// option of another contactkit package does not compile here.
type Option struct{ apply transport.Option }

// WithLocation sets the jtel server's time zone. jtel timestamps carry no
// zone; they are read and written in this one (UTC by default).
func WithLocation(loc *time.Location) Option { return Option{transport.WithLocation(loc)} }

// WithHTTPClient sets the *http.Client that carries requests (proxy, TLS).
// It is not modified: the SDK's stack wraps its Transport.
func WithHTTPClient(hc *http.Client) Option { return Option{transport.WithHTTPClient(hc)} }

// WithUserAgent puts a product token such as "crm-sync/1.2" before
// contactkit's in User-Agent.
func WithUserAgent(product string) Option { return Option{transport.WithUserAgent(product)} }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return Option{transport.WithLogger(l)} }

// WithRetry sets the retry policy of calls that are safe to repeat.
func WithRetry(p contactkit.RetryPolicy) Option { return Option{transport.WithRetry(p)} }

// WithoutRetry makes every call a single attempt.
func WithoutRetry() Option { return Option{transport.WithoutRetry()} }

// WithMaxResponseBytes caps buffered response bodies (default 32 MiB) and,
// in the streamed AllEvents, each record and each skipped envelope field.
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

// LocalTime is a jtel timestamp such as 2020-08-09T02:33:50.347: the jtel
// server's local time, without a zone. It embeds time.Time and encodes
// back to the text it was decoded from.
type LocalTime = wiretime.LocalTime
