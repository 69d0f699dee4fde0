// Package transport is the one HTTP core behind every contactkit API
// package: authentication, base-URL joining, query encoding, JSON in and
// out, response caps, the retry policy, typed errors and secret-free
// logging. API packages build a Client from their options and describe each
// call with a Request.
package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Client sends requests to one API base URL.
type Client struct {
	base     *url.URL
	baseText string // base without a trailing slash
	rc       *retryablehttp.Client
	settings Settings
	ua       string
}

// New builds a Client for baseURL, which must be an absolute http(s) URL.
func New(baseURL string, s *Settings) (*Client, error) {
	base, err := ParseBaseURL(baseURL, "http", "https")
	if err != nil {
		return nil, err
	}
	hc := s.HTTPClient
	if hc == nil {
		hc = cleanhttp.DefaultPooledClient()
	}
	if s.Logger != nil {
		copied := *hc
		next := copied.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		copied.Transport = &logTransport{next: next, log: s.Logger}
		hc = &copied
	}
	ua := "contactkit/" + Version
	if s.UserAgent != "" {
		ua = s.UserAgent + " " + ua
	}
	c := &Client{
		base:     base,
		baseText: strings.TrimSuffix(base.String(), "/"),
		settings: *s,
		ua:       ua,
		rc: &retryablehttp.Client{
			HTTPClient:   hc,
			Logger:       nil, // go-retryablehttp's own logger prints secrets: off
			RetryWaitMin: s.Retry.MinWait,
			RetryWaitMax: s.Retry.MaxWait,
			RetryMax:     s.Retry.MaxAttempts - 1,
			CheckRetry:   checkRetry,
			Backoff:      backoff,
			ErrorHandler: retryablehttp.PassthroughErrorHandler,
		},
	}
	return c, nil
}

// NewAbsolute builds a Client with no base URL, for APIs whose every
// request names its own absolute URL (Request.URL), such as configured
// webhook posts.
func NewAbsolute(s *Settings) *Client {
	c, err := New("http://absolute.invalid", s)
	if err != nil {
		panic(err) // the fixed base always parses
	}
	c.base, c.baseText = nil, ""
	return c
}

// ParseBaseURL checks that raw is an absolute URL with one of the schemes,
// a host, and no query or fragment.
func ParseBaseURL(raw string, schemes ...string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, Invalid("baseURL", "does not parse as a URL")
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	switch {
	case !ok:
		return nil, Invalid("baseURL", "scheme must be one of %s", strings.Join(schemes, ", "))
	case u.Host == "":
		return nil, Invalid("baseURL", "has no host")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, Invalid("baseURL", "must not carry a query or fragment")
	}
	return u, nil
}

// BaseURL returns a copy of the client's base URL (nil for NewAbsolute).
func (c *Client) BaseURL() *url.URL {
	if c.base == nil {
		return nil
	}
	u := *c.base
	return &u
}

// Settings returns the options the client was built with.
func (c *Client) Settings() Settings { return c.settings }

// Location is the zone of the server's zone-less timestamps (UTC unless
// set).
func (c *Client) Location() *time.Location {
	if c.settings.Location == nil {
		return time.UTC
	}
	return c.settings.Location
}

// Request describes one API call.
type Request struct {
	Method string
	Path   string // below the base URL, built with Path(...)
	// URL, when set, is the absolute URL to call instead of base+Path+Query.
	URL   string
	Query *Query
	// JSON is encoded as the request body when non-nil.
	JSON any
	// Body is sent as is when JSON is nil, with ContentType.
	Body        []byte
	ContentType string
	Header      http.Header
	// Idempotent calls are retried on connection errors, 429, 502, 503 and
	// 504; others only when the request provably never left.
	Idempotent bool
	// RetryStatuses are answers the API documents as "send again".
	RetryStatuses []int
	// Accept lists non-2xx statuses handed back as responses, not errors.
	Accept []int
	// Endpoint names the call in errors and logs ("GET /acd/events");
	// Method and Path when empty.
	Endpoint string
}

func (r *Request) endpoint() string {
	if r.Endpoint != "" {
		return r.Endpoint
	}
	return r.Method + " " + r.Path
}

// URL is the full request URL.
func (c *Client) URL(r *Request) string {
	if r.URL != "" {
		return r.URL
	}
	u := c.baseText + r.Path
	if q := r.Query.Encode(); q != "" {
		u += "?" + q
	}
	return u
}

// Do sends r and, on success, decodes the JSON answer into out (which may
// be nil to discard it). The body is capped at MaxResponseBytes.
func (c *Client) Do(ctx context.Context, r *Request, out any) error {
	resp, err := c.Send(ctx, r) //nolint:bodyclose // closed by CloseBody
	if err != nil {
		return err
	}
	defer CloseBody(resp.Body)
	if out == nil {
		return nil
	}
	return c.DecodeJSON(r.endpoint(), resp, out)
}

// Send sends r and returns the response with its body unread, for
// streaming. The caller must close the body. Non-2xx answers (other than
// r.Accept) are returned as *APIError with the body closed.
func (c *Client) Send(ctx context.Context, r *Request) (*http.Response, error) {
	var body any
	contentType := r.ContentType
	switch {
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return nil, fmt.Errorf("contactkit: encoding %s request: %w", r.endpoint(), err)
		}
		body, contentType = b, "application/json"
	case r.Body != nil:
		body = r.Body
	}
	cs := &callState{idempotent: r.Idempotent, retryStatuses: r.RetryStatuses}
	ctx = context.WithValue(ctx, callStateKey{}, cs)
	req, err := retryablehttp.NewRequestWithContext(ctx, r.Method, c.URL(r), body)
	if err != nil {
		return nil, fmt.Errorf("contactkit: building %s request: %s", r.endpoint(), RedactText(err.Error()))
	}
	for k, v := range c.settings.Header {
		req.Header[k] = v
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.ua)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if err := c.settings.Auth.Apply(ctx, req.Request); err != nil {
		return nil, err
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, requestError(ctx, r.Method, req.URL, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp, nil
	}
	for _, s := range r.Accept {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	defer CloseBody(resp.Body)
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, NewAPIError(r.Method, RedactURL(req.URL), resp.StatusCode, resp.Header, raw)
}

// requestError turns a failure without an answer into an error that names
// the call with secrets removed; a cancelled context stays matchable.
func requestError(ctx context.Context, method string, u *url.URL, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("contactkit: %s %s: %w", method, RedactURL(u), ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(u), Err: ue.Err}
	}
	return &url.Error{Op: method, URL: RedactURL(u), Err: err}
}

// DecodeJSON decodes resp's body into out, capped at MaxResponseBytes, and
// reports HTML pages, truncation and oversize as a *DecodeError.
func (c *Client) DecodeJSON(endpoint string, resp *http.Response, out any) error {
	ct := resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt == "text/html" {
		return &DecodeError{Endpoint: endpoint, ContentType: ct, Err: ErrNotJSON}
	}
	lr := &LimitedReader{R: resp.Body, N: c.settings.MaxResponseBytes}
	dec := json.NewDecoder(lr)
	if err := dec.Decode(out); err != nil {
		return c.decodeError(endpoint, ct, lr, err)
	}
	return nil
}

func (c *Client) decodeError(endpoint, ct string, lr *LimitedReader, err error) error {
	switch {
	case lr.Exceeded:
		err = fmt.Errorf("%w: over %d bytes", ErrTooLarge, c.settings.MaxResponseBytes)
	case errors.Is(err, io.EOF):
		err = fmt.Errorf("empty body: %w", io.ErrUnexpectedEOF)
	case strings.Contains(err.Error(), "invalid character '<'"):
		err = fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	return &DecodeError{Endpoint: endpoint, ContentType: ct, Err: err}
}

// NewDecodeError builds the error an API package returns when a streamed
// body fails to decode.
func (c *Client) NewDecodeError(endpoint string, resp *http.Response, lr *LimitedReader, err error) error {
	if lr == nil {
		lr = &LimitedReader{}
	}
	return c.decodeError(endpoint, resp.Header.Get("Content-Type"), lr, err)
}

// MaxResponseBytes is the configured cap on buffered bodies.
func (c *Client) MaxResponseBytes() int64 { return c.settings.MaxResponseBytes }

// LimitedReader reads at most N bytes and then fails with ErrTooLarge,
// unlike io.LimitReader, which would end silently and look like a
// truncated body.
type LimitedReader struct {
	R        io.Reader
	N        int64
	Exceeded bool
}

func (l *LimitedReader) Read(p []byte) (int, error) {
	if l.N <= 0 {
		var one [1]byte
		if n, _ := l.R.Read(one[:]); n > 0 {
			l.Exceeded = true
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.N {
		p = p[:l.N]
	}
	n, err := l.R.Read(p)
	l.N -= int64(n)
	return n, err
}

// CloseBody drains a little of what is left, so the connection can be
// reused, and closes the body.
func CloseBody(b io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, b, 64<<10)
	_ = b.Close()
}

// logTransport writes one debug record per attempt. It sees each attempt
// because go-retryablehttp calls the http.Client once per try.
type logTransport struct {
	next http.RoundTripper
	log  *slog.Logger
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cs := stateFrom(req.Context())
	cs.attempt++
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("url", RedactURL(req.URL)),
		slog.Int("attempt", cs.attempt),
		slog.Duration("duration", time.Since(start)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", RedactText(err.Error())))
	} else {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	t.log.LogAttrs(req.Context(), slog.LevelDebug, "contactkit: http attempt", attrs...)
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// wrapped transport.
func (t *logTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}
