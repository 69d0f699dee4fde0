package salesforce

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
)

// RecordFunc writes one record. Its error picks the answer jtel gets:
// nil → 200; ErrConflict → 409 and ErrNotFound → 404 (jtel does not send
// the record again); ErrLocked → 423 (jtel sends it again). Any other
// error, or a panic, also answers 423, so that no record is lost. Wrapped
// errors count (errors.Is).
type RecordFunc func(ctx context.Context, r *Record) error

// DefaultMaxBodyBytes caps a record body; a record is a few hundred bytes.
const DefaultMaxBodyBytes = 64 << 10

// HandlerOption configures NewHandler.
type HandlerOption func(*handler) error

// HandlerMaxBody caps the request body (default 64 KiB); larger bodies are
// answered 413.
func HandlerMaxBody(n int64) HandlerOption {
	return func(h *handler) error {
		if n <= 0 {
			return &ValidationError{Field: "HandlerMaxBody", Reason: "must be positive"}
		}
		h.maxBody = n
		return nil
	}
}

// HandlerLocation sets the jtel server's zone, in which record times are
// read (UTC by default).
func HandlerLocation(loc *time.Location) HandlerOption {
	return func(h *handler) error {
		if loc == nil {
			return &ValidationError{Field: "HandlerLocation", Reason: "is nil"}
		}
		h.loc = loc
		return nil
	}
}

// HandlerLogger logs the errors and panics of the RecordFunc that were
// answered 423, and rejected requests, without their bodies.
func HandlerLogger(l *slog.Logger) HandlerOption {
	return func(h *handler) error {
		if l == nil {
			return &ValidationError{Field: "HandlerLogger", Reason: "is nil"}
		}
		h.log = l
		return nil
	}
}

// RequireAuth checks every request with fn before anything else; an error
// answers 401. Use it for schemes other than RequireBearer and RequireBasic.
func RequireAuth(fn func(*http.Request) error) HandlerOption {
	return func(h *handler) error {
		if fn == nil {
			return &ValidationError{Field: "RequireAuth", Reason: "is nil"}
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
		return func(*handler) error { return &ValidationError{Field: "RequireBearer", Reason: "token is empty"} }
	}
	want := []byte("Bearer " + token)
	return RequireAuth(func(r *http.Request) error {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			return errBadCredentials
		}
		return nil
	})
}

// RequireBasic accepts only these HTTP Basic credentials, compared in
// constant time.
func RequireBasic(user, password string) HandlerOption {
	if user == "" {
		return func(*handler) error { return &ValidationError{Field: "RequireBasic", Reason: "user is empty"} }
	}
	return RequireAuth(func(r *http.Request) error {
		u, p, ok := r.BasicAuth()
		okUser := subtle.ConstantTimeCompare([]byte(u), []byte(user)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(p), []byte(password)) == 1
		if !ok || !okUser || !okPass {
			return errBadCredentials
		}
		return nil
	})
}

type handler struct {
	fn      RecordFunc
	maxBody int64
	loc     *time.Location
	log     *slog.Logger
	auth    func(*http.Request) error
}

// NewHandler returns the receiving side of writeCallStatistics: an
// http.Handler that decodes one record per POST and hands it to fn.
//
// It answers 405 to other methods, 401 when an auth option rejects the
// request, 415 unless the body is JSON, 413 over the body cap, and 400 for
// malformed or ill-typed JSON, without calling fn. Otherwise fn's error
// picks the code (see RecordFunc).
func NewHandler(fn RecordFunc, opts ...HandlerOption) (http.Handler, error) {
	if fn == nil {
		return nil, &ValidationError{Field: "fn", Reason: "is nil"}
	}
	h := &handler{fn: fn, maxBody: DefaultMaxBodyBytes, loc: time.UTC}
	for _, o := range opts {
		if o == nil {
			return nil, &ValidationError{Field: "option", Reason: "is nil"}
		}
		if err := o(h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reply(w, r, http.StatusMethodNotAllowed, "only POST is accepted")
		return
	}
	if h.auth != nil {
		if err := h.auth(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="writeCallStatistics"`)
			h.reply(w, r, http.StatusUnauthorized, "unauthorized")
			return
		}
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		h.reply(w, r, http.StatusUnsupportedMediaType, "the body must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.reply(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", h.maxBody))
			return
		}
		h.reply(w, r, http.StatusBadRequest, "reading the body failed")
		return
	}
	var rec Record
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		h.reply(w, r, http.StatusBadRequest, "the body must be one JSON object")
		return
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		h.reply(w, r, http.StatusBadRequest, "malformed record: "+err.Error())
		return
	}
	rec.inLocation(h.loc)
	switch err := h.call(r.Context(), &rec); {
	case err == nil:
		h.reply(w, r, http.StatusOK, "")
	case errors.Is(err, ErrConflict):
		h.reply(w, r, http.StatusConflict, "conflict: do not resend")
	case errors.Is(err, ErrNotFound):
		h.reply(w, r, http.StatusNotFound, "Salesforce record not found: do not resend")
	case errors.Is(err, ErrLocked):
		h.reply(w, r, http.StatusLocked, "locked: send again later")
	default:
		if h.log != nil {
			h.log.LogAttrs(r.Context(), slog.LevelError, "contactkit: writeCallStatistics record not written; answered 423 so jtel sends it again",
				slog.Int64("jtelStatisticsPartAID", rec.StatisticsPartAID), slog.String("error", err.Error()))
		}
		h.reply(w, r, http.StatusLocked, "not written: send again later")
	}
}

// isJSON accepts application/json and any +json type, with parameters.
func isJSON(contentType string) bool {
	if contentType == "application/json" || strings.HasPrefix(contentType, "application/json;") {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// call runs fn and turns a panic into an error, so the record is answered
// 423 (sent again) rather than dropped with the connection.
func (h *handler) call(ctx context.Context, rec *Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in RecordFunc: %v", p)
		}
	}()
	return h.fn(ctx, rec)
}

func (h *handler) reply(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status >= 400 && status != http.StatusLocked && h.log != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "contactkit: writeCallStatistics request rejected",
			slog.Int("status", status), slog.String("reason", msg))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = w.Write(okBody)
		return
	}
	_ = json.NewEncoder(w).Encode(struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	}{status, msg})
}

var okBody = []byte(`{"status":200}` + "\n")
