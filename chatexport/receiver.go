package chatexport

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The receiving side: what a customer's back end implements for jtel's two
// posts. The report body's shape is the customer's own choice (it is the
// report post body template); BodyFields says which JSON fields carry the
// PDF, its size and the XML.

// BodyFields names the fields of a JSON report body.
type BodyFields struct {
	PDF   string // holds $report.encoded.base64 (required)
	Bytes string // holds $report.bytes, as a number or a string ("" to skip the check)
	XML   string // holds $xmlTemplate.encoded.base64 ("" if not sent)
}

// DefaultBodyFields match the body template of DefaultReportBody.
var DefaultBodyFields = BodyFields{PDF: "report", Bytes: "bytes", XML: "xml"}

// DefaultReportBody is a report post body template for a JSON back end.
const DefaultReportBody = `{"clientsId":"$ClientsID","connectorId":"$chatConnector.id","connector":"$chatConnector.name",` +
	`"created":"$dateTime","bytes":"$report.bytes","report":"$report.encoded.base64","xml":"$xmlTemplate.encoded.base64"}`

// Report is a decoded report post.
type Report struct {
	PDF    []byte
	XML    []byte         // nil when the body carries none
	Fields map[string]any // every field of the body
}

// Receiving errors.
var (
	ErrNotPDF       = errors.New("contactkit: chatexport: the report is not a PDF")
	ErrSizeMismatch = errors.New("contactkit: chatexport: $report.bytes does not match the decoded report")
)

// DecodeReport reads a JSON report body: it decodes the base64 PDF (and
// XML), checks that the PDF starts with %PDF- and that the declared
// $report.bytes equals its decoded size.
func DecodeReport(body []byte, f BodyFields) (*Report, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return nil, fmt.Errorf("contactkit: chatexport: report body is not a JSON object: %w", err)
	}
	r := &Report{Fields: fields}
	pdfText, _ := fields[f.PDF].(string)
	pdf, err := base64.StdEncoding.DecodeString(pdfText)
	if err != nil || pdfText == "" {
		return nil, fmt.Errorf("contactkit: chatexport: field %q must hold the base64 PDF", f.PDF)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, ErrNotPDF
	}
	r.PDF = pdf
	if f.Bytes != "" {
		declared, err := strconv.Atoi(fmt.Sprint(fields[f.Bytes]))
		if err != nil {
			return nil, fmt.Errorf("contactkit: chatexport: field %q must hold the report size: %w", f.Bytes, err)
		}
		if declared != len(pdf) {
			return nil, fmt.Errorf("%w: declared %d, decoded %d", ErrSizeMismatch, declared, len(pdf))
		}
	}
	if f.XML != "" {
		if x, ok := fields[f.XML].(string); ok {
			if r.XML, err = base64.StdEncoding.DecodeString(x); err != nil {
				return nil, fmt.Errorf("contactkit: chatexport: field %q must hold base64 XML: %w", f.XML, err)
			}
		}
	}
	return r, nil
}

// NewToken returns a random bearer token.
func NewToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TokenHandler answers the token post with
// {"access_token": <issue()>, "token_type": "Bearer", "expires_in": 3600},
// which the report post reads as $tokenResponse.body.JSON.access_token.
func TokenHandler(issue func(r *http.Request) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "POST only"})
			return
		}
		tok, err := issue(r)
		if err != nil {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	})
}

// MaxReportBody caps a report post (a long chat is a few MiB of PDF).
const MaxReportBody = 64 << 20

// ReportHandler answers the report post: 405 for other methods, 401 when
// authorize rejects the request (check the Bearer token there), 413 over
// MaxReportBody, 400 when DecodeReport fails, 500 when store fails, and
// 200 with {"status":"stored","bytes":N} once stored. store gets the
// request for its context and headers.
func ReportHandler(f BodyFields, authorize func(r *http.Request) error, store func(r *http.Request, rep *Report) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "POST only"})
			return
		}
		if authorize != nil {
			if err := authorize(r); err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="chat reports"`)
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "unauthorized"})
				return
			}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReportBody))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": "report too large"})
			return
		}
		rep, err := DecodeReport(body, f)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		if err := store(r, rep); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "not stored"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "stored", "bytes": len(rep.PDF)})
	})
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return tok, ok && tok != ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
