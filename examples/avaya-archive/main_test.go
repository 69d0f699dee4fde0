package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestArchiveAgainstFake(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", "", dir, "", "", avaya.WAV, 3))
	assert.Contains(t, out.String(), "[12/12] 12 downloaded, 0 skipped, 0 failed")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	assert.Len(t, files, 12)
	require.Error(t, run(context.Background(), &out, "", "", dir, "yesterday", "", avaya.WAV, 1))
}

// Issue 12 (review): the listing's size is the stored SPX file's, so
// every WAV failed its size check and the example exited non-zero; a
// rerun skips the finished WAVs instead of downloading them again. Both
// formats.
func TestArchiveRerunSkipsFinishedFiles(t *testing.T) {
	for _, format := range []avaya.AudioFormat{avaya.WAV, avaya.SPX} {
		t.Run(string(format), func(t *testing.T) {
			srv := avayatest.NewServer()
			defer srv.Close()
			from := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
			for i := range 3 {
				srv.AddRecording("", from.Add(time.Duration(i)*time.Minute), 40_000, avaya.StatusSaved)
			}
			dir := t.TempDir()
			args := func(out *bytes.Buffer) error {
				return run(context.Background(), out, srv.URL(), srv.Token, dir, from.Format(time.RFC3339), from.Add(time.Hour).Format(time.RFC3339), format, 2)
			}
			var out bytes.Buffer
			require.NoError(t, args(&out), out.String())
			assert.Contains(t, out.String(), "3 downloaded, 0 already there")
			files, _ := filepath.Glob(filepath.Join(dir, "*."+string(format)))
			assert.Len(t, files, 3)
			out.Reset()
			srv.ResetRequests()
			require.NoError(t, args(&out), out.String())
			assert.Contains(t, out.String(), "0 downloaded, 3 already there")
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
	err := run(context.Background(), &out, srv.URL(), srv.Token, dir, from.Format(time.RFC3339), from.Add(time.Hour).Format(time.RFC3339), avaya.WAV, 2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 of 3 recordings failed")
	assert.Contains(t, out.String(), "failed "+string(keys[1]))
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	assert.Len(t, files, 2, "the others are archived")
}
