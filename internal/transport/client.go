// Package transport is the one HTTP core behind every contactkit API
// package: authentication, base-URL joining, query encoding, JSON in and
// out, response caps, the retry policy, typed errors and secret-free
// logging. API packages build a Client from their options and describe each
// call with a Request.
package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/contactkit/contactkit"
)

// Client sends requests to one API base URL. Every request it makes, by
// Send/Do or through HTTPClient (a websocket dial, the SQS client), goes
// through one stack: the retry loop of Send under the SDK's policy, then
// the attempt RoundTripper (progress timeout, log, and for foreign
// requests User-Agent and credentials), then the user's wrapper, then the
// base transport.
//
// The retry loop is the SDK's own (the first version used
// go-retryablehttp): building a fresh request for each attempt applies credentials to every
// attempt without copying requests, and saves go-retryablehttp's wrapper
// request and hooks on every call; the policy (checkRetry, backoff) is
// the same.
type Client struct {
	base     *url.URL
	baseText string       // base without a trailing slash
	hc       *http.Client // the wrapped stack
	settings Settings
	auth     Auth
	redact   *Redactor
	at       *attempt
}

// New builds a Client for baseURL, which must be an absolute http(s) URL,
// authenticating with auth (NoAuth for none).
func New(baseURL string, auth Auth, s *Settings) (*Client, error) {
	base, err := ParseBaseURL(baseURL, "http", "https")
	if err != nil {
		return nil, err
	}
	return build(base, auth, s), nil
}

// NewAbsolute builds a Client with no base URL, for APIs whose every
// request names its own absolute URL (Request.URL), such as configured
// webhook posts. It sends no credentials of its own.
func NewAbsolute(s *Settings) *Client { return build(nil, NoAuth(), s) }

func build(base *url.URL, auth Auth, s *Settings) *Client {
	if auth == nil {
		auth = NoAuth()
	}
	r := &Redactor{}
	for _, secret := range fixedSecrets(auth) {
		r.AddFixed(secret)
	}
	src := s.HTTPClient
	if src == nil {
		src = cleanhttp.DefaultPooledClient()
	}
	hc := *src
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	if s.Wrap != nil {
		next = s.Wrap(next)
	}
	hc.CheckRedirect = sameOriginRedirects(src.CheckRedirect)
	ua := "contactkit/" + Version
	if s.UserAgent != "" {
		ua = s.UserAgent + " " + ua
	}
	at := &attempt{next: next, ua: ua, auth: auth, redact: r, log: s.Logger, timeout: s.ResponseTimeout}
	hc.Transport = at
	c := &Client{base: base, settings: *s, auth: auth, redact: r, hc: &hc, at: at}
	if base != nil {
		c.baseText = strings.TrimSuffix(base.String(), "/")
	}
	return c
}

// sameOriginRedirects follows a redirect only within the same scheme,
// host and port, and never sends a Referer: a redirect elsewhere would
// hand that host the original URL (an auth_token query parameter, a
// signature), the caller's own headers (a template's API key) and a
// re-sent body. Such a 3xx is returned as the answer instead (an
// *APIError for the caller). A CheckRedirect of the caller's client still
// has its say on the redirects that are followed.
func sameOriginRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			return http.ErrUseLastResponse
		}
		req.Header.Del("Referer")
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// WithCookieJar returns a client that shares everything with c (stack,
// credentials, redactor) but keeps cookies in jar: one web chat session.
func (c *Client) WithCookieJar(jar http.CookieJar) *Client {
	cp := *c
	hc := *c.hc
	hc.Jar = jar
	cp.hc = &hc
	return &cp
}

// HTTPClient is the client's whole HTTP stack, for requests that do not
// fit Send: a websocket dial or an AWS SDK client. Give such a request a
// context from CallContext so that it is named, and authenticated when it
// goes to the client's host.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// CallContext returns ctx prepared for one request sent through
// HTTPClient: operation named endpoint, credentials applied on every
// attempt when withAuth is set and the request goes to the base URL's
// host.
func (c *Client) CallContext(ctx context.Context, endpoint string, withAuth bool) context.Context {
	return c.newCall(ctx, endpoint, withAuth) // names the operation too
}

// newCall is the state of one call: its operation name and, withAuth,
// the host its credentials may go to.
func (c *Client) newCall(ctx context.Context, endpoint string, withAuth bool) *callState {
	cs := &callState{Context: ctx, endpoint: endpoint}
	if withAuth && c.base != nil {
		cs.authHost = c.base.Host
	}
	return cs
}

// fetchesTokens reports whether the client's credentials come from a
// function: each call then keeps the token its attempts fetched.
func (c *Client) fetchesTokens() bool {
	b, ok := c.auth.(bearer)
	return ok && b.header == ""
}

// Redactor removes the client's secrets from text; it knows every
// credential the client was given or fetched.
func (c *Client) Redactor() *Redactor { return c.redact }

// Retry is the client's retry policy.
func (c *Client) Retry() contactkit.RetryPolicy { return c.settings.Retry }

// Wait sleeps before try attempt+1 (attempt counts from 0) of a retry,
// redial or poll, as the client's RetryPolicy spaces them; it returns
// ctx's error if ctx ends first.
func (c *Client) Wait(ctx context.Context, attempt int) error {
	return Sleep(ctx, Backoff(c.settings.Retry.MinWait, c.settings.Retry.MaxWait, attempt))
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
	// Endpoint names the call in errors, logs and OperationName
	// ("GET /acd/events"); Method and Path when empty.
	Endpoint string
	// Secrets are values in this request (an API key, a captcha token)
	// that must not show up in logs or errors.
	Secrets []string
	// Pace, when set, runs every attempt: it calls send when the attempt
	// may leave (a client-side rate limit) and returns what send returned.
	// The retry loop's waits come before it, so every try is paced.
	Pace func(ctx context.Context, send func() (*http.Response, error)) (*http.Response, error)
}

// endpoint names r for errors, logs and OperationName. A package's
// Endpoint is a fixed template ("GET /acd/events/event/{id}"); the
// default name holds the path, which can hold a secret, so the client's
// known secrets are taken out of it (by value: cheap enough for every
// call; logs and errors redact fully when they are written).
func (c *Client) endpoint(r *Request) string {
	if r.Endpoint != "" {
		return r.Endpoint
	}
	return c.redact.Values(r.Method + " " + r.Path)
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
	return c.DecodeJSON(c.endpoint(r), resp, out)
}

// Send sends r and returns the response with its body unread, for
// streaming. The caller must close the body. Non-2xx answers (other than
// r.Accept) are returned as *APIError with the body closed. Path segments
// that are empty, "." or ".." are a *ValidationError before anything is
// sent.
func (c *Client) Send(ctx context.Context, r *Request) (*http.Response, error) {
	if err := checkPath(r.Path); err != nil {
		return nil, err
	}
	for _, s := range r.Secrets {
		c.redact.Add(s)
	}
	calls := c.redact // a call with secrets of its own, or a token function, gets its own view
	if len(r.Secrets) > 0 || c.fetchesTokens() {
		calls = c.redact.ForCall(r.Secrets)
	}
	endpoint := c.endpoint(r)
	var body []byte
	contentType := r.ContentType
	switch {
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return nil, fmt.Errorf("contactkit: encoding %s request: %w", endpoint, c.redact.Error(err))
		}
		body, contentType = b, "application/json"
	case r.Body != nil:
		body = r.Body
	}
	cs := c.newCall(ctx, endpoint, true)
	cs.idempotent, cs.retryStatuses, cs.prepared, cs.redact = r.Idempotent, r.RetryStatuses, true, calls
	ctx = cs // carries the operation name too
	u := c.URL(r)
	policy := c.settings.Retry
	for attempt := 0; ; attempt++ {
		cs.next = c.at.newAttemptState(cs) // the request is built on the attempt's context: no copy per attempt
		req, err := c.newRequest(cs.next.ctx, r, u, body, contentType)
		if err != nil {
			cs.next.w.cancel(nil)
			return nil, err
		}
		var resp *http.Response
		if r.Pace != nil {
			resp, err = r.Pace(ctx, func() (*http.Response, error) { return c.hc.Do(req) })
		} else {
			resp, err = c.hc.Do(req)
		}
		if cs.next != nil { // the client failed (or the pace ended) before the attempt began
			cs.next.w.cancel(nil)
			cs.next = nil
		}
		retry, ctxErr := checkRetry(ctx, resp, err)
		if ctxErr != nil || !retry || attempt+1 >= policy.MaxAttempts {
			if ctxErr != nil || err != nil {
				if resp != nil {
					CloseBody(resp.Body)
				}
				return nil, c.requestError(ctx, r.Method, req.URL, err)
			}
			return c.answer(r, req.URL, resp, cs.redact)
		}
		wait := backoff(policy.MinWait, policy.MaxWait, attempt, resp)
		if resp != nil {
			CloseBody(resp.Body)
		}
		if err := Sleep(ctx, wait); err != nil {
			return nil, c.requestError(ctx, r.Method, req.URL, err)
		}
	}
}

// newRequest builds one attempt of r: a fresh request (and body reader),
// the client's and the call's headers, User-Agent and credentials (a
// TokenSource is asked again for every attempt).
func (c *Client) newRequest(ctx context.Context, r *Request, u string, body []byte, contentType string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, rd)
	if err != nil {
		red := c.redact
		if cs := stateFrom(ctx); cs.redact != nil {
			red = cs.redact // the URL may hold this call's own secrets
		}
		return nil, fmt.Errorf("contactkit: building %s request: %s", c.endpoint(r), red.Text(err.Error()))
	}
	for k, v := range c.settings.Header {
		req.Header[k] = v
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if len(req.Header["Accept"]) == 0 { // canonical keys: no Get/Set canonicalising on the hot path
		req.Header["Accept"] = []string{"application/json"}
	}
	if contentType != "" {
		req.Header["Content-Type"] = []string{contentType}
	}
	if err := c.at.setHeaders(req, stateFrom(ctx)); err != nil {
		return nil, err
	}
	return req, nil
}

// answer hands back a success (or an accepted status) and turns any other
// answer into an *APIError.
func (c *Client) answer(r *Request, u *url.URL, resp *http.Response, red *Redactor) (*http.Response, error) {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp, nil
	}
	for _, s := range r.Accept {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	return nil, errorFrom(red, r.Method, u, resp)
}

// ErrorFromResponse reads (part of) a non-success answer, closes its body
// and returns the *APIError for it, with the client's secrets removed.
func (c *Client) ErrorFromResponse(method string, u *url.URL, resp *http.Response) *APIError {
	return errorFrom(c.redact, method, u, resp)
}

// errorFrom reads up to maxErrorRead of a non-success body, closes it and
// builds the *APIError with red's secrets removed.
func errorFrom(red *Redactor, method string, u *url.URL, resp *http.Response) *APIError {
	defer CloseBody(resp.Body)
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorRead))
	return NewAPIError(red, method, u, resp.StatusCode, resp.Header, raw)
}

// checkPath refuses path segments that a server or proxy would resolve
// (".", "..") or that make an empty parameter (a//b).
func checkPath(p string) error {
	if p == "" || (p != "/" && p[len(p)-1] != '.' && !strings.Contains(p, "//") && !strings.Contains(p, "/.")) {
		return nil // no empty, "." or ".." segment possible: no split
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		switch s {
		case ".", "..":
			return Invalid("path", "segment %d of %q is %q; path parameters cannot be . or ..", i+1, p, s)
		case "":
			if i < len(segs)-1 || len(segs) == 1 {
				return Invalid("path", "segment %d of %q is empty; path parameters cannot be empty", i+1, p)
			}
		}
	}
	return nil
}

// requestError turns a failure without an answer into an error that names
// the call with secrets removed; a cancelled context and a timeout stay
// matchable with errors.Is.
func (c *Client) requestError(ctx context.Context, method string, u *url.URL, err error) error {
	red := c.redact
	if cs := stateFrom(ctx); cs.redact != nil {
		red = cs.redact
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("contactkit: %s %s: %w", method, red.URL(u), ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &url.Error{Op: method, URL: red.URL(u), Err: red.Error(err)}
}

// DecodeJSON decodes resp's body into out, capped at MaxResponseBytes, and
// reports HTML pages, truncation and oversize as a *DecodeError.
func (c *Client) DecodeJSON(endpoint string, resp *http.Response, out any) error {
	ct := resp.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") {
		// the common answer: nothing to parse
	} else if mt, _, _ := mime.ParseMediaType(ct); mt == "text/html" {
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
	case errors.Is(err, ErrTimeout) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		// a stalled or cancelled read, not a bad body: keep it matchable
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

// ResponseTimeout is how long an attempt may wait without progress
// (WithResponseTimeout).
func (c *Client) ResponseTimeout() time.Duration { return c.settings.ResponseTimeout }

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

// CloseBody drains a little of what is left (64 KiB at most), so the
// connection can be reused, and closes the body.
func CloseBody(b io.ReadCloser) {
	buf := drainBufs.Get().(*[4096]byte)
	for n := 0; n < 64<<10; {
		m, err := b.Read(buf[:])
		n += m
		if err != nil {
			break
		}
	}
	drainBufs.Put(buf)
	_ = b.Close()
}

var drainBufs = sync.Pool{New: func() any { return new([4096]byte) }}
