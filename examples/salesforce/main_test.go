package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/salesforce"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestRunLocalReceiver(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", "", defaultReceiverConfig()))
	s := out.String()
	assert.Contains(t, s, "sent record 5")
	assert.Contains(t, s, "sent it again")
	assert.Contains(t, s, "answered by:       agent.y")
	assert.Contains(t, s, "transaction codes: AAA, BBB, CCC")
	assert.Contains(t, s, "call 4711 from 49199123456789 (5 records)", "the record refused with 423 was resent, none lost")
}

func TestRunNeedsTokenForRemoteEndpoint(t *testing.T) {
	var out bytes.Buffer
	require.Error(t, run(context.Background(), &out, "http://127.0.0.1:1/x", "", defaultReceiverConfig()))
}

func TestListenNeedsToken(t *testing.T) {
	var out bytes.Buffer
	require.ErrorContains(t, listenAndServe(context.Background(), &out, quiet, "127.0.0.1:0", "", defaultReceiverConfig()), "WCS_TOKEN")
}

func TestReceiverConfigChecked(t *testing.T) {
	for name, mutate := range map[string]func(*receiverConfig){
		"no read timeout":        func(c *receiverConfig) { c.ReadTimeout = 0 },
		"no idle timeout":        func(c *receiverConfig) { c.IdleTimeout = 0 },
		"no concurrency":         func(c *receiverConfig) { c.MaxConcurrent = 0 },
		"handler after write":    func(c *receiverConfig) { c.HandlerTimeout = c.WriteTimeout },
		"unbounded body":         func(c *receiverConfig) { c.MaxBodyBytes = 0 },
		"no shutdown grace time": func(c *receiverConfig) { c.ShutdownGrace = 0 },
	} {
		cfg := defaultReceiverConfig()
		mutate(&cfg)
		_, err := newReceiver(cfg, "t", func(context.Context, *salesforce.Record) error { return nil }, quiet)
		require.Error(t, err, name)
	}
}

func TestReceiverDefaultsAreValid(t *testing.T) {
	_, err := newReceiver(defaultReceiverConfig(), "t", func(context.Context, *salesforce.Record) error { return nil }, quiet)
	require.NoError(t, err)
}
