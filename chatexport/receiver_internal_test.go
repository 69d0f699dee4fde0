package chatexport

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

type abortSink struct {
	bytes.Buffer
	aborted, committed bool
}

func (s *abortSink) Commit(*http.Request, *Report) error { s.committed = true; return nil }
func (s *abortSink) Abort()                              { s.aborted = true }

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// A body without Content-Length that runs past the limit is a 413, and
// what was written is discarded. (The limit is MaxReportBody; 1 MiB here
// keeps the test fast under -race.)
func TestReportHandlerTooLargeWhileStreaming(t *testing.T) {
	const limit = 1 << 20
	body := io.MultiReader(strings.NewReader(`{"report":"JVBERi0x`), io.LimitReader(repeatReader('A'), limit))
	req := httptest.NewRequest(http.MethodPost, "/", body)
	req.ContentLength = -1
	sink := &abortSink{}
	rec := httptest.NewRecorder()
	streamReportHandler(DefaultBodyFields, nil, func(*http.Request) (ReportSink, error) { return sink, nil }, limit).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.JSONEq(t, `{"status":413,"error":"report too large"}`, rec.Body.String())
	assert.True(t, sink.aborted)
	assert.False(t, sink.committed)
}
