package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunLocalReceiver(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", ""))
	s := out.String()
	assert.Contains(t, s, "sent record 5")
	assert.Contains(t, s, "sent it again")
	assert.Contains(t, s, "answered by:       agent.y")
	assert.Contains(t, s, "transaction codes: AAA, BBB, CCC")
	assert.Contains(t, s, "call 4711 from 49199123456789 (5 records)", "the record refused with 423 was resent, none lost")
}

func TestRunNeedsTokenForRemoteEndpoint(t *testing.T) {
	var out bytes.Buffer
	require.Error(t, run(context.Background(), &out, "http://127.0.0.1:1/x", ""))
}
