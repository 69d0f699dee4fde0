// Package receive is what the SDK's two receivers — salesforce's
// writeCallStatistics handler and chatexport's token and report handlers,
// where jtel is the client — share: one error body, one way to read a
// bounded body, and panics turned into errors so that a request is always
// answered, never dropped with its connection.
package receive

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrTooLarge is returned by ReadBody for a body over its limit.
var ErrTooLarge = errors.New("request body too large")

// ErrPanic is matched (errors.Is) by the error Call returns for a panic,
// so a handler can answer a panic differently from a returned error.
var ErrPanic = errors.New("panic")

// Error answers status with jtel's own error body shape,
// {"status":404,"error":"..."}, so a jtel log shows a familiar answer.
func Error(w http.ResponseWriter, status int, msg string) {
	JSON(w, status, struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	}{status, msg})
}

// JSON answers status with v encoded as JSON.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ReadBody reads the whole body up to limit bytes. A longer body is
// ErrTooLarge (answer 413); any other failure is the read error itself
// (a client that went away or stalled: not a 413).
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Call runs fn and turns a panic in it into an error, so the caller can
// still answer the request.
func Call(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	return fn()
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	tok := strings.TrimSpace(h[7:])
	return tok, tok != ""
}
