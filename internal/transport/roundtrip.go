package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
)

// attempt is the RoundTripper at the top of every client's HTTP stack, so
// that everything a client sends — REST calls from Send's retry loop,
// the Avaya websocket dial, the web chat SQS client's calls — gets the
// same treatment on every attempt:
//   - User-Agent: the client's, put before one another library set;
//   - credentials: applied on every attempt (a rotating token is fetched
//     fresh for each resend) and only to the client's own host (Send sets
//     both on the requests it builds; this sets them on foreign ones);
//   - a progress timeout: headers, and each body read, within
//     ResponseTimeout, else contactkit.ErrTimeout;
//   - one debug log record, with secrets removed.
//
// Below it sits the user's wrapper (tracing), then the base transport.
type attempt struct {
	next    http.RoundTripper
	ua      string
	auth    Auth
	redact  *Redactor
	log     *slog.Logger
	timeout time.Duration
}

func (t *attempt) RoundTrip(req *http.Request) (*http.Response, error) {
	cs, _ := req.Context().Value(callStateKey{}).(*callState)
	if cs != nil {
		cs.attempt++
	}
	var st *attemptState
	var out *http.Request
	switch {
	case cs != nil && cs.next != nil && req.Context() == cs.next.ctx:
		// Send built this request on the attempt's own context, with
		// User-Agent and credentials set: it goes as it is.
		st, cs.next = cs.next, nil
		out = req
	case cs != nil && cs.prepared && (cs.authHost == "" || req.URL.Host == cs.authHost):
		// A redirect Send's client follows to the same host (a client
		// without a base URL, the chat export's, sends only the headers
		// its templates set). The hop's request carries the first hop's
		// context, which ends with its body: the hop's own is the call's.
		st = t.newAttemptState(cs)
		out = req.WithContext(st.ctx)
	case cs != nil && cs.prepared:
		// A redirect to another host (net/http forwards Authorization to
		// the same hostname on another port): never the credentials.
		st = t.newAttemptState(cs)
		out = req.Clone(st.ctx)
		out.Header.Del("Authorization")
	default:
		st = t.newAttemptState(req.Context())
		out = req.Clone(st.ctx)
		if err := t.setHeaders(out, cs); err != nil {
			st.w.cancel(nil)
			return nil, err
		}
	}
	ctx, cancel, w := st.ctx, st.w.cancel, &st.w
	w.begin() // waiting for the request to be written and the headers to come
	w.timer = time.AfterFunc(t.timeout, w.fire)
	if out.Body != nil && out.Body != http.NoBody {
		out.Body = &uploadBody{ReadCloser: out.Body, w: w}
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(out)
	w.end()
	if err != nil {
		w.close()
		if w.fired.Load() && errors.Is(context.Cause(ctx), errNoProgress) {
			err = &timeoutError{what: "no response headers", d: t.timeout}
		}
		cancel(nil)
		t.logAttempt(ctx, out, cs, start, nil, err)
		return nil, err
	}
	t.logAttempt(ctx, out, cs, start, resp, nil)
	if rwc, ok := resp.Body.(io.ReadWriteCloser); ok && resp.StatusCode == http.StatusSwitchingProtocols {
		// An upgraded connection (the Avaya websocket) idles as it likes:
		// no read timeout, and its context lives until it is closed.
		w.close()
		resp.Body = &upgradedBody{ReadWriteCloser: rwc, cancel: cancel}
		return resp, nil
	}
	st.body = downloadBody{rc: resp.Body, w: w, ctx: ctx}
	resp.Body = &st.body
	return resp, nil
}

// newAttemptState makes the context of one attempt, which its watch
// cancels when the server makes no progress.
func (t *attempt) newAttemptState(parent context.Context) *attemptState {
	ctx, cancel := context.WithCancelCause(parent)
	return &attemptState{ctx: ctx, w: watch{cancel: cancel, d: t.timeout}}
}

// setHeaders puts the client's User-Agent before one another library set
// and applies the credentials when the request goes to the call's host
// (cs may be nil: a request the SDK did not start gets no credentials).
func (t *attempt) setHeaders(req *http.Request, cs *callState) error {
	if ua := req.Header.Get("User-Agent"); ua == "" {
		req.Header.Set("User-Agent", t.ua)
	} else if !strings.HasPrefix(ua, t.ua) {
		req.Header.Set("User-Agent", t.ua+" "+ua)
	}
	if cs != nil && cs.authHost != "" && cs.authHost == req.URL.Host {
		red := t.redact
		if cs.redact != nil {
			red = cs.redact // the call keeps the token it fetched, and the client learns it too
		}
		return t.auth.apply(req.Context(), req, red)
	}
	return nil
}

func (t *attempt) logAttempt(ctx context.Context, req *http.Request, cs *callState, start time.Time, resp *http.Response, err error) {
	if t.log == nil || !t.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	n, red := 1, t.redact
	if cs != nil {
		n = cs.attempt
		if cs.redact != nil {
			red = cs.redact
		}
	}
	attrs := []slog.Attr{
		slog.String("operation", red.Text(contactkit.OperationName(ctx))),
		slog.String("method", req.Method),
		slog.String("url", red.URL(req.URL)),
		slog.Int("attempt", n),
		slog.Duration("duration", time.Since(start)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", red.Text(err.Error())))
	} else {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	t.log.LogAttrs(ctx, slog.LevelDebug, "contactkit: http attempt", attrs...)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// base transport.
func (t *attempt) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// errNoProgress is the cause with which a watch cancels its attempt.
var errNoProgress = errors.New("no progress")

// watch cancels an attempt that makes no progress for d while it waits
// for the server: while the request is written and its headers awaited,
// and during each read of the body. Between reads (the caller busy with
// what it read) nothing is timed. Waits and progress are marked with
// atomic stores; one timer checks them, so a body read costs no timer
// operation.
type watch struct {
	timer   *time.Timer
	cancel  context.CancelCauseFunc
	d       time.Duration
	waiting atomic.Bool  // a wait for the server is under way
	since   atomic.Int64 // monotonic ns of the wait's start or its last progress
	fired   atomic.Bool  // the attempt was cancelled for want of progress
	done    atomic.Bool  // the attempt is over: the timer stays stopped
}

// epoch anchors monotonic: time.Since reads the monotonic clock.
var epoch = time.Now()

func monotonic() int64 { return int64(time.Since(epoch)) }

func (w *watch) begin() {
	w.since.Store(monotonic())
	w.waiting.Store(true)
}

func (w *watch) progress() { w.since.Store(monotonic()) }

func (w *watch) end() { w.waiting.Store(false) }

// fire checks the wait: no progress for d cancels the attempt; otherwise
// the timer is set for when d would run out.
func (w *watch) fire() {
	if w.done.Load() {
		return
	}
	if !w.waiting.Load() {
		w.timer.Reset(w.d)
		return
	}
	idle := time.Duration(monotonic() - w.since.Load())
	if idle < w.d {
		w.timer.Reset(w.d - idle)
		return
	}
	w.fired.Store(true)
	w.cancel(errNoProgress)
}

func (w *watch) close() {
	w.done.Store(true)
	w.timer.Stop()
}

// timeoutError is contactkit.ErrTimeout with what timed out. It is a
// net.Error whose Timeout() is true, so a retry policy treats it as a
// connection error.
type timeoutError struct {
	what string
	d    time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("%s: %s within %s", ErrTimeout, e.what, e.d)
}
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }
func (e *timeoutError) Timeout() bool        { return true }
func (e *timeoutError) Temporary() bool      { return true }

// uploadBody counts each read of a request body as progress, so a large
// upload on a slow link is not cut while its bytes still flow.
type uploadBody struct {
	io.ReadCloser
	w *watch
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.progress()
	}
	return n, err
}

// attemptState holds an attempt's context, watch and body wrapper in one
// allocation.
type attemptState struct {
	ctx  context.Context
	w    watch
	body downloadBody
}

// downloadBody times each read of a response body and ends the attempt's
// context when it is closed.
type downloadBody struct {
	rc  io.ReadCloser
	w   *watch
	ctx context.Context
}

func (b *downloadBody) Read(p []byte) (int, error) {
	b.w.begin()
	n, err := b.rc.Read(p)
	b.w.end()
	if err != nil && b.w.fired.Load() && errors.Is(context.Cause(b.ctx), errNoProgress) {
		err = &timeoutError{what: "no body bytes", d: b.w.d}
	}
	return n, err
}

func (b *downloadBody) Close() error {
	b.w.close()
	err := b.rc.Close()
	b.w.cancel(nil)
	return err
}

// upgradedBody ends the attempt's context when the connection is closed.
type upgradedBody struct {
	io.ReadWriteCloser
	cancel context.CancelCauseFunc
}

func (b *upgradedBody) Close() error {
	err := b.ReadWriteCloser.Close()
	b.cancel(nil)
	return err
}
