package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBoardAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", "", "", 2500*time.Millisecond, false))
	s := out.String()
	assert.Contains(t, s, "Calls in Queue")
	assert.Contains(t, s, "Longest Wait")
	assert.Contains(t, s, "Avg Talk Time")
	assert.Contains(t, s, "(connected)")
	assert.Contains(t, s, "stopped after 2.5s")
	assert.GreaterOrEqual(t, strings.Count(s, "Avaya Call Reporting realtime"), 2)
}
