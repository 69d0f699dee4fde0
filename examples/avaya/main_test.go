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

func TestRunAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, options{agent: "Nate Thatcher(123)", outDir: t.TempDir()}))
	s := out.String()
	assert.Contains(t, s, "(391850 bytes, audio/wav") // a real-shaped WAV, not the listed SPX size
	assert.Contains(t, s, "listen link: http://")
	assert.Contains(t, s, "Agent1(200)  4              6               4               14           3:31:13        0:30:10")
	assert.Contains(t, s, "paused Nate Thatcher(123): PAUSED")
	assert.Contains(t, s, "resumed Nate Thatcher(123): RECORDING")
}
