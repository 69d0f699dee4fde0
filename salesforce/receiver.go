package salesforce

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/receive"
	"github.com/contactkit/contactkit/internal/transport"
)

// RecordFunc writes one record. Its error picks the answer jtel gets:
// nil → 200; contactkit.ErrConflict → 409 and contactkit.ErrNotFound →
// 404 (jtel does not send the record again); contactkit.ErrLocked → 423
// (jtel sends it again). Any other error, or a panic, also answers 423,
// so that no record is lost. Wrapped errors count (errors.Is).
//
// jtel may send a record more than once (after a 423, or when an answer
// was lost), so writing must be idempotent: key it on
// jtelStatisticsPartAID and the line's fields.
type RecordFunc func(ctx context.Context, r *Record) error

// UnreadableFunc receives a body that could not be read as a record at
// all (not a JSON object, or a field with no reasonable reading), exactly
// as it arrived, and why (for a field, errors.As finds a
// *contactkit.ValidationError naming it). Its error picks the answer as RecordFunc's
// does: return nil only once the body is kept durably (a quarantine
// table, say), so that jtel stops sending it (200); any error answers 423
// and jtel sends the record again. The body holds whatever the sender
// put in it: redact it before logging it yourself.
type UnreadableFunc func(ctx context.Context, body []byte, err error) error

// DefaultMaxBodyBytes caps a record body; a record is a few hundred bytes.
const DefaultMaxBodyBytes = 64 << 10

// maxLoggedBody is how much of an unreadable body the default hook logs.
const maxLoggedBody = 4 << 10

// HandlerOption configures NewHandler.
type HandlerOption func(*handler) error

// HandlerMaxBody caps the request body (default 64 KiB); larger bodies are
// answered 413.
func HandlerMaxBody(n int64) HandlerOption {
	return func(h *handler) error {
		if n <= 0 {
			return &contactkit.ValidationError{Field: "HandlerMaxBody", Reason: "must be positive"}
		}
		h.maxBody = n
		return nil
	}
}

// HandlerLocation sets the jtel server's zone, in which record times sent
// without a zone are read (UTC by default). Times sent with a zone keep
// theirs.
func HandlerLocation(loc *time.Location) HandlerOption {
	return func(h *handler) error {
		if loc == nil {
			return &contactkit.ValidationError{Field: "HandlerLocation", Reason: "is nil"}
		}
		h.loc = loc
		return nil
	}
}

// HandlerLogger logs the errors and panics of the RecordFunc that were
// answered 423, unreadable records (see HandlerUnreadable) and rejected
// requests, without credentials. Without it only unreadable records are
// logged, to slog.Default().
func HandlerLogger(l *slog.Logger) HandlerOption {
	return func(h *handler) error {
		if l == nil {
			return &contactkit.ValidationError{Field: "HandlerLogger", Reason: "is nil"}
		}
		h.log = l
		return nil
	}
}

// HandlerUnreadable sets what happens to a record that cannot be read at
// all. By default it is logged at error level (the body, up to 4 KiB,
// with the handler's credentials and secret-named fields removed) and
// answered 423, so that jtel sends it again: see NewHandler for why.
func HandlerUnreadable(fn UnreadableFunc) HandlerOption {
	return func(h *handler) error {
		if fn == nil {
			return &contactkit.ValidationError{Field: "HandlerUnreadable", Reason: "is nil"}
		}
		h.unreadable = fn
		return nil
	}
}

// RequireAuth checks every request with fn before anything else; an error
// answers 401. Use it for schemes other than RequireBearer and RequireBasic.
func RequireAuth(fn func(*http.Request) error) HandlerOption {
	return func(h *handler) error {
		if fn == nil {
			return &contactkit.ValidationError{Field: "RequireAuth", Reason: "is nil"}
		}
		h.auth = fn
		return nil
	}
}

var errBadCredentials = errors.New("bad credentials")

// RequireBearer accepts only "Authorization: Bearer <token>", compared in
// constant time. Use it whenever the endpoint is reachable beyond localhost.
func RequireBearer(token string) HandlerOption {
	if token == "" {
		return func(*handler) error {
			return &contactkit.ValidationError{Field: "RequireBearer", Reason: "token is empty"}
		}
	}
	want := []byte("Bearer " + token)
	check := RequireAuth(func(r *http.Request) error {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			return errBadCredentials
		}
		return nil
	})
	return func(h *handler) error {
		h.redact.AddFixed(token)
		return check(h)
	}
}

// RequireBasic accepts only these HTTP Basic credentials, compared in
// constant time.
func RequireBasic(user, password string) HandlerOption {
	if user == "" {
		return func(*handler) error {
			return &contactkit.ValidationError{Field: "RequireBasic", Reason: "user is empty"}
		}
	}
	check := RequireAuth(func(r *http.Request) error {
		u, p, ok := r.BasicAuth()
		okUser := subtle.ConstantTimeCompare([]byte(u), []byte(user)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(p), []byte(password)) == 1
		if !ok || !okUser || !okPass {
			return errBadCredentials
		}
		return nil
	})
	return func(h *handler) error {
		h.redact.AddFixed(password)
		h.redact.AddFixed(base64.StdEncoding.EncodeToString([]byte(user + ":" + password)))
		return check(h)
	}
}

type handler struct {
	fn         RecordFunc
	unreadable UnreadableFunc // nil: logUnreadable
	maxBody    int64
	loc        *time.Location
	log        *slog.Logger
	auth       func(*http.Request) error
	redact     *transport.Redactor
}

// NewHandler returns the receiving side of writeCallStatistics: an
// http.Handler that decodes one record per POST and hands it to fn. What
// it accepts, where jtel's document is silent:
//
//   - any Content-Type, or none: the document names none, so the body
//     decides (a JSON object is read whether it comes as application/json,
//     text/plain or unlabelled); a leading UTF-8 byte-order mark is skipped;
//   - the lenient field readings described at Record.
//
// What it answers without calling fn: 405 to other methods; 401 when an
// auth option rejects the request; 413 over the body cap; 415 for a body
// in a Content-Encoding other than identity (compressed bytes are not
// decoded). A body that cannot be read at all goes to the
// HandlerUnreadable hook, which answers 423 by default; a body that
// failed to arrive (the client went away or stalled) is answered 423.
//
// Otherwise fn's error picks the code (see RecordFunc).
//
// Why 423 for a record that cannot be read: jtel's status table has four
// codes, and 423 ("writing not possible at this time") is the only one
// after which jtel sends the record again. 200 would claim "data was
// written", 404 and 409 tell jtel to drop it, and 400 is not in the table
// at all, so nothing says jtel would keep it. With 423 the record stays
// in jtel until a receiver that can read it (fixed, or upgraded for what
// a newer jtel sends) answers 200; meanwhile the hook shows it. The
// handler never answers 400.
func NewHandler(fn RecordFunc, opts ...HandlerOption) (http.Handler, error) {
	if fn == nil {
		return nil, &contactkit.ValidationError{Field: "fn", Reason: "is nil"}
	}
	h := &handler{fn: fn, maxBody: DefaultMaxBodyBytes, loc: time.UTC, redact: &transport.Redactor{}}
	for _, o := range opts {
		if o == nil {
			return nil, &contactkit.ValidationError{Field: "option", Reason: "is nil"}
		}
		if err := o(h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, "only POST is accepted")
		return
	}
	if h.auth != nil {
		if err := h.auth(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="writeCallStatistics"`)
			h.reject(w, r, http.StatusUnauthorized, "unauthorized")
			return
		}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(strings.TrimSpace(ce), "identity") {
		h.reject(w, r, http.StatusUnsupportedMediaType, "Content-Encoding is not supported: send the JSON uncompressed")
		return
	}
	body, err := receive.ReadBody(r, h.maxBody)
	switch {
	case errors.Is(err, receive.ErrTooLarge):
		h.reject(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", h.maxBody))
		return
	case err != nil:
		h.logf(r.Context(), slog.LevelWarn, "contactkit: writeCallStatistics body not received; answered 423", "error", err)
		receive.Error(w, http.StatusLocked, "reading the body failed: send again later")
		return
	}
	var rec Record
	if err := decodeRecord(body, &rec); err != nil {
		derr := fmt.Errorf("salesforce: unreadable writeCallStatistics record: %w", err)
		if h.unreadable == nil {
			h.answer(w, r, h.logUnreadable(r, body, derr), "record unreadable")
			return
		}
		h.answer(w, r, receive.Call(func() error { return h.unreadable(r.Context(), body, derr) }), "record unreadable")
		return
	}
	rec.inLocation(h.loc)
	h.answer(w, r, receive.Call(func() error { return h.fn(r.Context(), &rec) }), "record not written")
}

var errNotObject = errors.New("the body is not one JSON object")

// decodeRecord reads one record from a whole body.
func decodeRecord(body []byte, rec *Record) error {
	body = bytes.TrimPrefix(body, utf8BOM)
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errNotObject
	}
	return rec.UnmarshalJSON(body)
}

// okBody is the 200 answer, encoded once.
var okBody = json.RawMessage(`{"status":200}`)

// answer turns the error of the function or the hook into jtel's status.
func (h *handler) answer(w http.ResponseWriter, r *http.Request, err error, what string) {
	switch {
	case err == nil:
		receive.JSON(w, http.StatusOK, okBody)
	case errors.Is(err, contactkit.ErrConflict):
		h.reject(w, r, http.StatusConflict, "conflict: do not resend")
	case errors.Is(err, contactkit.ErrNotFound):
		h.reject(w, r, http.StatusNotFound, "Salesforce record not found: do not resend")
	case errors.Is(err, contactkit.ErrLocked):
		receive.Error(w, http.StatusLocked, "locked: send again later")
	default:
		h.logf(r.Context(), slog.LevelError, "contactkit: writeCallStatistics "+what+"; answered 423 so jtel sends it again", "error", err)
		receive.Error(w, http.StatusLocked, "not written: send again later")
	}
}

// reject answers a final error status and logs it.
func (h *handler) reject(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if h.log != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "contactkit: writeCallStatistics request rejected",
			slog.Int("status", status), slog.String("reason", msg))
	}
	receive.Error(w, status, msg)
}

func (h *handler) logf(ctx context.Context, level slog.Level, msg, key string, err error) {
	if h.log != nil {
		h.log.LogAttrs(ctx, level, msg, slog.String(key, h.redact.Text(err.Error())))
	}
}

// logUnreadable is the default UnreadableFunc: the body and the reason are
// logged without credentials, and the answer is 423.
func (h *handler) logUnreadable(r *http.Request, body []byte, err error) error {
	l := h.log
	if l == nil {
		l = slog.Default()
	}
	red := h.redact // plus the request's own credential, in every form
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && len(strings.TrimSpace(cred)) >= 4 {
		red = h.redact.ForCall([]string{strings.TrimSpace(cred)})
	}
	text := red.Text(strings.ToValidUTF8(string(body), "\uFFFD"))
	if len(text) > maxLoggedBody {
		cut := maxLoggedBody
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = fmt.Sprintf("%s…(%d bytes in all)", text[:cut], len(body))
	}
	l.LogAttrs(r.Context(), slog.LevelError, "contactkit: writeCallStatistics record unreadable; answered 423 so jtel sends it again",
		slog.String("error", red.Text(err.Error())),
		slog.String("content_type", r.Header.Get("Content-Type")),
		slog.Int("bytes", len(body)),
		slog.String("body", text))
	return contactkit.ErrLocked
}
