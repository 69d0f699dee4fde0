package avaya_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fast = avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 2 * time.Second})

func newFake(t *testing.T, opts ...avaya.Option) (*avayatest.Server, *avaya.Client) {
	t.Helper()
	srv := avayatest.NewServer()
	t.Cleanup(srv.Close)
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), append([]avaya.Option{fast}, opts...)...)
	require.NoError(t, err)
	return srv, c
}

func readAll(t *testing.T, a *avaya.Stream) []byte {
	t.Helper()
	defer a.Body.Close()
	b, err := io.ReadAll(a.Body)
	require.NoError(t, err)
	return b
}

func TestRecordingAudioStreams(t *testing.T) {
	srv, c := newFake(t)
	a, err := c.RecordingAudio(context.Background(), avayatest.DocumentedRecording1, avaya.WAV)
	require.NoError(t, err)
	assert.Equal(t, "audio/wav", a.ContentType)
	assert.EqualValues(t, 391_850, a.Length, "48,974 ms of 8 kHz µ-law and its header, not the listing's 42,443")
	b := readAll(t, a)
	want, _ := io.ReadAll(avayatest.WAVReader(avaya.Recording{Key: avayatest.DocumentedRecording1, Duration: 48974 * time.Millisecond}))
	assert.Equal(t, want, b)
	assert.Equal(t, "RIFF", string(b[:4]))
	reqs := srv.Requests()
	assert.Equal(t, "/rest/api/v1/recordings/83849370-5753-4186-9fc5-9c069e615734-1568735345298/audio", reqs[0].Path)
	assert.Equal(t, "format=wav", reqs[0].Query)

	a, err = c.RecordingAudio(context.Background(), avayatest.DocumentedRecording1, "")
	require.NoError(t, err)
	assert.Equal(t, "audio/ogg", a.ContentType, "spx is the default")
	assert.EqualValues(t, 42443, a.Length, "SPX is the stored file: the listing's size")
	b = readAll(t, a)
	want, _ = io.ReadAll(avayatest.AudioReader(avayatest.DocumentedRecording1, 42443))
	assert.Equal(t, want, b)
	assert.Empty(t, srv.Requests()[1].Query)
}

func TestAudioValidationAndErrors(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	_, err := c.RecordingAudio(ctx, avayatest.DocumentedRecording1, "mp3")
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "format", ve.Field)
	_, err = c.RecordingAudio(ctx, "not-a-key", avaya.WAV)
	require.ErrorAs(t, err, &ve)
	assert.Empty(t, srv.Requests(), "bad input never reaches the server")

	unknown := avaya.NewKey("99999999-9999-4999-8999-999999999999", time.Unix(1, 0))
	_, err = c.RecordingAudio(ctx, unknown, avaya.WAV)
	require.ErrorIs(t, err, contactkit.ErrNotFound)
	assert.Contains(t, err.Error(), "An invalid recording key was provided.")

	srv.Forbid(avayatest.DocumentedRecording2)
	_, err = c.RecordingAudio(ctx, avayatest.DocumentedRecording2, avaya.WAV)
	require.ErrorIs(t, err, contactkit.ErrForbidden)

	bad, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken("wrong"))
	_, err = bad.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.WAV)
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)

	srv.SetEgressCapReached(true)
	before := len(srv.Requests())
	_, err = c.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.WAV)
	require.ErrorIs(t, err, contactkit.ErrEgressLimit)
	assert.Len(t, srv.Requests(), before+1, "509 is not retried")
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	srv, c := newFake(t)
	srv.LimitAudio(1200 * time.Millisecond)
	ctx := context.Background()
	start := time.Now()
	for range 2 {
		a, err := c.RecordingAudio(ctx, avayatest.DocumentedRecording1, avaya.SPX)
		require.NoError(t, err)
		readAll(t, a)
	}
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "the second request waited out Retry-After")
	statuses := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/audio") {
			statuses++
		}
	}
	assert.Equal(t, 3, statuses, "one 429, then the retry")
}

func TestCallAudioFallsBackBetweenPathForms(t *testing.T) {
	for _, tc := range []struct {
		form      avayatest.PathForm
		wantPaths []string
	}{
		{avayatest.BothForms, []string{"/api/v1/recordings/K/audio", "/api/v1/recordings/K/audio"}},
		{avayatest.DocumentedForm, []string{"/api/v1/recordings/K/audio", "/api/v1/recordings/K/audio"}},
		{avayatest.AlternativeForm, []string{"/api/v1/recordings/K/audio", "/rest/api/v1/calls/K/audio", "/rest/api/v1/calls/K/audio"}},
	} {
		srv, c := newFake(t)
		srv.PathForms(tc.form)
		for range 2 {
			a, err := c.CallAudio(context.Background(), avayatest.DocumentedCall, avaya.WAV)
			require.NoError(t, err, tc.form)
			assert.Len(t, readAll(t, a), 58+(48974+59347)*8, "one WAV of both recordings of the call")
		}
		var paths []string
		for _, r := range srv.Requests() {
			paths = append(paths, strings.ReplaceAll(r.Path, string(avayatest.DocumentedCall), "K"))
		}
		assert.Equal(t, tc.wantPaths, paths, "form %d: the working form is remembered", tc.form)
	}
	srv, c := newFake(t)
	srv.PathForms(avayatest.AlternativeForm)
	unknown := avaya.NewKey("99999999-9999-4999-8999-999999999999", time.Unix(1, 0))
	_, err := c.CallAudio(context.Background(), unknown, avaya.WAV)
	require.ErrorIs(t, err, contactkit.ErrNotFound)
	assert.Contains(t, err.Error(), "An invalid call key was provided.", "a 404 with a reason is the key, not the path")
}

func TestRecordingsInTimeFrameBothForms(t *testing.T) {
	for _, form := range []avayatest.PathForm{avayatest.DocumentedForm, avayatest.AlternativeForm} {
		srv, c := newFake(t)
		srv.PathForms(form)
		recs, err := c.Recordings(context.Background(), time.UnixMilli(1568735345298), time.UnixMilli(1568739643644))
		require.NoError(t, err)
		require.Len(t, recs, 2)
		assert.Equal(t, avayatest.DocumentedRecording1, recs[0].Key)
		last := srv.Requests()[len(srv.Requests())-1]
		assert.Equal(t, "startTime=1568735345298&endTime=1568739643644", last.Query)
		empty, err := c.Recordings(context.Background(), time.Unix(0, 0), time.Unix(10, 0))
		require.NoError(t, err)
		assert.Empty(t, empty)
	}
	_, c := newFake(t)
	_, err := c.Recordings(context.Background(), time.Unix(10, 0), time.Unix(0, 0))
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	_, err = c.Recordings(context.Background(), time.Time{}, time.Unix(0, 0))
	require.ErrorAs(t, err, &ve)
}

func TestListenLinksAndCallRecordings(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	u, err := c.RecordingListenLink(ctx, avayatest.DocumentedRecording1)
	require.NoError(t, err)
	assert.Equal(t, "83849370-5753-4186-9fc5-9c069e615734", u.Query().Get("id"))
	assert.Equal(t, "/extlisten/recording/index.html", u.Path)
	u, err = c.CallListenLink(ctx, avayatest.DocumentedCall)
	require.NoError(t, err)
	assert.Equal(t, "/extlisten/call/index.html", u.Path)

	recs, err := c.CallRecordings(ctx, avayatest.DocumentedCall)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, avayatest.DocumentedRecording2, recs[1].Key)

	srv.FailNext(1, 503)
	_, err = c.RecordingListenLink(ctx, avayatest.DocumentedRecording1)
	require.ErrorIs(t, err, contactkit.ErrServer, "creating a link is not retried once sent")
}

func TestRunReportAndCachedReports(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	from := time.Date(2019, 9, 9, 0, 0, 0, 0, time.FixedZone("", -6*3600))
	params := []avaya.Parameter{
		avaya.TimeframeParam("Report Timeframe", from, from.Add(48*time.Hour-time.Second)),
		avaya.PBXUsersParam("Rows (Agent)", "Agent1(200)"),
	}
	rep, err := c.RunReport(ctx, avayatest.AgentTalkingSummary, params...)
	require.NoError(t, err)
	assert.Equal(t, "Agent Talking Summary", rep.Title)
	assert.Equal(t, "3:31:13", rep.Table()[1][5])
	var body map[string]any
	require.NoError(t, json.Unmarshal(srv.Requests()[0].Body, &body))
	assert.Equal(t, "json", body["format"])
	assert.Contains(t, string(srv.Requests()[0].Body), `"start":"2019-09-09T00:00:00.000-06:00"`)

	srv.CacheNextReports(2)
	srv.ResetRequests()
	rep, err = c.RunReport(ctx, avayatest.AgentTalkingSummary, params...)
	require.NoError(t, err)
	assert.EqualValues(t, 48, rep.ReportID)
	assert.Len(t, srv.Requests(), 3, "two 202s, then the report")

	srv.CacheNextReports(100)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.RunReport(short, avayatest.AgentTalkingSummary, params...)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	srv.CacheNextReports(0)

	csv, err := c.RunReportRaw(ctx, avayatest.AgentTalkingSummary, "csv", params...)
	require.NoError(t, err)
	assert.Equal(t, "text/csv", csv.ContentType)
	assert.Contains(t, string(readAll(t, csv)), "Agent1(200),4,6,4,14,3:31:13,0:30:10")

	_, err = c.RunReport(ctx, avayatest.AgentTalkingSummary, avaya.PBXUsersParam("Rows (Agent)", "Forbidden(999)"))
	require.ErrorIs(t, err, contactkit.ErrForbidden)
	_, err = c.RunReport(ctx, "", params...)
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	_, err = c.RunReport(ctx, avayatest.AgentTalkingSummary, avaya.RawParam("x", "CUSTOM", json.RawMessage(`{bad`)))
	require.ErrorAs(t, err, &ve)
	_, err = c.RunReportRaw(ctx, avayatest.AgentTalkingSummary, "")
	require.ErrorAs(t, err, &ve)
}

func TestAgentsStateMachine(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	m, err := c.AgentMapping(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Nate Thatcher (123)", m["nthatcher"])

	for _, id := range []string{"Ada Lovelace(203)", "203", "alovelace"} {
		st, err := c.RecordingState(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, avaya.StateRecording, st, id)
	}
	st, err := c.PauseRecording(ctx, "Ada Lovelace(203)")
	require.NoError(t, err)
	assert.Equal(t, avaya.StatePaused, st)
	st, _ = c.RecordingState(ctx, "203")
	assert.Equal(t, avaya.StatePaused, st)
	st, err = c.ResumeRecording(ctx, "alovelace")
	require.NoError(t, err)
	assert.Equal(t, avaya.StateRecording, st)
	st, _ = c.PauseRecording(ctx, "200")
	assert.Equal(t, avaya.StateNoRecording, st, "nothing to pause")

	paths := []string{}
	for _, r := range srv.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	assert.Contains(t, paths, "POST /rest/api/v1/agents/Ada%20Lovelace%28203%29/active-recording/pause", "agent ids are path-escaped")

	_, err = c.RecordingState(ctx, "Nobody(999)")
	require.ErrorIs(t, err, contactkit.ErrNotFound)
	_, err = c.PauseRecording(ctx, " ")
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
}

func TestArchive(t *testing.T) {
	srv, c := newFake(t)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	var want []avaya.Recording
	for i := range 6 {
		want = append(want, srv.AddRecording("", base.Add(time.Duration(i)*time.Minute), int64(10_000+i*1000), avaya.StatusSaved))
	}
	srv.AddRecording("", base.Add(30*time.Second), 5000, avaya.StatusDeletedTime)
	dir := t.TempDir()
	var lines []string
	res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, avaya.ArchiveOptions{
		Format: avaya.WAV, Concurrency: 3, Progress: func(p avaya.ArchiveProgress) { lines = append(lines, p.Line()) },
	})
	require.NoError(t, err)
	assert.Equal(t, 6, res.Total, "deleted recordings have no audio")
	assert.Equal(t, 6, res.Downloaded)
	assert.Len(t, lines, 6)
	assert.Equal(t, "[6/6] 6 downloaded, 0 skipped, 0 failed, 0.1 MiB", lines[5])
	for _, r := range want {
		b, err := os.ReadFile(filepath.Join(dir, string(r.Key)+".wav"))
		require.NoError(t, err)
		body, size := avayatest.Audio(avaya.WAV, r)
		w, _ := io.ReadAll(body)
		assert.Len(t, w, int(size))
		assert.NotEqual(t, r.Size, size, "a WAV is not the listing's (SPX) size")
		assert.Equal(t, sha256.Sum256(w), sha256.Sum256(b))
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	assert.Empty(t, leftovers, "no temporary files")

	// A second run resumes: everything is there already.
	require.NoError(t, os.Remove(filepath.Join(dir, string(want[2].Key)+".wav")))
	res, err = c.Archive(context.Background(), base, base.Add(time.Hour), dir, avaya.ArchiveOptions{Format: avaya.WAV})
	require.NoError(t, err)
	assert.Equal(t, 5, res.Skipped)
	assert.Equal(t, 1, res.Downloaded)
}

func TestArchiveFailuresAndStops(t *testing.T) {
	srv, c := newFake(t)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	var recs []avaya.Recording
	for i := range 4 {
		recs = append(recs, srv.AddRecording("", base.Add(time.Duration(i)*time.Minute), 2000, avaya.StatusSaved))
	}
	srv.RemoveAudio(recs[1].Key)
	dir := t.TempDir()
	res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, avaya.ArchiveOptions{Concurrency: 1})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Downloaded)
	assert.Equal(t, 1, res.Failed)
	assert.ErrorIs(t, res.Errors[recs[1].Key], contactkit.ErrNotFound)

	srv.SetEgressCapReached(true)
	_, err = c.Archive(context.Background(), base, base.Add(time.Hour), t.TempDir(), avaya.ArchiveOptions{})
	require.ErrorIs(t, err, contactkit.ErrEgressLimit, "the egress cap stops the run")

	srv.SetEgressCapReached(false)
	srv.SetDelay(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = c.Archive(ctx, base, base.Add(time.Hour), t.TempDir(), avaya.ArchiveOptions{Concurrency: 1})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = c.Archive(context.Background(), base, base.Add(time.Hour), t.TempDir(), avaya.ArchiveOptions{Format: "mp3"})
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
}

// Exact wire check of a pause with an agent id that needs escaping.
func TestWirePause(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var got *http.Request
	mt.RegisterResponder(http.MethodPost, `=~^http://10\.0\.0\.101:9080/rest/api/v1/agents/.*/active-recording/pause$`,
		func(r *http.Request) (*http.Response, error) {
			got = r
			return httpmock.NewStringResponse(200, `{"state": "PAUSED"}`), nil
		})
	c, err := avaya.NewClient("http://10.0.0.101:9080", contactkit.StaticToken("service-key"), avaya.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	st, err := c.PauseRecording(context.Background(), "Nate Thatcher(203)")
	require.NoError(t, err)
	assert.Equal(t, avaya.StatePaused, st)
	assert.Equal(t, "/rest/api/v1/agents/Nate%20Thatcher%28203%29/active-recording/pause", got.URL.EscapedPath())
	assert.Equal(t, "Bearer service-key", got.Header.Get("Authorization"))
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestNewClientChecks(t *testing.T) {
	_, err := avaya.NewClient("http://10.0.0.101:9080", nil)
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "key", ve.Field)
	_, err = avaya.NewClient("http://10.0.0.101:9080", contactkit.StaticToken(""))
	require.ErrorAs(t, err, &ve)
	_, err = avaya.NewClient("10.0.0.101:9080", contactkit.StaticToken("k"))
	require.Error(t, err)
	assert.False(t, errors.Is(err, contactkit.ErrNotFound))
}
