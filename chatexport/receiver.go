package chatexport

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/contactkit/contactkit/internal/receive"
)

// The receiving side: what a customer's back end implements for jtel's two
// posts. The report body's shape is the customer's own choice (it is the
// report post body template); BodyFields says which JSON fields carry the
// PDF, its size and the XML. Errors are answered with jtel's own error
// body, {"status":400,"error":"..."}.

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
	PDF  []byte // nil when the PDF was streamed (DecodeReportStream, StreamReportHandler)
	Size int64  // the PDF's size in bytes
	XML  []byte // nil when the body carries none
	// Fields holds every field of the body but the PDF's.
	Fields map[string]any
}

// NewToken returns a random bearer token.
func NewToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TokenLifetime is the expires_in TokenHandler announces: a back end
// should stop accepting a token after it.
const TokenLifetime = time.Hour

// TokenHandler answers the token post with
// {"access_token": <issue()>, "token_type": "Bearer", "expires_in": 3600},
// which the report post reads as $tokenResponse.body.JSON.access_token.
// issue authenticates the client (see ClientCredentials): an error answers
// 401 invalid_client, a panic or an empty token 500.
func TokenHandler(issue func(r *http.Request) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			receive.Error(w, http.StatusMethodNotAllowed, "POST only")
			return
		}
		var tok string
		err := receive.Call(func() error {
			var err error
			tok, err = issue(r)
			return err
		})
		switch {
		case errors.Is(err, receive.ErrPanic):
			receive.Error(w, http.StatusInternalServerError, "token not issued")
		case err != nil:
			receive.Error(w, http.StatusUnauthorized, "invalid_client")
		case tok == "":
			receive.Error(w, http.StatusInternalServerError, "token not issued")
		default:
			w.Header().Set("Cache-Control", "no-store")
			receive.JSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(TokenLifetime.Seconds())})
		}
	})
}

// maxCredentialsBody caps the token post body ClientCredentials reads.
const maxCredentialsBody = 64 << 10

// ClientCredentials returns the OAuth client credentials of a token post:
// HTTP Basic, or client_id and client_secret in a JSON or form body (at
// most 64 KiB, read whatever the Content-Type, since jtel's is
// configured freely). Compare the secret with crypto/subtle.
func ClientCredentials(r *http.Request) (id, secret string, ok bool) {
	if id, secret, ok = r.BasicAuth(); ok {
		return id, secret, id != ""
	}
	body, err := receive.ReadBody(r, maxCredentialsBody)
	if err != nil {
		return "", "", false
	}
	var js struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &js) == nil && js.ID != "" {
		return js.ID, js.Secret, true
	}
	if q, err := url.ParseQuery(string(body)); err == nil && q.Get("client_id") != "" {
		return q.Get("client_id"), q.Get("client_secret"), true
	}
	return "", "", false
}

// MaxReportBody caps a report post (a long chat is a few MiB of PDF).
const MaxReportBody = 64 << 20

// ReportSink receives one report: the PDF is written to it as the body is
// decoded, then Commit or Abort is called, once.
type ReportSink interface {
	io.Writer
	// Commit makes the report durable once the whole body checked out;
	// rep has Size, XML and Fields (PDF is nil). An error answers 500.
	Commit(r *http.Request, rep *Report) error
	// Abort discards what was written: the post failed.
	Abort()
}

// ReportHandler answers the report post, with the PDF in memory: see
// StreamReportHandler for the statuses. store gets the request for its
// context and headers.
func ReportHandler(f BodyFields, authorize func(r *http.Request) error, store func(r *http.Request, rep *Report) error) http.Handler {
	return StreamReportHandler(f, authorize, func(*http.Request) (ReportSink, error) {
		return &memorySink{store: store}, nil
	})
}

type memorySink struct {
	bytes.Buffer
	store func(r *http.Request, rep *Report) error
}

func (m *memorySink) Commit(r *http.Request, rep *Report) error {
	rep.PDF = m.Bytes()
	return m.store(r, rep)
}

func (m *memorySink) Abort() { m.Reset() }

// StreamReportHandler answers the report post, streaming the decoded PDF
// into a sink from open (a temporary file, say), so that a report costs
// a few buffers of memory whatever its size. It answers 405 for other
// methods; 401 when authorize rejects the request (check the Bearer token
// there); 413 over MaxReportBody; 408 when the body stalls until the
// server's read deadline and 400 when it cannot be read otherwise; 400
// when it is not a valid report (see DecodeReportStream); 500 when open,
// writing, Commit, or any of the functions panics; and 200 with
// {"status":"stored","bytes":N} once committed.
func StreamReportHandler(f BodyFields, authorize func(r *http.Request) error, open func(r *http.Request) (ReportSink, error)) http.Handler {
	return streamReportHandler(f, authorize, open, MaxReportBody)
}

func streamReportHandler(f BodyFields, authorize func(*http.Request) error, open func(*http.Request) (ReportSink, error), limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			receive.Error(w, http.StatusMethodNotAllowed, "POST only")
			return
		}
		var a answer
		if err := receive.Call(func() error { a = serveReport(w, r, f, authorize, open, limit); return nil }); err != nil {
			a = answer{status: http.StatusInternalServerError, msg: "report not stored"}
		}
		if a.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="chat reports"`)
		}
		if a.status != http.StatusOK {
			// The body may be left unread (a 401 before it, a 408 in the
			// middle): close the connection rather than parse the rest as
			// the next request.
			w.Header().Set("Connection", "close")
			receive.Error(w, a.status, a.msg)
			return
		}
		receive.JSON(w, http.StatusOK, map[string]any{"status": "stored", "bytes": a.size})
	})
}

type answer struct {
	status int
	msg    string
	size   int64
}

func serveReport(w http.ResponseWriter, r *http.Request, f BodyFields, authorize func(*http.Request) error, open func(*http.Request) (ReportSink, error), limit int64) answer {
	if authorize != nil {
		if err := authorize(r); err != nil {
			return answer{status: http.StatusUnauthorized, msg: "unauthorized"}
		}
	}
	if r.ContentLength > limit {
		return answer{status: http.StatusRequestEntityTooLarge, msg: "report too large"}
	}
	sink, err := open(r)
	if err != nil || sink == nil {
		return answer{status: http.StatusInternalServerError, msg: "report not stored"}
	}
	done := false
	defer func() {
		if !done {
			sink.Abort() // also when something below panics
		}
	}()
	rep, err := DecodeReportStream(http.MaxBytesReader(w, r.Body, limit), f, sink)
	if err != nil {
		return failure(err)
	}
	if err := sink.Commit(r, rep); err != nil {
		done = true // Commit owns the cleanup of a failed commit
		return answer{status: http.StatusInternalServerError, msg: "report not stored"}
	}
	done = true
	return answer{status: http.StatusOK, size: rep.Size}
}

// failure maps a decode error to its answer.
func failure(err error) answer {
	var mbe *http.MaxBytesError
	var re *readError
	var we *writeError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return answer{status: http.StatusRequestEntityTooLarge, msg: "report too large"}
	case errors.As(err, &re) && (errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()):
		return answer{status: http.StatusRequestTimeout, msg: "the body stalled"}
	case errors.As(err, &re):
		return answer{status: http.StatusBadRequest, msg: "the body could not be read"}
	case errors.As(err, &we):
		return answer{status: http.StatusInternalServerError, msg: "report not stored"}
	case errors.Is(err, ErrBadReport):
		return answer{status: http.StatusBadRequest, msg: err.Error()}
	}
	return answer{status: http.StatusInternalServerError, msg: "report not stored"}
}

// BearerToken returns the token of an "Authorization: Bearer" header (the
// scheme in any case).
func BearerToken(r *http.Request) (string, bool) { return receive.BearerToken(r) }
