package contactkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels that errors.Is matches against the errors of every package.
// The status sentinels match an *APIError by its status code, so
// errors.Is(err, contactkit.ErrNotFound) works for a jtel, Thulium, Avaya
// or web chat answer alike.
var (
	ErrBadRequest   = errors.New("bad request")          // 400
	ErrUnauthorized = errors.New("unauthorized")         // 401
	ErrForbidden    = errors.New("forbidden")            // 403
	ErrNotFound     = errors.New("not found")            // 404
	ErrConflict     = errors.New("conflict")             // 409
	ErrLocked       = errors.New("locked")               // 423
	ErrRateLimited  = errors.New("rate limited")         // 429
	ErrServer       = errors.New("server error")         // 5xx
	ErrEgressLimit  = errors.New("egress limit reached") // 509: Avaya cloud's 5-day egress cap
	ErrTooLarge     = errors.New("response too large")   // a body over the configured cap
	ErrNotJSON      = errors.New("response is not JSON") // an HTML error page, say
	// ErrTimeout: no response headers arrived within the response timeout,
	// or a body stalled (no bytes) for as long. See WithResponseTimeout in
	// each package.
	ErrTimeout = errors.New("timed out")
)

// MaxErrorBody is how much of a non-success body an *APIError keeps.
const MaxErrorBody = 4 << 10

// ErrorDetail is one message of a server's error body (Thulium sends
// several, each with a code).
type ErrorDetail struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

// APIError is the one error for every non-success answer of every API.
// Every text in it has had the client's secrets removed.
type APIError struct {
	StatusCode int
	Method     string
	URL        string // the request URL with secrets removed
	RequestID  string // the server's request id, where the API has one
	Message    string // the server's message(s), joined with "; "
	Details    []ErrorDetail
	Body       []byte // the first MaxErrorBody bytes of the body, secrets removed
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

// ValidationError reports bad input found before any request was sent.
type ValidationError struct {
	Field  string // the argument or field, as named in the API ("key", "SummaryQuery.DateFrom")
	Reason string
}

func (e *ValidationError) Error() string {
	return "contactkit: invalid " + e.Field + ": " + e.Reason
}

// DecodeError says which endpoint answered with a body that could not be
// decoded, and why: truncated, not JSON, the wrong type, or over the cap
// (errors.Is matches ErrTooLarge and ErrNotJSON through it).
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

// UnknownFields holds the fields of a JSON object that the SDK's type does
// not declare, by name, as the server sent them. Types that carry it
// (acd.Event, thulium.SummaryRow, avaya's report and metric types,
// webchat.Session, salesforce.Record) write them back when encoded, so a
// value decoded and re-encoded keeps what a newer server added.
type UnknownFields map[string]json.RawMessage
