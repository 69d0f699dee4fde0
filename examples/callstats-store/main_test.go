package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestDemoStoresEachRecordOnce(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "callstats.db")
	for run := 1; run <= 2; run++ { // a second run finds the schema and the records
		var out bytes.Buffer
		require.NoError(t, runDemo(t, &out, dsn))
		s := out.String()
		assert.Contains(t, s, "sent them all again")
		assert.Contains(t, s, "stored: 5 records, 1 calls", "run %d", run)
		assert.Contains(t, s, "call 4711 from 49199123456789 (5 records): tried agent.w, agent.x, agent.y, agent.z; answered by agent.y; talk 6m0s; codes AAA, BBB, CCC")
	}
}

func runDemo(t *testing.T, out *bytes.Buffer, dsn string) error {
	t.Helper()
	return run(context.Background(), out, quiet, config{dsn: dsn, path: "/writeCallStatistics"})
}

// stopOnListen cancels the run once the receiver listens, as SIGINT would.
type stopOnListen struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *stopOnListen) Write(p []byte) (int, error) {
	if strings.HasPrefix(string(p), "receiver on ") {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

func TestListenServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &stopOnListen{cancel: cancel}
	cfg := config{dsn: filepath.Join(t.TempDir(), "x.db"), listen: "127.0.0.1:0", path: "/w", token: "t"}
	require.NoError(t, run(ctx, out, quiet, cfg))
	assert.Contains(t, out.String(), "stored: 0 records, 0 calls")
}

func TestListenNeedsToken(t *testing.T) {
	err := run(context.Background(), io.Discard, quiet, config{dsn: "x.db", listen: "127.0.0.1:0"})
	assert.ErrorContains(t, err, "WCS_TOKEN")
}

func TestDescribeHidesPassword(t *testing.T) {
	assert.Equal(t, "postgres://…@db:5432/x", describe("postgres://u:secret@db:5432/x"))
	assert.Equal(t, "callstats.db", describe("callstats.db"))
}
