package avaya_test

import (
	"bytes"
	"context"
	"encoding/binary"
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
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{Format: avaya.SPX})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	require.Len(t, got, 2)
	assert.Empty(t, got[0].Header.Get("Range"))
	assert.Equal(t, "bytes=400-", got[1].Header.Get("Range"))
	assert.Equal(t, `"v1"`, got[1].Header.Get("If-Range"))
	b, err := os.ReadFile(filepath.Join(dir, wireKey+".spx"))
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
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{Format: avaya.SPX})
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
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{Format: avaya.SPX})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	assert.Equal(t, []string{"", ""}, ranges)
	b, _ := os.ReadFile(filepath.Join(dir, wireKey+".spx"))
	assert.Equal(t, full, b)
}

// makeWAV is an 8 kHz 16-bit mono PCM WAV of samples with the given
// RIFF and data chunk sizes in its header (-1: the true ones).
func makeWAV(samples []byte, riff, data int64) []byte {
	if data < 0 {
		data = int64(len(samples))
	}
	if riff < 0 {
		riff = 36 + int64(len(samples))
	}
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(riff))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 8000)
	b = binary.LittleEndian.AppendUint32(b, 16000)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(data))
	return append(b, samples...)
}

func wireWAV(t *testing.T, audio httpmock.Responder) (*avaya.ArchiveResult, string) {
	t.Helper()
	c, _ := wireArchiveClient(t, 1000, audio) // the listing's size: the SPX file's
	dir := t.TempDir()
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{Format: avaya.WAV})
	require.NoError(t, err)
	return res, dir
}

// Issue 12 (review): the listing's size is the stored SPX file's; a WAV
// of another size is the recording, not a mismatch. It failed every WAV.
func TestWireArchiveWAVIgnoresListedSize(t *testing.T) {
	wav := makeWAV(bytes.Repeat([]byte{1, 2, 3, 4}, 2000), -1, -1)
	res, dir := wireWAV(t, func(*http.Request) (*http.Response, error) {
		return audioResponse(200, http.Header{}, wav, int64(len(wav))), nil
	})
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	b, err := os.ReadFile(filepath.Join(dir, wireKey+".wav"))
	require.NoError(t, err)
	assert.Equal(t, wav, b)
}

// A WAV cut short on a close-delimited body (no Content-Length) is caught
// by its RIFF size and resumed with Range.
func TestWireArchiveWAVCutShortWithoutLength(t *testing.T) {
	wav := makeWAV(bytes.Repeat([]byte{5, 6, 7, 8}, 1500), -1, -1)
	var ranges []string
	res, dir := wireWAV(t, func(r *http.Request) (*http.Response, error) {
		ranges = append(ranges, r.Header.Get("Range"))
		if len(ranges) == 1 {
			return audioResponse(200, http.Header{"Etag": {`"w1"`}}, wav[:2500], -1), nil
		}
		cr := fmt.Sprintf("bytes 2500-%d/%d", len(wav)-1, len(wav))
		return audioResponse(206, http.Header{"Content-Range": {cr}}, wav[2500:], -1), nil
	})
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	assert.Equal(t, []string{"", "bytes=2500-"}, ranges)
	b, err := os.ReadFile(filepath.Join(dir, wireKey+".wav"))
	require.NoError(t, err)
	assert.Equal(t, wav, b)
}

// The WAV header rules: an unknown RIFF size (a streaming writer's
// 0xFFFFFFFF) is checked by the data chunk; a header with no size at all,
// a body longer or shorter than its header says although the transfer
// was whole, and a body that is no WAV fail at once (not retried) and are
// never kept.
func TestWireArchiveWAVHeaderChecks(t *testing.T) {
	samples := bytes.Repeat([]byte{9, 8, 7, 6}, 500)
	for _, tc := range []struct {
		name   string
		body   []byte
		length bool   // send Content-Length
		cut    int    // send only the first cut bytes, when not 0
		fail   string // "" when kept
		calls  int
	}{
		{name: "unknown RIFF size, data size", body: makeWAV(samples, 0xFFFFFFFF, -1), calls: 1},
		{name: "RIFF size 0, data size", body: makeWAV(samples, 0, -1), length: true, calls: 1},
		{name: "unknown RIFF size, cut", body: makeWAV(samples, 0xFFFFFFFF, -1), cut: 1000, fail: "its WAV data chunk ends at 2044", calls: 3},
		{name: "no size at all", body: makeWAV(samples, 0xFFFFFFFF, 0xFFFFFFFF), length: true, fail: "cannot be told from a cut-short file", calls: 1},
		{name: "longer than its header", body: append(makeWAV(samples, -1, -1), 0, 0, 0, 0), length: true, fail: "2048 bytes, its WAV header gives 2044", calls: 1},
		{name: "header says more than was sent", body: makeWAV(samples, 5000, -1), length: true, fail: "of the 5008 bytes its WAV header gives", calls: 1},
		{name: "not a WAV", body: []byte("<html>Service Unavailable</html>"), length: true, fail: "not a WAV file", calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			res, dir := wireWAV(t, func(*http.Request) (*http.Response, error) {
				calls++
				body, n := tc.body, int64(-1)
				if tc.length {
					n = int64(len(body))
				}
				if tc.cut > 0 {
					body = body[:tc.cut]
				}
				return audioResponse(200, http.Header{}, body, n), nil
			})
			assert.Equal(t, tc.calls, calls)
			entries, _ := os.ReadDir(dir)
			if tc.fail == "" {
				require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
				b, err := os.ReadFile(filepath.Join(dir, wireKey+".wav"))
				require.NoError(t, err)
				assert.Equal(t, tc.body, b)
				return
			}
			require.Equal(t, 1, res.Failed)
			assert.Contains(t, res.Errors[wireKey].Error(), tc.fail)
			assert.Empty(t, entries, "nothing kept")
		})
	}
}
