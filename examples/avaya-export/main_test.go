package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExportsEveryIntervalAgainstTheFake(t *testing.T) {
	now := time.Date(2024, 5, 4, 10, 0, 0, 0, time.Local)
	clock := func() time.Time { return now }
	dsn := filepath.Join(t.TempDir(), "export.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &stopAfter{lines: 3, cancel: cancel} // the fake's address and two runs, as SIGINT would
	require.NoError(t, run(ctx, out, config{dsn: dsn, window: 24 * time.Hour, every: 20 * time.Millisecond, now: clock}))
	s := out.String()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	require.GreaterOrEqual(t, len(lines), 3, s)
	assert.Contains(t, lines[1], "exported 3 windows; avaya_report_5b0b4bd4 holds 3 rows; next window starts 2024-05-04 00:00")
	assert.Contains(t, lines[2], "exported 0 windows; avaya_report_5b0b4bd4 holds 3 rows", "later runs add nothing until a window ends")

	// A later run (a new process, a day later) continues where it stopped.
	now = now.AddDate(0, 0, 1)
	var again bytes.Buffer
	require.NoError(t, run(context.Background(), &again, config{dsn: dsn, window: 24 * time.Hour, now: clock}))
	assert.Contains(t, again.String(), "exported 1 windows; avaya_report_5b0b4bd4 holds 4 rows; next window starts 2024-05-05 00:00")
}

// stopAfter cancels the run once it has printed so many lines.
type stopAfter struct {
	bytes.Buffer
	lines  int
	cancel context.CancelFunc
}

func (w *stopAfter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Count(w.String(), "\n") >= w.lines {
		w.cancel()
	}
	return n, err
}

func TestRemoteNeedsTokenAndReport(t *testing.T) {
	cfg := config{baseURL: "http://127.0.0.1:1", dsn: "x.db", now: time.Now}
	assert.ErrorContains(t, run(context.Background(), &bytes.Buffer{}, cfg), "AVAYA_TOKEN")
	cfg.token = "k"
	assert.ErrorContains(t, run(context.Background(), &bytes.Buffer{}, cfg), "-report")
}

func TestBadStart(t *testing.T) {
	cfg := config{dsn: filepath.Join(t.TempDir(), "x.db"), start: "May 1", window: time.Hour, now: time.Now}
	assert.ErrorContains(t, run(context.Background(), &bytes.Buffer{}, cfg), "-start")
}
