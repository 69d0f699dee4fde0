package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The quickstart is one of the README's two commands: it must run clean.
func TestTour(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, tour(ctx, &out))
	assert.Contains(t, out.String(), "created callback")
	assert.Contains(t, out.String(), "week total")
	assert.Contains(t, out.String(), "7 deliveries for 5 records")
	assert.Contains(t, out.String(), "token post 200, report post 200")
	assert.Contains(t, out.String(), "Agent Talking Summary: Agent1(200) made 14 calls, talked 3:31:13")
	assert.Contains(t, out.String(), "calls in queue, longest wait")
	assert.Contains(t, out.String(), "the agent ended the chat (CHAT_ENDED)")
	assert.Contains(t, out.String(), "10 deliveries, 5 rows: every record stored once")
	assert.Contains(t, out.String(), "[2/2] 2 downloaded, 0 skipped, 0 failed, 0.8 MiB; manifest: 2 entries")
	assert.Contains(t, out.String(), "Avaya answered 200 at once; then call 83849370-5753-4186-9fc5-9c069e615734, agent Nate Thatcher: listen at /extlisten/call/index.html")
	assert.Contains(t, out.String(), "(window._ximachat.api); queue status for 2 skills")
	assert.Contains(t, out.String(), "one subscription, connected: 2 values for any number of browsers")
	assert.Contains(t, out.String(), "== done")
}
