package webservice

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/receive"
	"github.com/contactkit/contactkit/internal/transport"
)

// Func does the work for one request, after Avaya has been answered. Its
// context ends at the WithJobTimeout deadline or when Shutdown gives up.
// An error is retried under the receiver's retry policy unless it is
// Permanent (or a *ParamError or *contactkit.ValidationError, which a
// retry cannot fix); an error after the last attempt, and any panic, is
// logged and counted (Stats), never passed back to Avaya, which was
// answered already.
type Func func(ctx context.Context, r *Request) error

// Defaults of the receiver's options.
const (
	DefaultQueueSize   = 1024
	DefaultWorkers     = 8
	DefaultMaxBody     = 64 << 10
	DefaultMaxURL      = 8 << 10
	DefaultMaxParams   = 256
	DefaultJobTimeout  = time.Minute
	DefaultRetryAfter  = 5 * time.Second
	DefaultHeaderName  = "X-Avaya-Secret"
	defaultPartMaxSize = 16 << 10
)

// Option configures a Receiver; options are checked by New.
type Option func(*Receiver) error

func optionError(name, reason string) error {
	return &contactkit.ValidationError{Field: name, Reason: reason}
}

// WithQueue sets how many accepted requests may wait for a worker
// (default 1024). A request that finds the queue full is answered 503.
func WithQueue(n int) Option {
	return func(rc *Receiver) error {
		if n < 1 {
			return optionError("WithQueue", "must be at least 1")
		}
		rc.queueSize = n
		return nil
	}
}

// WithWorkers sets how many requests are worked on at once (default 8):
// the receiver runs exactly this many goroutines, however many requests
// arrive.
func WithWorkers(n int) Option {
	return func(rc *Receiver) error {
		if n < 1 {
			return optionError("WithWorkers", "must be at least 1")
		}
		rc.workers = n
		return nil
	}
}

// WithMaxBody caps a POST body (default 64 KiB; 413 beyond).
func WithMaxBody(n int64) Option {
	return func(rc *Receiver) error {
		if n < 1 {
			return optionError("WithMaxBody", "must be positive")
		}
		rc.maxBody = n
		return nil
	}
}

// WithMaxURL caps the request URI, path and query (default 8 KiB; 414
// beyond). Put the http.Server's MaxHeaderBytes above it (see NewServer).
func WithMaxURL(n int) Option {
	return func(rc *Receiver) error {
		if n < 1 {
			return optionError("WithMaxURL", "must be positive")
		}
		rc.maxURL = n
		return nil
	}
}

// WithMaxParams caps the number of parameter values (default 256; 400
// beyond).
func WithMaxParams(n int) Option {
	return func(rc *Receiver) error {
		if n < 1 {
			return optionError("WithMaxParams", "must be positive")
		}
		rc.maxParams = n
		return nil
	}
}

// WithLogger sets where rejected requests, failed and panicking calls of
// the Func, retries and dropped requests are logged (default
// slog.Default()); 401s and 503s are logged at most once a second, with
// their running totals, so that a flood costs no logging. Every record
// passes through a redactor first: the shared secrets never appear in it,
// in any form.
func WithLogger(l *slog.Logger) Option {
	return func(rc *Receiver) error {
		if l == nil {
			return optionError("WithLogger", "is nil")
		}
		rc.userLog = l
		return nil
	}
}

// WithNames sets the parameter names the typed helpers read (empty
// fields keep DefaultNames).
func WithNames(n Names) Option {
	return func(rc *Receiver) error {
		rc.names = n.withDefaults()
		return nil
	}
}

// WithLocation sets the Call Reporting server's zone, in which times sent
// without a zone are read (default UTC).
func WithLocation(loc *time.Location) Option {
	return func(rc *Receiver) error {
		if loc == nil {
			return optionError("WithLocation", "is nil")
		}
		rc.loc = loc
		return nil
	}
}

// WithRetry sets how a failing Func is tried again (default
// contactkit.DefaultRetryPolicy: 4 attempts, 200 ms doubling to 10 s, with
// jitter). Avaya has been answered by then and the document gives it no
// way to learn of a later failure, so this is the only second chance a
// call gets: the Func must be idempotent (key its writes on the call key).
func WithRetry(p contactkit.RetryPolicy) Option {
	return func(rc *Receiver) error {
		if p.MaxAttempts < 1 || p.MinWait < 0 || p.MaxWait < p.MinWait {
			return optionError("WithRetry", "needs MaxAttempts ≥ 1 and 0 ≤ MinWait ≤ MaxWait")
		}
		rc.retry = p
		return nil
	}
}

// WithoutRetry calls the Func once per request.
func WithoutRetry() Option {
	return func(rc *Receiver) error {
		rc.retry = contactkit.RetryPolicy{MaxAttempts: 1}
		return nil
	}
}

// WithJobTimeout bounds each attempt of the Func (default 1 minute), so
// that a stuck call cannot hold a worker for ever.
func WithJobTimeout(d time.Duration) Option {
	return func(rc *Receiver) error {
		if d <= 0 {
			return optionError("WithJobTimeout", "must be positive")
		}
		rc.jobTimeout = d
		return nil
	}
}

// WithAcceptStatus sets the status an accepted request is answered with:
// 200 (default) or 202. See New for why 200.
func WithAcceptStatus(code int) Option {
	return func(rc *Receiver) error {
		if code != http.StatusOK && code != http.StatusAccepted {
			return optionError("WithAcceptStatus", "must be 200 or 202")
		}
		rc.acceptStatus = code
		return nil
	}
}

// WithRetryAfter sets the Retry-After of a 503 (default 5 s, rounded up to
// whole seconds).
func WithRetryAfter(d time.Duration) Option {
	return func(rc *Receiver) error {
		if d <= 0 {
			return optionError("WithRetryAfter", "must be positive")
		}
		rc.retryAfter = strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
		return nil
	}
}

// WithAdditionalSecret accepts another secret in the same header, so that
// the profile's secret can be rotated without a window of 401s: add the
// new one, change the profile, then drop the old one.
func WithAdditionalSecret(secret string) Option {
	return func(rc *Receiver) error {
		s, err := headerSecret("WithAdditionalSecret", secret)
		if err != nil {
			return err
		}
		rc.addSecret(s)
		return nil
	}
}

// Stats are the receiver's counters since New.
type Stats struct {
	Accepted     uint64 // queued and answered 200/202
	Busy         uint64 // answered 503: queue full, or shutting down
	Unauthorized uint64 // answered 401
	Rejected     uint64 // answered another 4xx
	Handled      uint64 // the Func returned nil
	Failed       uint64 // the Func's last attempt returned an error
	Panicked     uint64 // the Func panicked or called runtime.Goexit (not retried)
	Retried      uint64 // attempts after a first one
	Dropped      uint64 // still queued when Shutdown's context ended
	Queued       int    // waiting for a worker now
}

// Receiver is the http.Handler that takes Avaya's Web Service Integration
// requests. Create it with New; stop it with Shutdown.
type Receiver struct {
	fn           Func
	header       string
	secrets      [][sha256.Size]byte
	redact       *transport.Redactor
	userLog      *slog.Logger
	log          *slog.Logger
	names        Names
	loc          *time.Location
	retry        contactkit.RetryPolicy
	jobTimeout   time.Duration
	queueSize    int
	workers      int
	maxBody      int64
	maxURL       int
	maxParams    int
	acceptStatus int
	retryAfter   string

	mu     sync.RWMutex // guards closed against the close of queue
	closed bool
	queue  chan *Request

	workCtx    context.Context
	cancelWork context.CancelFunc
	wg         sync.WaitGroup
	nextID     atomic.Uint64

	accepted, busy, unauthorized, rejected atomic.Uint64
	handled, failed, panicked, retried     atomic.Uint64
	dropped                                atomic.Uint64
	lastBusyLog, lastUnauthorizedLog       atomic.Int64 // unix nanoseconds, for mayLog
}

// New returns a receiver for Avaya's Web Service Integration profile that
// hands every request to fn. header names the custom HTTP header the
// admin set in the profile to carry secret (DefaultHeaderName when
// empty); a request without it, or with another value, is answered 401
// and goes no further. The secret is compared in constant time (of
// SHA-256 digests, so not even its length leaks) and is removed from
// everything the receiver logs. Whitespace around the secret is dropped,
// as HTTP drops it around a header value (a secret read from a file keeps
// its newline); a secret with other control characters, which no header
// can carry, is an error.
//
// What it accepts, where the document is silent (it says only "HTTP
// Method" and "URL Parameters"):
//
//   - GET with the parameters in the query string;
//   - POST (or PUT) with the parameters in the query string, in an
//     application/x-www-form-urlencoded body, in a multipart/form-data
//     body (value fields only: a file part is 415), or in a flat JSON
//     object (application/json; numbers and booleans become their text,
//     nested values their JSON text): "URL Parameters" reads both as the
//     query string and as a form, so both are taken and merged, the
//     body's values first. A body without Content-Type is read as a form;
//     any other type is 415.
//
// What it answers: 200 with {"status":200,"id":"…"} once the request is
// queued — before fn runs — so Avaya never waits on fn. 200 rather than
// 202 because Avaya's profile "Test" judges the answer and nothing says
// it counts 202 as success; WithAcceptStatus(202) is there for those who
// prefer the precise code. 503 with Retry-After when the queue is full or
// the receiver is shutting down: nothing accepted is ever lost, and a
// request that is not accepted is answered so, for Avaya to send again if
// it does and to show in its "API Server Request" log filter if it does
// not. 401 before anything else is looked at; then 405 for other
// methods, 413 for a body over WithMaxBody, 414 for a URL over
// WithMaxURL, 415, and 400 for a malformed query, form or JSON, or more
// than WithMaxParams values; each with a JSON body saying what was wrong
// ({"status":400,"error":"…"}).
//
// Serve it from an http.Server with timeouts (NewServer), shut that down
// first and then the receiver (Shutdown), which finishes the queued work.
func New(header, secret string, fn Func, opts ...Option) (*Receiver, error) {
	if fn == nil {
		return nil, optionError("fn", "is nil")
	}
	if header == "" {
		header = DefaultHeaderName
	}
	if !validHeaderName(header) {
		return nil, optionError("header", fmt.Sprintf("%q is not an HTTP header name", header))
	}
	secret, err := headerSecret("secret", secret)
	if err != nil {
		return nil, err
	}
	rc := &Receiver{
		fn: fn, header: http.CanonicalHeaderKey(header), redact: &transport.Redactor{},
		userLog: slog.Default(), names: DefaultNames, loc: time.UTC, retry: contactkit.DefaultRetryPolicy,
		jobTimeout: DefaultJobTimeout, queueSize: DefaultQueueSize, workers: DefaultWorkers,
		maxBody: DefaultMaxBody, maxURL: DefaultMaxURL, maxParams: DefaultMaxParams,
		acceptStatus: http.StatusOK, retryAfter: strconv.Itoa(int(DefaultRetryAfter / time.Second)),
	}
	rc.addSecret(secret)
	for _, o := range opts {
		if o == nil {
			return nil, optionError("option", "is nil")
		}
		if err := o(rc); err != nil {
			return nil, err
		}
	}
	rc.log = slog.New(transport.RedactingHandler(rc.userLog.Handler(), rc.redact))
	rc.queue = make(chan *Request, rc.queueSize)
	rc.workCtx, rc.cancelWork = context.WithCancel(context.Background())
	rc.wg.Add(rc.workers)
	for range rc.workers {
		go rc.work()
	}
	return rc, nil
}

// headerSecret is the secret as it arrives in a header: HTTP drops the
// whitespace around a header value, so a secret read from a file with its
// newline still matches, and a value no header can carry (other control
// characters) is refused rather than answered 401 for ever.
func headerSecret(field, s string) (string, error) {
	s = strings.Trim(s, " \t\r\n")
	if s == "" {
		return "", optionError(field, "is empty: set a custom header with a long random value in the Web Service Integration profile")
	}
	for i := range len(s) {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "", optionError(field, "has a control character, which no HTTP header value can carry")
		}
	}
	return s, nil
}

func (rc *Receiver) addSecret(s string) {
	rc.secrets = append(rc.secrets, sha256.Sum256([]byte(s)))
	rc.redact.AddFixed(s)
}

func validHeaderName(s string) bool {
	for i := range len(s) {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return s != ""
}

// authorized compares the header with every secret, always all of them.
func (rc *Receiver) authorized(r *http.Request) bool {
	vs := r.Header.Values(rc.header)
	if len(vs) != 1 {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(vs[0])))
	ok := 0
	for i := range rc.secrets {
		ok |= subtle.ConstantTimeCompare(got[:], rc.secrets[i][:])
	}
	return ok == 1
}

// Stats returns the counters.
func (rc *Receiver) Stats() Stats {
	return Stats{
		Accepted: rc.accepted.Load(), Busy: rc.busy.Load(), Unauthorized: rc.unauthorized.Load(),
		Rejected: rc.rejected.Load(), Handled: rc.handled.Load(), Failed: rc.failed.Load(),
		Panicked: rc.panicked.Load(), Retried: rc.retried.Load(), Dropped: rc.dropped.Load(),
		Queued: len(rc.queue),
	}
}

// badRequest is a rejection with its status and message.
type badRequest struct {
	status int
	msg    string
}

func (e *badRequest) Error() string { return e.msg }

func reject(status int, format string, args ...any) error {
	return &badRequest{status: status, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP checks the secret first, so that a request without it, of
// whatever method, costs one hash and at most a log line a second; then
// the method, the parameters and the queue.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !rc.authorized(r) {
		total := rc.unauthorized.Add(1)
		if mayLog(&rc.lastUnauthorizedLog) { // anyone who reaches the URL can send these: a flood must not flood the log
			rc.log.LogAttrs(r.Context(), slog.LevelWarn, "contactkit: avaya webservice request refused: wrong or missing secret",
				slog.Int("status", http.StatusUnauthorized), slog.String("header", rc.header),
				slog.String("remote", r.RemoteAddr), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Uint64("answered_401_total", total))
		}
		receive.Error(w, http.StatusUnauthorized, "missing or wrong "+rc.header+" header")
		return
	}
	method := r.Method
	switch method {
	case http.MethodGet, http.MethodPost:
	case http.MethodPut:
		method = http.MethodPost
	default:
		w.Header().Set("Allow", "GET, POST, PUT")
		rc.refuse(w, r, &badRequest{http.StatusMethodNotAllowed, "method " + r.Method + " not allowed: the profile's HTTP Method must be GET or POST"})
		return
	}
	params, err := rc.params(r, method)
	if err != nil {
		rc.refuse(w, r, err)
		return
	}
	header := r.Header.Clone()
	header.Del(rc.header)
	req := &Request{
		ID: strconv.FormatUint(rc.nextID.Add(1), 10), Method: method, Params: params, Header: header,
		RemoteAddr: r.RemoteAddr, Received: time.Now(), names: &rc.names, loc: rc.loc,
	}
	if !rc.enqueue(req) {
		total := rc.busy.Add(1)
		if mayLog(&rc.lastBusyLog) { // a flood of 503s is when logging must stay cheap
			rc.log.LogAttrs(r.Context(), slog.LevelWarn, "contactkit: avaya webservice request answered 503: queue full or shutting down",
				slog.String("id", req.ID), slog.String("remote", r.RemoteAddr), slog.Int("queue", rc.queueSize),
				slog.Uint64("answered_503_total", total))
		}
		w.Header().Set("Retry-After", rc.retryAfter)
		receive.Error(w, http.StatusServiceUnavailable, "busy: send again later")
		return
	}
	rc.accepted.Add(1)
	receive.JSON(w, rc.acceptStatus, acceptedBody{Status: rc.acceptStatus, ID: req.ID})
}

// mayLog reports whether a line of the kind last logged at *last (unix
// nanoseconds) may be logged now: at most one a second.
func mayLog(last *atomic.Int64) bool {
	now, prev := time.Now().UnixNano(), last.Load()
	return now-prev >= int64(time.Second) && last.CompareAndSwap(prev, now)
}

type acceptedBody struct {
	Status int    `json:"status"`
	ID     string `json:"id"`
}

func (rc *Receiver) enqueue(req *Request) bool {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	if rc.closed {
		return false
	}
	select {
	case rc.queue <- req:
		return true
	default:
		return false
	}
}

func (rc *Receiver) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusBadRequest, err.Error()
	var br *badRequest
	if errors.As(err, &br) {
		status = br.status
	}
	rc.rejected.Add(1)
	rc.log.LogAttrs(r.Context(), slog.LevelWarn, "contactkit: avaya webservice request rejected",
		slog.Int("status", status), slog.String("reason", msg), slog.String("remote", r.RemoteAddr), slog.String("path", r.URL.Path))
	receive.Error(w, status, msg)
}

// params reads the query and, for POST, the body.
func (rc *Receiver) params(r *http.Request, method string) (url.Values, error) {
	// RequestURI is what came on the wire; a request built in process (an
	// adapter, a test) has none, and its URL is held to the same cap.
	if len(r.RequestURI) > rc.maxURL || len(r.URL.RawQuery)+len(r.URL.Path) > rc.maxURL {
		return nil, reject(http.StatusRequestURITooLong, "the URL is over %d bytes", rc.maxURL)
	}
	query, err := rc.parseValues(r.URL.RawQuery, "query string")
	if err != nil {
		return nil, err
	}
	if method == http.MethodGet {
		return query, rc.countParams(query)
	}
	if ce := strings.TrimSpace(r.Header.Get("Content-Encoding")); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, reject(http.StatusUnsupportedMediaType, "Content-Encoding %q is not supported: send the body uncompressed", ce)
	}
	body, err := rc.body(r)
	if err != nil {
		return nil, err
	}
	for k, vs := range query { // the body's values first, as net/http's Request.Form has them
		body[k] = append(body[k], vs...)
	}
	return body, rc.countParams(body)
}

func (rc *Receiver) countParams(v url.Values) error {
	n := 0
	for _, vs := range v {
		n += len(vs)
	}
	if n > rc.maxParams {
		return reject(http.StatusBadRequest, "%d parameter values, more than the %d accepted", n, rc.maxParams)
	}
	return nil
}

// parseValues parses a query string or form body; the error says what
// was wrong without quoting the input.
func (rc *Receiver) parseValues(s, what string) (url.Values, error) {
	v, err := url.ParseQuery(s)
	switch {
	case err == nil:
		return v, nil
	case strings.Contains(err.Error(), "exceeded limit"): // net/url's own cap (GODEBUG urlmaxqueryparams), not a malformed input
		return nil, reject(http.StatusBadRequest, "more parameter values than the %d accepted", rc.maxParams)
	}
	return nil, reject(http.StatusBadRequest, "malformed %s: %s", what, parseReason(err))
}

// parseReason is url's error without the input it quotes (which may be long).
func parseReason(err error) string {
	var ee url.EscapeError
	if errors.As(err, &ee) {
		return "bad %-escape"
	}
	var ie url.InvalidHostError
	if errors.As(err, &ie) {
		return "invalid character"
	}
	if strings.Contains(err.Error(), "semicolon") {
		return "semicolons are not separators: escape them as %3B"
	}
	return "not name=value pairs joined by &"
}

func (rc *Receiver) readBody(r *http.Request) ([]byte, error) {
	b, err := receive.ReadBody(r, rc.maxBody)
	switch {
	case errors.Is(err, receive.ErrTooLarge):
		return nil, reject(http.StatusRequestEntityTooLarge, "the body is over %d bytes", rc.maxBody)
	case err != nil:
		return nil, reject(http.StatusBadRequest, "the body did not arrive whole")
	}
	return b, nil
}

func (rc *Receiver) body(r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	mt, ps, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = "application/x-www-form-urlencoded", nil
	}
	if err != nil {
		return nil, reject(http.StatusUnsupportedMediaType, "malformed Content-Type")
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		b, err := rc.readBody(r)
		if err != nil {
			return nil, err
		}
		return rc.parseValues(strings.TrimSpace(string(b)), "form body")
	case "application/json":
		b, err := rc.readBody(r)
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(b))) == 0 { // the parameters are in the URL; the client set the type anyway
			return url.Values{}, nil
		}
		return jsonParams(b)
	case "multipart/form-data":
		return rc.multipartParams(r, ps["boundary"])
	}
	b, err := rc.readBody(r)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return url.Values{}, nil
	}
	return nil, reject(http.StatusUnsupportedMediaType,
		"Content-Type %q is not accepted: send application/x-www-form-urlencoded, multipart/form-data or a JSON object", mt)
}

// jsonParams reads a flat JSON object as parameters.
func jsonParams(b []byte) (url.Values, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, reject(http.StatusBadRequest, "the JSON body is not one object")
	}
	v := make(url.Values, len(m))
	for k, raw := range m {
		switch {
		case len(raw) > 0 && raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, reject(http.StatusBadRequest, "the JSON value of %q is malformed", k)
			}
			v.Add(k, s)
		case string(raw) == "null":
			v.Add(k, "")
		case len(raw) > 0 && raw[0] == '[':
			var arr []json.RawMessage
			if err := json.Unmarshal(raw, &arr); err != nil {
				return nil, reject(http.StatusBadRequest, "the JSON value of %q is malformed", k)
			}
			for _, e := range arr {
				var s string
				if json.Unmarshal(e, &s) == nil {
					v.Add(k, s)
				} else {
					v.Add(k, string(e))
				}
			}
		default:
			v.Add(k, string(raw))
		}
	}
	return v, nil
}

func (rc *Receiver) multipartParams(r *http.Request, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, reject(http.StatusBadRequest, "multipart/form-data without a boundary")
	}
	if r.ContentLength > rc.maxBody {
		return nil, reject(http.StatusRequestEntityTooLarge, "the body is over %d bytes", rc.maxBody)
	}
	lr := &io.LimitedReader{R: r.Body, N: rc.maxBody + 1}
	mr := multipart.NewReader(lr, boundary)
	v := url.Values{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return v, nil
		}
		if lr.N <= 0 {
			return nil, reject(http.StatusRequestEntityTooLarge, "the body is over %d bytes", rc.maxBody)
		}
		if err != nil {
			return nil, reject(http.StatusBadRequest, "malformed multipart body")
		}
		if p.FileName() != "" {
			_ = p.Close()
			return nil, reject(http.StatusUnsupportedMediaType, "file parts are not accepted (part %q)", p.FormName())
		}
		b, err := io.ReadAll(io.LimitReader(p, defaultPartMaxSize+1))
		_ = p.Close()
		switch {
		case lr.N <= 0:
			return nil, reject(http.StatusRequestEntityTooLarge, "the body is over %d bytes", rc.maxBody)
		case err != nil:
			return nil, reject(http.StatusBadRequest, "malformed multipart body")
		case len(b) > defaultPartMaxSize:
			return nil, reject(http.StatusRequestEntityTooLarge, "part %q is over %d bytes", p.FormName(), defaultPartMaxSize)
		}
		if p.FormName() == "" {
			return nil, reject(http.StatusBadRequest, "a multipart part has no form name")
		}
		v.Add(p.FormName(), string(b))
	}
}

// work runs queued requests until the queue is closed and empty.
func (rc *Receiver) work() {
	var current *Request
	finished := false
	defer func() {
		if !finished {
			// The Func ended this goroutine without returning (runtime.Goexit,
			// as t.FailNow does in a test): count it and put a worker in this
			// one's place, or the pool would shrink to nothing and leave
			// accepted requests unhandled. Our own count is still held, so
			// the Add cannot race Shutdown's Wait.
			rc.panicked.Add(1)
			key, _ := current.CallKey()
			rc.log.LogAttrs(context.Background(), slog.LevelError,
				"contactkit: avaya webservice function did not return (runtime.Goexit, t.FailNow?); not retried",
				slog.String("id", current.ID), slog.String("call_key", string(key)))
			rc.wg.Add(1)
			go rc.work()
		}
		rc.wg.Done()
	}()
	for current = range rc.queue {
		if rc.workCtx.Err() != nil {
			rc.drop(current)
			continue
		}
		rc.run(current)
	}
	finished = true
}

func (rc *Receiver) drop(req *Request) {
	rc.dropped.Add(1)
	key, _ := req.CallKey()
	rc.log.LogAttrs(context.Background(), slog.LevelError, "contactkit: avaya webservice request dropped: shutdown ended before it was handled",
		slog.String("id", req.ID), slog.String("call_key", string(key)))
}

// permanentError marks an error that a retry cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err so that the receiver does not retry the Func.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

func permanent(err error) bool {
	var p *permanentError
	var pe *ParamError
	var ve *contactkit.ValidationError
	return errors.As(err, &p) || errors.As(err, &pe) || errors.As(err, &ve)
}

// run calls the Func with retries; it never panics.
func (rc *Receiver) run(req *Request) {
	for attempt := 0; ; attempt++ {
		var stack []byte
		err := receive.Call(func() error {
			defer func() {
				if p := recover(); p != nil {
					stack = debug.Stack()
					panic(p) // receive.Call turns it into an error
				}
			}()
			ctx, cancel := context.WithTimeout(rc.workCtx, rc.jobTimeout)
			defer cancel()
			return rc.fn(ctx, req)
		})
		if err == nil {
			rc.handled.Add(1)
			return
		}
		key, _ := req.CallKey()
		attrs := []slog.Attr{slog.String("id", req.ID), slog.String("call_key", string(key)),
			slog.Int("attempt", attempt+1), slog.String("error", err.Error())}
		if errors.Is(err, receive.ErrPanic) {
			rc.panicked.Add(1)
			rc.log.LogAttrs(context.Background(), slog.LevelError, "contactkit: avaya webservice function panicked; not retried",
				append(attrs, slog.String("stack", string(stack)))...)
			return
		}
		last := attempt+1 >= rc.retry.MaxAttempts || permanent(err) || rc.workCtx.Err() != nil
		if last {
			rc.failed.Add(1)
			rc.log.LogAttrs(context.Background(), slog.LevelError, "contactkit: avaya webservice function failed", attrs...)
			return
		}
		rc.log.LogAttrs(context.Background(), slog.LevelWarn, "contactkit: avaya webservice function failed; trying again", attrs...)
		if transport.Sleep(rc.workCtx, transport.Backoff(rc.retry.MinWait, rc.retry.MaxWait, attempt)) != nil {
			rc.failed.Add(1) // the last line about it must not be "trying again"
			rc.log.LogAttrs(context.Background(), slog.LevelError,
				"contactkit: avaya webservice function failed: shutdown ended before it was tried again", attrs...)
			return
		}
		rc.retried.Add(1)
	}
}

// ErrShutdown is matched by Shutdown's error when its context ended
// before the queue was drained.
var ErrShutdown = errors.New("webservice: shutdown ended before the queue was drained")

// Shutdown stops taking requests (they are answered 503 from now on) and
// waits until every queued request has been handled. When ctx ends first
// it cancels the Func's context, logs and counts (Stats.Dropped) each
// request still queued, and returns an error matching ErrShutdown and
// ctx's error, without waiting for Funcs that ignore their context. Call
// it after the http.Server's Shutdown, so that no request is in flight.
// Calling it again waits again.
func (rc *Receiver) Shutdown(ctx context.Context) error {
	rc.mu.Lock()
	if !rc.closed {
		rc.closed = true
		close(rc.queue)
	}
	rc.mu.Unlock()
	done := make(chan struct{})
	go func() {
		rc.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	rc.cancelWork()
	for req := range rc.queue { // the workers drop the rest too; each request is taken once
		rc.drop(req)
	}
	return fmt.Errorf("%w: %w", ErrShutdown, ctx.Err())
}
