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
	"strings"
	"time"

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

// ErrExportDisabled: the report post URL is not set, so jtel shows no
// Report Export button.
var ErrExportDisabled = errors.New("contactkit: chatexport: the report post URL is not set: export disabled")

// Option configures an Exporter. Options are checked by NewExporter.
type Option func(*Exporter) error

// RetryPolicy is the argument of WithRetry.
type RetryPolicy = transport.RetryPolicy

// httpOption wraps a transport option so that all options share one type.
func httpOption(o transport.Option) Option {
	return func(e *Exporter) error {
		e.httpOpts = append(e.httpOpts, o)
		return nil
	}
}

// WithHTTPClient sets the *http.Client that carries the posts.
func WithHTTPClient(hc *http.Client) Option { return httpOption(transport.WithHTTPClient(hc)) }

// WithUserAgent puts a product token before contactkit's in User-Agent.
func WithUserAgent(product string) Option { return httpOption(transport.WithUserAgent(product)) }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return httpOption(transport.WithLogger(l)) }

// WithRetry sets the retry policy. Posts are retried only when the request
// provably never left, unless WithRetryPosts is also given.
func WithRetry(p RetryPolicy) Option { return httpOption(transport.WithRetry(p)) }

// WithoutRetry makes every post a single attempt.
func WithoutRetry() Option { return httpOption(transport.WithoutRetry()) }

// WithMaxResponseBytes caps the token response (default 32 MiB).
func WithMaxResponseBytes(n int64) Option { return httpOption(transport.WithMaxResponseBytes(n)) }

// WithLocation sets the zone $dateTime is written in (UTC by default; jtel
// writes its server's local time).
func WithLocation(loc *time.Location) Option { return httpOption(transport.WithLocation(loc)) }

// WithRetryPosts opts in to retrying posts on 429, 502, 503, 504 and lost
// connections even after the request may have reached the back end. Only
// for back ends that ignore a duplicate report.
func WithRetryPosts() Option {
	return func(e *Exporter) error {
		e.retryPosts = true
		return nil
	}
}

// WithClock sets the clock of $dateTime and of the PDF's creation date.
func WithClock(now func() time.Time) Option {
	return func(e *Exporter) error {
		if now == nil {
			return &ValidationError{Field: "WithClock", Reason: "is nil"}
		}
		e.now = now
		return nil
	}
}

// WithRenderOptions sets how the PDF is rendered.
func WithRenderOptions(o RenderOptions) Option {
	return func(e *Exporter) error {
		e.render = o
		return nil
	}
}

// Exporter runs the two-phase report export. It is safe for concurrent
// use.
type Exporter struct {
	httpOpts   []transport.Option
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
	for _, o := range opts {
		if o == nil {
			return nil, &ValidationError{Field: "option", Reason: "is nil"}
		}
		if err := o(e); err != nil {
			return nil, err
		}
	}
	s, err := transport.NewSettings(e.httpOpts)
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
		return out, &ValidationError{Field: name + " URL", Reason: "is required"}
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
			return out, &ValidationError{Field: fmt.Sprintf("%s header line %d", name, i+1), Reason: "must be \"Name: value\""}
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
	// ReportBody is the first 4 KiB of the report post's answer.
	ReportBody []byte
}

// PhaseError says which phase of an export failed ("render", "token" or
// "report"), with the answer's status and the first 4 KiB of its body when
// there was one.
type PhaseError struct {
	Phase      string
	StatusCode int
	Body       []byte
	Err        error
}

func (e *PhaseError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("contactkit: chatexport: %s phase: status %d: %v", e.Phase, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("contactkit: chatexport: %s phase: %v", e.Phase, e.Err)
}

func (e *PhaseError) Unwrap() error { return e.Err }

// Export renders the session as a PDF, runs the token post if configured,
// reads its JSON answer, then expands and sends the report post. Neither
// post is sent twice once it may have reached the back end, unless
// WithRetryPosts was given.
func (e *Exporter) Export(ctx context.Context, s *Session) (*Result, error) {
	if s == nil {
		return nil, &ValidationError{Field: "session", Reason: "is nil"}
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
	if e.token != nil {
		resp, err := e.post(ctx, "token", e.token, vals) //nolint:bodyclose // readToken closes it
		if err != nil {
			return nil, err
		}
		res.TokenStatus = resp.StatusCode
		res.Token, err = e.readToken(resp)
		if err != nil && e.usesToken {
			return nil, err // the report post needs the token response
		}
		vals.TokenResponse = res.Token
	}
	xmlText, err := e.xml.Expand(vals, InXML)
	if err != nil {
		return nil, &PhaseError{Phase: "report", Err: err}
	}
	vals.XMLTemplateBase64 = base64.StdEncoding.EncodeToString([]byte(xmlText))
	resp, err := e.post(ctx, "report", &e.report, vals) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return nil, err
	}
	defer transport.CloseBody(resp.Body)
	res.ReportStatus = resp.StatusCode
	res.ReportBody, _ = io.ReadAll(io.LimitReader(resp.Body, transport.MaxErrorBody))
	return res, nil
}

// post expands and sends one phase; the response body is the caller's.
func (e *Exporter) post(ctx context.Context, phase string, p *postTemplates, vals *Values) (*http.Response, error) {
	fail := func(err error) error { return &PhaseError{Phase: phase, Err: err} }
	u, err := p.url.Expand(vals, InURL)
	if err != nil {
		return nil, fail(err)
	}
	body, err := p.body.Expand(vals, p.bodyCtx)
	if err != nil {
		return nil, fail(err)
	}
	header := http.Header{}
	for _, h := range p.headers {
		v, err := h.value.Expand(vals, InHeader)
		if err != nil {
			return nil, fail(err)
		}
		header.Add(h.name, v)
	}
	ctype := header.Get("Content-Type")
	header.Del("Content-Type")
	req := &transport.Request{
		Method: http.MethodPost, URL: u, Body: []byte(body), ContentType: ctype, Header: header,
		Idempotent: e.retryPosts, Endpoint: "POST " + phase + " post",
	}
	resp, err := e.t.Send(ctx, req)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return nil, &PhaseError{Phase: phase, StatusCode: apiErr.StatusCode, Body: apiErr.Body, Err: err}
		}
		return nil, fail(err)
	}
	return resp, nil
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
