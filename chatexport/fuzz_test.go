package chatexport_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/contactkit/contactkit/chatexport"
)

// FuzzDecodeReport: no input panics; an accepted report is a PDF whose
// size matches; the streaming decoder agrees with itself whatever the
// reads look like.
func FuzzDecodeReport(f *testing.F) {
	b64 := base64.StdEncoding.EncodeToString(tinyPDF)
	for _, s := range []string{
		string(report(`,"bytes":40,"xml":"PHgvPg=="`)), string(report(`,"bytes":"56"`)), `{"report":"` + b64[:10] + `\r\n` + b64[10:] + `"}`,
		`{"report":"JVBERi0x"} x`, `{"a":[{"b":"\u0022"}],"report":"JVBE\/Ri0x"}`, "\xef\xbb\xbf{}", `{"report":"=="}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rep, err := chatexport.DecodeReport(body, chatexport.DefaultBodyFields)
		var pdf bytes.Buffer
		rep2, err2 := chatexport.DecodeReportStream(iotest.HalfReader(bytes.NewReader(body)), chatexport.DefaultBodyFields, &pdf)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("whole read: %v; half reads: %v", err, err2)
		}
		if err != nil {
			return
		}
		if int64(len(rep.PDF)) != rep.Size || rep.Size != rep2.Size || !bytes.Equal(rep.PDF, pdf.Bytes()) {
			t.Fatalf("sizes disagree: %d %d %d", len(rep.PDF), rep.Size, rep2.Size)
		}
		if !bytes.Contains(rep.PDF[:min(len(rep.PDF), 1029)], []byte("%PDF-")) {
			t.Fatalf("accepted a report without %%PDF-: %q", rep.PDF[:min(len(rep.PDF), 40)])
		}
	})
}

var reportStatuses = map[int]bool{200: true, 400: true, 401: true, 405: true, 408: true, 413: true, 500: true}

// FuzzReportHandler: any method, headers and body get one of the
// documented answers with jtel's error body; 200 only for a valid report.
func FuzzReportHandler(f *testing.F) {
	f.Add("POST", "Bearer good", "application/json", report(`,"bytes":40`))
	f.Add("POST", "bearer good", "text/plain", report(`,"bytes":"56"`))
	f.Add("POST", "Basic x", "", []byte(`{}`))
	f.Add("GET", "", "", []byte(nil))
	f.Add("POST", "Bearer good", "application/json", []byte(`{"report":"JVBERi0x","bytes":"x"}`))
	f.Fuzz(func(t *testing.T, method, auth, ctype string, body []byte) {
		if !validMethod(method) {
			return
		}
		stored := false
		h := chatexport.ReportHandler(chatexport.DefaultBodyFields,
			func(r *http.Request) error {
				if tok, ok := chatexport.BearerToken(r); !ok || tok != "good" {
					return http.ErrNoCookie
				}
				return nil
			},
			func(_ *http.Request, rep *chatexport.Report) error {
				stored = len(rep.PDF) > 0
				return nil
			})
		req := httptest.NewRequest(method, "/", bytes.NewReader(body))
		req.Header["Authorization"] = []string{auth}
		req.Header["Content-Type"] = []string{ctype}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !reportStatuses[rec.Code] {
			t.Fatalf("status %d", rec.Code)
		}
		if (rec.Code == 200) != stored {
			t.Fatalf("status %d but stored=%v", rec.Code, stored)
		}
		if rec.Code != 200 && !strings.HasPrefix(rec.Body.String(), `{"status":`) {
			t.Fatalf("error body %q", rec.Body.String())
		}
		if rec.Code == 200 {
			if _, err := chatexport.DecodeReport(body, chatexport.DefaultBodyFields); err != nil {
				t.Fatalf("stored a report DecodeReport refuses: %v", err)
			}
		}
	})
}

// FuzzTokenHandler: any request gets 200 with a token only when the
// issue function accepts it, else a documented error.
func FuzzTokenHandler(f *testing.F) {
	f.Add("POST", "Basic amRlbDpzM2NyZXQ=", "application/json", []byte(`{"client_id":"jtel","client_secret":"s3cret"}`))
	f.Add("POST", "", "application/x-www-form-urlencoded", []byte(`client_id=jtel&client_secret=s3cret`))
	f.Add("PUT", "", "", []byte(nil))
	f.Add("POST", "", "", []byte(`{"client_id":"jtel","client_secret":`))
	f.Fuzz(func(t *testing.T, method, auth, ctype string, body []byte) {
		if !validMethod(method) {
			return
		}
		h := chatexport.TokenHandler(func(r *http.Request) (string, error) {
			id, secret, ok := chatexport.ClientCredentials(r)
			if !ok || id != "jtel" || secret != "s3cret" {
				return "", http.ErrNoCookie
			}
			return "tok", nil
		})
		req := httptest.NewRequest(method, "/", bytes.NewReader(body))
		req.Header["Authorization"] = []string{auth}
		req.Header["Content-Type"] = []string{ctype}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			if !strings.Contains(rec.Body.String(), `"access_token":"tok"`) {
				t.Fatalf("200 without the token: %s", rec.Body.String())
			}
		case 401, 405:
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// validMethod: httptest.NewRequest panics on methods net/http would never
// hand a handler.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}
