package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Sentinels matched by errors.Is against an *APIError's status code.
var (
	ErrBadRequest   = errors.New("bad request")          // 400
	ErrUnauthorized = errors.New("unauthorized")         // 401
	ErrForbidden    = errors.New("forbidden")            // 403
	ErrNotFound     = errors.New("not found")            // 404
	ErrConflict     = errors.New("conflict")             // 409
	ErrLocked       = errors.New("locked")               // 423
	ErrRateLimited  = errors.New("rate limited")         // 429
	ErrServer       = errors.New("server error")         // 5xx
	ErrEgressLimit  = errors.New("egress limit reached") // 509 (bandwidth limit exceeded)
	ErrTooLarge     = errors.New("response too large")   // body over the configured cap
	ErrNotJSON      = errors.New("response is not JSON") // e.g. an HTML error page
)

// MaxErrorBody is how much of a non-success body an *APIError keeps.
const MaxErrorBody = 4 << 10

// ErrorDetail is one message of a server's error body.
type ErrorDetail struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

// APIError is the one error for every non-success answer of every API.
type APIError struct {
	StatusCode int
	Method     string
	URL        string // with secrets removed
	RequestID  string // the server's request id, where the API has one
	Message    string // the server's message(s), joined with "; "
	Details    []ErrorDetail
	Body       []byte // the first 4 KiB of the body, secrets removed
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "contactkit: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Is matches the status sentinels, so errors.Is(err, ErrNotFound) works.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrLocked:
		return e.StatusCode == http.StatusLocked
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrEgressLimit:
		return e.StatusCode == 509
	}
	return false
}

// errorBody holds the error shapes of the documented APIs:
// jtel {"status":404,"error":"..."}, Thulium {"request_id":"..","errors":[{"message","code"}]},
// and the common {"message":"..."}.
type errorBody struct {
	Error     json.RawMessage `json:"error"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Errors    []struct {
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"`
	} `json:"errors"`
}

// NewAPIError builds the error for a non-success answer whose body (at
// most 64 KiB of it) has been read; redactedURL must already be redacted.
func NewAPIError(method, redactedURL string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, URL: redactedURL}
	e.RequestID = firstHeader(header, "X-Request-Id", "X-Request-ID", "Request-Id", "X-Correlation-Id")
	var eb errorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) == nil {
		if eb.RequestID != "" {
			e.RequestID = eb.RequestID
		}
		var s string
		switch {
		case json.Unmarshal(eb.Error, &s) == nil && s != "":
			e.Details = append(e.Details, ErrorDetail{Message: s})
		case eb.Message != "":
			e.Details = append(e.Details, ErrorDetail{Message: eb.Message})
		}
		for _, d := range eb.Errors {
			code, _ := strconv.Atoi(strings.Trim(string(d.Code), `"`))
			e.Details = append(e.Details, ErrorDetail{Code: code, Message: d.Message})
		}
	}
	msgs := make([]string, 0, len(e.Details))
	for i := range e.Details {
		e.Details[i].Message = RedactText(e.Details[i].Message)
		if e.Details[i].Message != "" {
			msgs = append(msgs, e.Details[i].Message)
		}
	}
	e.Message = strings.Join(msgs, "; ")
	if len(body) > MaxErrorBody {
		body = body[:MaxErrorBody]
	}
	e.Body = []byte(RedactText(string(body)))
	return e
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// ValidationError reports bad input found before any request was sent.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return "contactkit: invalid " + e.Field + ": " + e.Reason
}

// Invalid is shorthand for a *ValidationError.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// DecodeError says which endpoint answered with a body that could not be
// decoded, and why.
type DecodeError struct {
	Endpoint    string // "GET /acd/events"
	ContentType string
	Err         error
}

func (e *DecodeError) Error() string {
	s := "contactkit: decoding " + e.Endpoint + " response"
	if e.ContentType != "" {
		s += " (" + e.ContentType + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }
