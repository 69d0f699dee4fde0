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

func TestChatAgainstFake(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "", "", "", "SkillName"))
	s := out.String()
	assert.Contains(t, s, "Anna Agent joined")
	assert.Contains(t, s, "transferred to Bob Billing")
	assert.Contains(t, s, "uploaded and shared")
	assert.Contains(t, s, "chat ended (CHAT_ENDED)")
	assert.Contains(t, s, "the service got 3 messages from me and 1 screenshot(s)")
}
