package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestChatAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", "", "", "SkillName"))
	s := out.String()
	assert.Contains(t, s, "Anna Agent joined")
	assert.Contains(t, s, "transferred to Bob Billing")
	assert.Contains(t, s, "uploaded and shared")
	assert.Contains(t, s, "chat ended (CHAT_ENDED)")
	assert.Contains(t, s, "the service got 3 messages from me and 1 screenshot(s)")
	assert.NotContains(t, s, "stopped early")
}

// cancelOn cancels when a line containing trigger is written, as Ctrl-C
// would in the middle of the chat.
type cancelOn struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	trigger string
	cancel  context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.Contains(string(p), w.trigger) {
		w.cancel()
	}
	return w.buf.Write(p)
}

// Ctrl-C in the middle of the chat ends it on the service: the agent is
// not left with an orphaned chat.
func TestInterruptEndsTheChat(t *testing.T) {
	for _, trigger := range []string{"session", "joined", "agent: Hello", "me:    I have a question"} {
		ctx, cancel := context.WithCancel(context.Background())
		w := &cancelOn{trigger: trigger, cancel: cancel}
		err := run(ctx, w, "", "", "", "SkillName")
		cancel()
		require.ErrorIs(t, err, context.Canceled, trigger)
		s := w.buf.String()
		assert.Contains(t, s, "stopped early", trigger)
		assert.Contains(t, s, "the service ended the chat on my request: true", trigger)
	}
}
