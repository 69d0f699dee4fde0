package transport

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactkit/contactkit"
)

// The shared public types live in the root contactkit package; these
// names keep the transport's own code short.
type (
	APIError        = contactkit.APIError
	ValidationError = contactkit.ValidationError
	DecodeError     = contactkit.DecodeError
	ErrorDetail     = contactkit.ErrorDetail
)

// Sentinels, as in the root package.
var (
	ErrTooLarge = contactkit.ErrTooLarge
	ErrNotJSON  = contactkit.ErrNotJSON
	ErrTimeout  = contactkit.ErrTimeout
)

// MaxErrorBody is how much of a non-success body an *APIError keeps.
const MaxErrorBody = contactkit.MaxErrorBody

// maxErrorRead is how much of a non-success body is read: more than is
// kept, so that secrets are removed before the body is cut.
const maxErrorRead = 64 << 10

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
// most 64 KiB of it) has been read. Every text is redacted by r (nil
// redacts by name only) before the body is cut to MaxErrorBody.
func NewAPIError(r *Redactor, method string, u *url.URL, status int, header http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, URL: r.URL(u)}
	e.RequestID = r.Text(firstHeader(header, "X-Request-Id", "X-Request-ID", "Request-Id", "X-Correlation-Id"))
	var eb errorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) == nil {
		if eb.RequestID != "" {
			e.RequestID = r.Text(eb.RequestID)
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
		e.Details[i].Message = r.Text(e.Details[i].Message)
		if e.Details[i].Message != "" {
			msgs = append(msgs, e.Details[i].Message)
		}
	}
	e.Message = strings.Join(msgs, "; ")
	clean := r.Text(string(body))
	if len(clean) > MaxErrorBody {
		clean = clean[:MaxErrorBody]
	}
	e.Body = []byte(clean)
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

// Invalid is shorthand for a *ValidationError.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
