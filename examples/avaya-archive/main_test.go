package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/internal/testtool"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func noEnv(string) string { return "" }

// The default run, against the in-process fake, when stdout is not a
// terminal: plain lines, one per recording, then the summary table.
func TestArchiveAgainstFake(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, false, config{to: dir, format: avaya.WAV, workers: 3, env: noEnv}))
	text := out.String()
	assert.Contains(t, text, "12 recordings with audio, 6.2 MiB listed\n")
	assert.Contains(t, text, "[12/12] 12 downloaded, 0 skipped, 0 failed")
	assert.NotContains(t, text, "\r", "no bar, no carriage returns")
	assert.Equal(t, 12, strings.Count(text, " downloaded, 0 skipped, 0 failed"), "a line per recording")
	assert.Regexp(t, `RECORDINGS +COUNT +BYTES\ndownloaded +12 +6\.\d MiB\nalready there +0 *\nfailed +0 *\ntotal +12 +[\d.]+ MiB/s in `, text)
	assert.Contains(t, text, "destination: "+dir+"\n")
	assert.Contains(t, text, "manifest:    file://")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	assert.Len(t, files, 12)
	raw, err := os.ReadFile(filepath.Join(dir, avaya.DefaultManifest))
	require.NoError(t, err)
	entries, err := avaya.ReadManifest(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Len(t, entries, 12)

	err = run(context.Background(), &out, false, config{to: dir, since: "yesterday", env: noEnv})
	require.ErrorContains(t, err, "-since")
	require.Error(t, run(context.Background(), &out, false, config{to: "", env: noEnv}))
	require.Error(t, run(context.Background(), &out, false, config{to: "s3:///x", env: noEnv}))
	require.ErrorContains(t, run(context.Background(), &out, false, config{to: "s3://b/x", env: noEnv}), "AWS_SECRET_ACCESS_KEY", "keys come from the environment")
}

// On a terminal the bar shows bytes, rate and time left.
func TestArchiveProgressBarOnTerminal(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, true, config{to: t.TempDir(), format: avaya.SPX, workers: 2, env: noEnv}))
	text := out.String()
	assert.Contains(t, text, "[12/12] 100% |")
	assert.Regexp(t, `\(6\.2/6\.2 MiB, [\d.]+ MiB/s\)`, text)
	assert.Contains(t, text, "\r")
	assert.Contains(t, text, "total          12")
}

// Issue 12 (review): a rerun skips the finished files instead of
// downloading them again, in both formats; -rate paces the audio
// requests against a server that allows one per interval.
func TestArchiveRerunSkipsFinishedFiles(t *testing.T) {
	for _, format := range []avaya.AudioFormat{avaya.WAV, avaya.SPX} {
		t.Run(string(format), func(t *testing.T) {
			srv := avayatest.NewServer()
			defer srv.Close()
			srv.LimitAudio(5 * time.Millisecond)
			from := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
			for i := range 3 {
				srv.AddRecording("", from.Add(time.Duration(i)*time.Minute), 40_000, avaya.StatusSaved)
			}
			cfg := config{baseURL: srv.URL(), token: srv.Token, to: t.TempDir(), since: from.Format(time.RFC3339),
				until: from.Add(time.Hour).Format(time.RFC3339), format: format, workers: 2, every: 5 * time.Millisecond, env: noEnv}
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, false, cfg), out.String())
			assert.Regexp(t, `downloaded +3 `, out.String())
			files, _ := filepath.Glob(filepath.Join(cfg.to, "*."+string(format)))
			assert.Len(t, files, 3)
			out.Reset()
			srv.ResetRequests()
			require.NoError(t, run(context.Background(), &out, false, cfg), out.String())
			assert.Regexp(t, `downloaded +0 +0\.0 MiB\nalready there +3`, out.String())
			for _, r := range srv.Requests() {
				assert.NotContains(t, r.Path, "/audio", "nothing fetched again")
			}
		})
	}
}

// Issue 12: the example exited 0 although recordings had failed.
func TestArchiveFailsWhenARecordingFailed(t *testing.T) {
	srv := avayatest.NewServer()
	defer srv.Close()
	from := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	var keys []avaya.Key
	for i := range 3 {
		keys = append(keys, srv.AddRecording("", from.Add(time.Duration(i)*time.Minute), 4096, avaya.StatusSaved).Key)
	}
	srv.RemoveAudio(keys[1])
	var out bytes.Buffer
	dir := t.TempDir()
	err := run(context.Background(), &out, false, config{baseURL: srv.URL(), token: srv.Token, to: dir, since: from.Format(time.RFC3339),
		until: from.Add(time.Hour).Format(time.RFC3339), format: avaya.WAV, workers: 2, env: noEnv})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 of 3 recordings failed")
	assert.Contains(t, out.String(), "failed "+string(keys[1]))
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	assert.Len(t, files, 2, "the others are archived")
}

// -to s3://bucket/prefix with the endpoint and keys from the environment,
// against a real s3rver.
func TestArchiveToS3rver(t *testing.T) {
	mod := testtool.NodeModule(t, "s3rver", "S3RVER_MODULE")
	port := testtool.FreePort(t)
	testtool.StartNode(t, `
const [mod, port, dir] = process.argv.slice(2);
const S3rver = require(mod);
new S3rver({ port: Number(port), address: '127.0.0.1', silent: true, directory: dir,
  configureBuckets: [{ name: 'archive' }] }).run().then(() => console.log('ready'));
`, mod, strconv.Itoa(port), t.TempDir())
	env := map[string]string{
		"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:" + strconv.Itoa(port), "AWS_REGION": "eu-central-1",
		"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER",
	}
	var out bytes.Buffer
	cfg := config{to: "s3://archive/avaya/2024", format: avaya.SPX, workers: 2, env: func(k string) string { return env[k] }}
	require.NoError(t, run(context.Background(), &out, false, cfg), out.String())
	assert.Regexp(t, `downloaded +12 `, out.String())
	assert.Contains(t, out.String(), "manifest:    s3://archive/avaya/2024/manifest.jsonl\n")
}
