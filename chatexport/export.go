package chatexport

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// Post is one request as configured on the Chat Connector's REST tab.
type Post struct {
	// URL may use variables; they are escaped for a URL.
	URL string
	// Headers holds one "Name: value" line per header; values may use
	// variables, which must not expand to CR or LF.
	Headers string
	// Body may use variables, escaped by the body's Content-Type header:
	// JSON string escaping for a JSON body, XML escaping for XML, form
	// escaping for a form; unchanged otherwise.
	Body string
}

// Config is a chat connector's report export configuration.
type Config struct {
	// TokenPost is phase 1, optional: a post whose JSON answer the report
	// post can use as $tokenResponse.body.JSON.<path>.
	TokenPost *Post
	// ReportPost is phase 2. The export is enabled only when its URL is set.
	ReportPost Post
	// XMLTemplate is any text, expanded with XML escaping and inserted as
	// $xmlTemplate.encoded.base64.
	XMLTemplate string
}

// Option configures an Exporter. Options are checked by NewExporter; an
// option of another contactkit package does not compile here.
type Option struct {
	apply transport.Option      // an HTTP option, shared with every package
	set   func(*Exporter) error // an option of chatexport's own
}

// WithHTTPClient sets the *http.Client that carries the posts (proxy, TLS).
// It is not modified: the SDK's stack wraps its Transport.
func WithHTTPClient(hc *http.Client) Option { return Option{apply: transport.WithHTTPClient(hc)} }

// WithUserAgent puts a product token such as "crm-sync/1.2" before
// contactkit's in User-Agent.
func WithUserAgent(product string) Option { return Option{apply: transport.WithUserAgent(product)} }

// WithLogger logs one debug record per HTTP attempt, without secrets (the
// token response's values included).
func WithLogger(l *slog.Logger) Option { return Option{apply: transport.WithLogger(l)} }

// WithRetry sets the retry policy. Posts are retried only when the request
// provably never left, unless WithRetryPosts is also given.
func WithRetry(p contactkit.RetryPolicy) Option { return Option{apply: transport.WithRetry(p)} }

// WithoutRetry makes every post a single attempt.
func WithoutRetry() Option { return Option{apply: transport.WithoutRetry()} }

// WithMaxResponseBytes caps the token response (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return Option{apply: transport.WithMaxResponseBytes(n)} }

// WithResponseTimeout sets how long an attempt waits for response headers,
// and a body read for its next bytes, before it fails with
// contactkit.ErrTimeout (default contactkit.DefaultResponseTimeout).
func WithResponseTimeout(d time.Duration) Option {
	return Option{apply: transport.WithResponseTimeout(d)}
}

// WithTransportWrapper wraps the RoundTripper under every request, for
// tracing or metrics (otelhttp.NewTransport, say); each request's context
// carries contactkit.OperationName ("POST token post", "POST report post").
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return Option{apply: transport.WithTransportWrapper(wrap)}
}

// WithLocation sets the zone $dateTime is written in (UTC by default; jtel
// writes its server's local time).
func WithLocation(loc *time.Location) Option { return Option{apply: transport.WithLocation(loc)} }

// WithRetryPosts opts in to retrying posts on 429, 502, 503, 504 and lost
// connections even after the request may have reached the back end. Only
// for back ends that ignore a duplicate report.
func WithRetryPosts() Option {
	return Option{set: func(e *Exporter) error {
		e.retryPosts = true
		return nil
	}}
}

// WithClock sets the clock of $dateTime and of the PDF's creation date.
func WithClock(now func() time.Time) Option {
	return Option{set: func(e *Exporter) error {
		if now == nil {
			return &contactkit.ValidationError{Field: "WithClock", Reason: "is nil"}
		}
		e.now = now
		return nil
	}}
}

// WithRenderOptions sets how the PDF is rendered.
func WithRenderOptions(o RenderOptions) Option {
	return Option{set: func(e *Exporter) error {
		e.render = o
		return nil
	}}
}

// Exporter runs the two-phase report export. It is safe for concurrent
// use.
type Exporter struct {
	usesToken  bool
	t          *transport.Client
	token      *postTemplates
	report     postTemplates
	xml        *Template
	retryPosts bool
	now        func() time.Time
	render     RenderOptions
}

type postTemplates struct {
	url     *Template
	headers []headerTemplate
	body    *Template
	bodyCtx Context
	ctype   string
}

type headerTemplate struct {
	name  string
	value *Template
}

// NewExporter checks the configuration and returns an exporter. Every
// template is parsed now, so an unknown variable, a header line without a
// colon, $tokenResponse without a token phase (or inside the token post
// itself) and $xmlTemplate inside the XML template are errors here,
// before anything is sent.
func NewExporter(cfg Config, opts ...Option) (*Exporter, error) {
	if strings.TrimSpace(cfg.ReportPost.URL) == "" {
		return nil, ErrExportDisabled
	}
	e := &Exporter{now: time.Now}
	var httpOpts []transport.Option
	for _, o := range opts {
		switch {
		case o.set != nil:
			if err := o.set(e); err != nil {
				return nil, err
			}
		case o.apply != nil:
			httpOpts = append(httpOpts, o.apply)
		default:
			return nil, &contactkit.ValidationError{Field: "option", Reason: "is the zero Option"}
		}
	}
	s, err := transport.NewSettings(httpOpts, func(o transport.Option) transport.Option { return o })
	if err != nil {
		return nil, err
	}
	e.t = transport.NewAbsolute(s)
	if e.report, err = parsePost("report post", cfg.ReportPost); err != nil {
		return nil, err
	}
	if cfg.TokenPost != nil {
		tp, err := parsePost("token post", *cfg.TokenPost)
		if err != nil {
			return nil, err
		}
		if err := tp.forbid(VarTokenResponsePrefix, "token post", "the token response does not exist yet in phase 1"); err != nil {
			return nil, err
		}
		e.token = &tp
	} else if err := e.report.forbid(VarTokenResponsePrefix, "report post", "no token post is configured"); err != nil {
		return nil, err
	}
	if e.xml, err = parseNamed("XML template", cfg.XMLTemplate); err != nil {
		return nil, err
	}
	e.usesToken = e.xml.Uses(VarTokenResponsePrefix)
	for _, t := range e.report.all() {
		e.usesToken = e.usesToken || t.Uses(VarTokenResponsePrefix)
	}
	for _, v := range e.xml.Variables() {
		if v.Name == VarXMLTemplateBase64 {
			return nil, &TemplateError{Template: "XML template", Variable: "$" + v.Name, Pos: v.Pos, Reason: "the XML template cannot contain itself"}
		}
		if strings.HasPrefix(v.Name, VarTokenResponsePrefix) && e.token == nil {
			return nil, &TemplateError{Template: "XML template", Variable: "$" + v.Name, Pos: v.Pos, Reason: "no token post is configured"}
		}
	}
	return e, nil
}

func parseNamed(name, src string) (*Template, error) {
	t, err := ParseTemplate(src)
	var te *TemplateError
	if errors.As(err, &te) {
		te.Template = name
	}
	return t, err
}

func parsePost(name string, p Post) (postTemplates, error) {
	var out postTemplates
	var err error
	if strings.TrimSpace(p.URL) == "" {
		return out, &contactkit.ValidationError{Field: name + " URL", Reason: "is required"}
	}
	if out.url, err = parseNamed(name+" URL", p.URL); err != nil {
		return out, err
	}
	for i, line := range strings.Split(strings.ReplaceAll(p.Headers, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\"(),/;<=>?@[\\]{}") {
			return out, &contactkit.ValidationError{Field: fmt.Sprintf("%s header line %d", name, i+1), Reason: "must be \"Name: value\""}
		}
		tv, err := parseNamed(name+" header "+k, strings.TrimSpace(v))
		if err != nil {
			return out, err
		}
		out.headers = append(out.headers, headerTemplate{name: k, value: tv})
		if strings.EqualFold(k, "Content-Type") {
			out.ctype = strings.TrimSpace(v)
		}
	}
	if out.body, err = parseNamed(name+" body", p.Body); err != nil {
		return out, err
	}
	out.bodyCtx = bodyContext(out.ctype)
	return out, nil
}

// bodyContext picks the escaping of body values from the Content-Type.
func bodyContext(ctype string) Context {
	mt, _, _ := mime.ParseMediaType(ctype)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return InJSON
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return InXML
	case mt == "application/x-www-form-urlencoded":
		return InForm
	}
	return InText
}

func (p *postTemplates) all() []*Template {
	ts := []*Template{p.url, p.body}
	for _, h := range p.headers {
		ts = append(ts, h.value)
	}
	return ts
}

func (p *postTemplates) forbid(prefix, name, reason string) error {
	for _, t := range p.all() {
		for _, v := range t.Variables() {
			if strings.HasPrefix(v.Name, prefix) {
				return &TemplateError{Template: name, Variable: "$" + v.Name, Pos: v.Pos, Reason: reason}
			}
		}
	}
	return nil
}

// Result is what an export did.
type Result struct {
	PDF          []byte
	Token        any // the decoded token response, nil without phase 1
	TokenStatus  int
	ReportStatus int
	// ReportBody is the first 4 KiB of the report post's answer, with
	// every secret removed (it is for logs and messages).
	ReportBody []byte
}

// Export renders the session as a PDF, runs the token post if configured,
// reads its JSON answer, then expands and sends the report post. Neither
// post is sent twice once it may have reached the back end, unless
// WithRetryPosts was given.
func (e *Exporter) Export(ctx context.Context, s *Session) (*Result, error) {
	if s == nil {
		return nil, &contactkit.ValidationError{Field: "session", Reason: "is nil"}
	}
	if err := ctx.Err(); err != nil {
		return nil, &PhaseError{Phase: "render", Err: err} // no work for a cancelled export
	}
	now := e.now()
	opts := e.render
	if opts.CreationDate.IsZero() {
		opts.CreationDate = now
	}
	pdf, err := RenderPDFBytes(s, opts)
	if err != nil {
		return nil, &PhaseError{Phase: "render", Err: err}
	}
	vals := &Values{
		ClientsID: s.ClientsID, ChatConnectorID: s.ChatConnectorID, ChatConnectorName: s.ChatConnectorName,
		ReportBase64: base64.StdEncoding.EncodeToString(pdf), ReportBytes: len(pdf),
		DateTime: now.In(e.t.Location()), PData: s.PData,
	}
	res := &Result{PDF: pdf}
	var known []string // the token response's secrets, for phase 2
	if e.token != nil {
		resp, err := e.post(ctx, "token", e.token, vals, nil) //nolint:bodyclose // readToken closes it
		if err != nil {
			return nil, err
		}
		res.TokenStatus = resp.StatusCode
		res.Token, err = e.readToken(resp)
		if err != nil && e.usesToken {
			return nil, err // the report post needs the token response
		}
		vals.TokenResponse = res.Token
		known = e.tokenSecrets(res.Token) // phase 2's Request.Secrets
	}
	xmlText, err := e.xml.Expand(vals, InXML)
	if err != nil {
		return nil, &PhaseError{Phase: "report", Err: err}
	}
	vals.XMLTemplateBase64 = base64.StdEncoding.EncodeToString([]byte(xmlText))
	resp, local, err := e.send(ctx, "report", &e.report, vals, known) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return nil, err
	}
	defer transport.CloseBody(resp.Body)
	res.ReportStatus = resp.StatusCode
	// Like an error body: read more than is kept, redact, then cut.
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	clean := local.Text(string(raw))
	res.ReportBody = []byte(clean[:min(len(clean), contactkit.MaxErrorBody)])
	return res, nil
}

// post expands and sends one phase; the response body is the caller's.
func (e *Exporter) post(ctx context.Context, phase string, p *postTemplates, vals *Values, known []string) (*http.Response, error) {
	resp, _, err := e.send(ctx, phase, p, vals, known)
	return resp, err
}

// send is post that also returns the redactor of this request's own
// secrets (known ones and those found in the expanded request) with the
// client's, for the answer's body. Send redacts its errors with the same
// secrets (Request.Secrets), so they come back clean.
func (e *Exporter) send(ctx context.Context, phase string, p *postTemplates, vals *Values, known []string) (*http.Response, *transport.Redactor, error) {
	fail := func(err error) error { return &PhaseError{Phase: phase, Err: err} }
	u, err := p.url.Expand(vals, InURL)
	if err != nil {
		return nil, nil, fail(err)
	}
	body, err := p.body.Expand(vals, p.bodyCtx)
	if err != nil {
		return nil, nil, fail(err)
	}
	header := http.Header{}
	for _, h := range p.headers {
		v, err := h.value.Expand(vals, InHeader)
		if err != nil {
			return nil, nil, fail(err)
		}
		header.Add(h.name, v)
	}
	ctype := header.Get("Content-Type")
	header.Del("Content-Type")
	secrets := append(slices.Clone(known), requestSecrets(u, header, body, p.bodyCtx)...)
	req := &transport.Request{
		Method: http.MethodPost, URL: u, Body: []byte(body), ContentType: ctype, Header: header,
		Idempotent: e.retryPosts, Endpoint: "POST " + phase + " post", Secrets: secrets,
	}
	resp, err := e.t.Send(ctx, req)
	if err != nil {
		var apiErr *contactkit.APIError
		if errors.As(err, &apiErr) {
			return nil, nil, &PhaseError{Phase: phase, StatusCode: apiErr.StatusCode, Body: apiErr.Body, Err: err}
		}
		return nil, nil, fail(err)
	}
	return resp, e.t.Redactor().ForCall(secrets), nil
}

// readToken decodes the token answer as JSON (numbers kept exact).
func (e *Exporter) readToken(resp *http.Response) (any, error) {
	defer transport.CloseBody(resp.Body)
	lr := &transport.LimitedReader{R: resp.Body, N: e.t.MaxResponseBytes()}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	var tok any
	if err := dec.Decode(&tok); err != nil {
		return nil, &PhaseError{Phase: "token", StatusCode: resp.StatusCode, Err: e.t.NewDecodeError("POST token post", resp, lr, err)}
	}
	return tok, nil
}
