package avaya_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
)

const wireKey = "89e08e9f-a2aa-4059-9f93-1f53e3719431-1568754442049"

func wireArchiveClient(t *testing.T, size int, audio httpmock.Responder) (*avaya.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, "http://cr.example/api/v1/recordings",
		httpmock.NewStringResponder(200, fmt.Sprintf(`[{"recordingKey":%q,"startTime":1568754442049,"duration":1000,"size":%d,"status":"SAVED"}]`, wireKey, size)))
	mt.RegisterResponder(http.MethodGet, "http://cr.example/rest/api/v1/recordings/"+wireKey+"/audio", audio)
	c, err := avaya.NewClient("http://cr.example", contactkit.StaticToken("k"), polling, avaya.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	return c, mt
}

func audioResponse(status int, header http.Header, body []byte, length int64) *http.Response {
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: length}
}

// Exact wire check of a resumed download: the second request asks for the
// rest with Range and If-Range carrying the ETag of the first answer, and
// the 206's bytes are appended.
func TestWireArchiveResume(t *testing.T) {
	full := bytes.Repeat([]byte("0123456789"), 100)
	var got []*http.Request
	c, _ := wireArchiveClient(t, len(full), func(r *http.Request) (*http.Response, error) {
		got = append(got, r)
		if len(got) == 1 { // a 1000-byte answer whose body ends after 400
			return audioResponse(200, http.Header{"Etag": {`"v1"`}}, full[:400], int64(len(full))), nil
		}
		return audioResponse(206, http.Header{"Content-Range": {"bytes 400-999/1000"}}, full[400:], 600), nil
	})
	dir := t.TempDir()
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{Format: avaya.WAV})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	require.Len(t, got, 2)
	assert.Empty(t, got[0].Header.Get("Range"))
	assert.Equal(t, "bytes=400-", got[1].Header.Get("Range"))
	assert.Equal(t, `"v1"`, got[1].Header.Get("If-Range"))
	b, err := os.ReadFile(filepath.Join(dir, wireKey+".wav"))
	require.NoError(t, err)
	assert.Equal(t, full, b)
}

// A server whose Content-Length disagrees with the listing's size fails
// the recording (the data is not what was listed); it is not retried.
func TestWireArchiveSizeMismatch(t *testing.T) {
	calls := 0
	c, _ := wireArchiveClient(t, 1000, func(*http.Request) (*http.Response, error) {
		calls++
		return audioResponse(200, http.Header{}, make([]byte, 900), 900), nil
	})
	dir := t.TempDir()
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{Format: avaya.WAV})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Errors[wireKey].Error(), "the server sends 900 bytes, the listing says 1000")
	assert.Equal(t, 1, calls)
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries)
}

// A weak ETag must not be used for If-Range: without a usable validator
// the download starts over instead of resuming.
func TestWireArchiveWeakETagStartsOver(t *testing.T) {
	full := bytes.Repeat([]byte("abcdefghij"), 50)
	var ranges []string
	c, _ := wireArchiveClient(t, len(full), func(r *http.Request) (*http.Response, error) {
		ranges = append(ranges, r.Header.Get("Range"))
		if len(ranges) == 1 {
			return audioResponse(200, http.Header{"Etag": {`W/"v1"`}}, full[:100], -1), nil
		}
		return audioResponse(200, http.Header{"Etag": {`W/"v1"`}}, full, int64(len(full))), nil
	})
	dir := t.TempDir()
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{Format: avaya.WAV})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	assert.Equal(t, []string{"", ""}, ranges)
	b, _ := os.ReadFile(filepath.Join(dir, wireKey+".wav"))
	assert.Equal(t, full, b)
}
