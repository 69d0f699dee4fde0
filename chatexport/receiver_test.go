package chatexport_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/chatexport"
)

var tinyPDF = []byte("%PDF-1.3\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>> endobj\n%%EOF\n") // 40 bytes

func report(fields string) []byte {
	return []byte(`{"report":"` + base64.StdEncoding.EncodeToString(tinyPDF) + `"` + fields + `}`)
}

// $report.bytes is "the number of bytes in the encoded report PDF data":
// the PDF's size or its base64 text's size. Both, in every JSON form jtel
// may write, are a real report.
func TestDecodeReportDeclaredSizeEitherReading(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(tinyPDF)
	require.Equal(t, 40, len(tinyPDF))
	require.Equal(t, 56, len(b64))
	for _, fields := range []string{
		`,"bytes":40`, `,"bytes":"40"`, `,"bytes":56`, `,"bytes":"56"`, `,"bytes":" 40 "`, `,"bytes":40.0`, `,"bytes":"4e1"`,
		`,"bytes":null`, `,"bytes":""`, ``,
	} {
		rep, err := chatexport.DecodeReport(report(fields), chatexport.DefaultBodyFields)
		require.NoError(t, err, fields)
		assert.Equal(t, tinyPDF, rep.PDF, fields)
		assert.EqualValues(t, 40, rep.Size)
	}
	// Line-wrapped base64 (a MIME encoder's 76 columns): its text size
	// with and without the line breaks.
	wrapped := b64[:20] + `\r\n` + b64[20:40] + `\r\n` + b64[40:]
	for _, n := range []int{40, 56, 60} {
		_, err := chatexport.DecodeReport([]byte(fmt.Sprintf(`{"report":"%s","bytes":%d}`, wrapped, n)), chatexport.DefaultBodyFields)
		require.NoError(t, err, n)
	}
	for _, fields := range []string{`,"bytes":41`, `,"bytes":"1"`, `,"bytes":0`} {
		_, err := chatexport.DecodeReport(report(fields), chatexport.DefaultBodyFields)
		assert.ErrorIs(t, err, chatexport.ErrSizeMismatch, fields)
		assert.ErrorIs(t, err, chatexport.ErrBadReport, fields)
	}
	for _, fields := range []string{`,"bytes":"x"`, `,"bytes":40.5`, `,"bytes":true`, `,"bytes":-1e400`} {
		_, err := chatexport.DecodeReport(report(fields), chatexport.DefaultBodyFields)
		assert.ErrorIs(t, err, chatexport.ErrBadReport, fields)
	}
}

func TestDecodeReportLenientBase64(t *testing.T) {
	std := base64.StdEncoding.EncodeToString(tinyPDF)
	for name, text := range map[string]string{
		"escaped slashes": strings.ReplaceAll(std, "/", `\/`),
		"no padding":      base64.RawStdEncoding.EncodeToString(tinyPDF),
		"URL-safe":        base64.URLEncoding.EncodeToString(tinyPDF),
		"\\u escapes":     `\u004a` + std[1:],
		"wrapped":         std[:10] + `\n` + std[10:],
	} {
		rep, err := chatexport.DecodeReport([]byte(`{"report":"`+text+`"}`), chatexport.DefaultBodyFields)
		require.NoError(t, err, name)
		assert.Equal(t, tinyPDF, rep.PDF, name)
	}
	junk := append([]byte("junk\n"), tinyPDF...)
	_, err := chatexport.DecodeReport([]byte(`{"report":"`+base64.StdEncoding.EncodeToString(junk)+`"}`), chatexport.DefaultBodyFields)
	assert.NoError(t, err, "a few bytes before %PDF- are tolerated, as readers do")
	for name, text := range map[string]string{
		"not base64":         "%%%%",
		"data after padding": std + "QQ==",
		"GIF":                base64.StdEncoding.EncodeToString([]byte("GIF89a")),
		"empty":              "",
	} {
		_, err := chatexport.DecodeReport([]byte(`{"report":"`+text+`"}`), chatexport.DefaultBodyFields)
		assert.ErrorIs(t, err, chatexport.ErrBadReport, name)
	}
}

func TestDecodeReportTrailingData(t *testing.T) {
	good := report(`,"bytes":40`)
	_, err := chatexport.DecodeReport(append(good, " \r\n\t"...), chatexport.DefaultBodyFields)
	require.NoError(t, err, "trailing white space is JSON")
	for _, tail := range []string{"x", "{}", `,"a":1`, "\x00", "]"} {
		_, err := chatexport.DecodeReport(append(bytes.Clone(good), tail...), chatexport.DefaultBodyFields)
		assert.ErrorIs(t, err, chatexport.ErrBadReport, "%q after the object", tail)
	}
	for _, body := range []string{
		`{"report":"` + base64.StdEncoding.EncodeToString(tinyPDF) + `","report":"x"}`, // the PDF twice
		`{"report":1}`, `{"report":null}`, `[]`, `"x"`, ``, `{`, `{"report"`, `{"a":1,}`, `{"a":}`, `{"a":1 "b":2}`,
	} {
		_, err := chatexport.DecodeReport([]byte(body), chatexport.DefaultBodyFields)
		assert.ErrorIs(t, err, chatexport.ErrBadReport, body)
	}
}

// The streaming decoder gives the same report whatever the reads look
// like, and keeps the other fields.
func TestDecodeReportStreamOneByteReads(t *testing.T) {
	big := append(bytes.Clone(tinyPDF), bytes.Repeat([]byte("0123456789"), 20000)...)
	body := `{"a":{"nested":["x",1,true,null]},"report":"` + base64.StdEncoding.EncodeToString(big) + `","bytes":` + fmt.Sprint(len(big)) +
		`,"xml":"PHgvPg==","n":-1.5e3}`
	var pdf bytes.Buffer
	rep, err := chatexport.DecodeReportStream(iotest.OneByteReader(strings.NewReader(body)), chatexport.DefaultBodyFields, &pdf)
	require.NoError(t, err)
	assert.Nil(t, rep.PDF)
	assert.EqualValues(t, len(big), rep.Size)
	assert.Equal(t, big, pdf.Bytes())
	assert.Equal(t, "<x/>", string(rep.XML))
	assert.Equal(t, "-1.5e3", fmt.Sprint(rep.Fields["n"]))
	assert.NotContains(t, rep.Fields, "report", "the PDF is not kept twice")
}

func serve(h http.Handler, body io.Reader) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", body))
	return rec
}

// A panic in the store, the authorize or the token function is answered
// with a 5xx: jtel sees an answer, not a dropped connection.
func TestHandlersAnswerPanics(t *testing.T) {
	boom := func(*http.Request, *chatexport.Report) error { panic("store exploded") }
	mux := http.NewServeMux()
	mux.Handle("/store", chatexport.ReportHandler(chatexport.DefaultBodyFields, nil, boom))
	mux.Handle("/authorize", chatexport.ReportHandler(chatexport.DefaultBodyFields, func(*http.Request) error { panic("nil map") }, nil))
	mux.Handle("/token", chatexport.TokenHandler(func(*http.Request) (string, error) { panic("no entropy") }))
	base := newHTTPServer(t, mux)
	for _, path := range []string{"/store", "/authorize", "/token"} {
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(report("")))
		require.NoError(t, err, "%s: the connection must not be dropped", path)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, path)
		assert.JSONEq(t, `{"status":500,"error":"`+map[bool]string{true: "token not issued", false: "report not stored"}[path == "/token"]+`"}`, string(body))
	}
}

func TestTokenHandlerAnswers(t *testing.T) {
	h := chatexport.TokenHandler(func(r *http.Request) (string, error) {
		switch r.URL.Query().Get("case") {
		case "bad":
			return "", errors.New("wrong secret")
		case "empty":
			return "", nil
		}
		return "tok-123", nil
	})
	for q, want := range map[string]int{"ok": 200, "bad": 401, "empty": 500} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/?case="+q, nil))
		assert.Equal(t, want, rec.Code, q)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, 405, rec.Code)
	assert.JSONEq(t, `{"status":405,"error":"POST only"}`, rec.Body.String())
}

// A body that cannot be read is not "413 too large".
func TestReportHandlerReadErrors(t *testing.T) {
	h := chatexport.ReportHandler(chatexport.DefaultBodyFields, nil, func(*http.Request, *chatexport.Report) error { return nil })
	half := report("")[:30]
	rec := serve(h, io.MultiReader(bytes.NewReader(half), iotest.ErrReader(io.ErrUnexpectedEOF)))
	assert.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "could not be read")

	rec = serve(h, io.MultiReader(bytes.NewReader(half), iotest.ErrReader(fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded))))
	assert.Equal(t, http.StatusRequestTimeout, rec.Code, rec.Body.String())

	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(report("")))
	req.ContentLength = chatexport.MaxReportBody + 1
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
}

type recordingSink struct {
	bytes.Buffer
	failWrite, failCommit bool
	aborted, committed    bool
}

func (s *recordingSink) Write(p []byte) (int, error) {
	if s.failWrite {
		return 0, errors.New("no space left on device")
	}
	return s.Buffer.Write(p)
}

func (s *recordingSink) Commit(*http.Request, *chatexport.Report) error {
	s.committed = !s.failCommit
	if s.failCommit {
		return errors.New("rename failed")
	}
	return nil
}

func (s *recordingSink) Abort() { s.aborted = true }

func TestStreamReportHandlerSink(t *testing.T) {
	run := func(sink *recordingSink, body []byte) int {
		h := chatexport.StreamReportHandler(chatexport.DefaultBodyFields, nil, func(*http.Request) (chatexport.ReportSink, error) { return sink, nil })
		return serve(h, bytes.NewReader(body)).Code
	}
	ok := &recordingSink{}
	assert.Equal(t, 200, run(ok, report(`,"bytes":40`)))
	assert.True(t, ok.committed)
	assert.False(t, ok.aborted)
	assert.Equal(t, tinyPDF, ok.Bytes())

	full := &recordingSink{failWrite: true}
	assert.Equal(t, 500, run(full, report("")), "a full disk is the server's fault")
	assert.True(t, full.aborted)

	badSize := &recordingSink{}
	assert.Equal(t, 400, run(badSize, report(`,"bytes":7`)))
	assert.True(t, badSize.aborted)
	assert.False(t, badSize.committed)

	commit := &recordingSink{failCommit: true}
	assert.Equal(t, 500, run(commit, report("")))
	assert.False(t, commit.aborted, "a failed Commit cleans up after itself")
}

func TestClientCredentials(t *testing.T) {
	cases := map[string]func(r *http.Request){
		"basic": func(r *http.Request) { r.SetBasicAuth("jtel", "s3cret") },
		"json": func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"client_id":"jtel","client_secret":"s3cret"}`))
		},
		"form": func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`grant_type=client_credentials&client_id=jtel&client_secret=s3cret`))
		},
	}
	for name, set := range cases {
		r := httptest.NewRequest(http.MethodPost, "/", http.NoBody)
		set(r)
		id, secret, ok := chatexport.ClientCredentials(r)
		assert.True(t, ok, name)
		assert.Equal(t, "jtel", id, name)
		assert.Equal(t, "s3cret", secret, name)
	}
	_, _, ok := chatexport.ClientCredentials(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`)))
	assert.False(t, ok)
}
