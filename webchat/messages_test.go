package webchat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The document lists each message's fields but prints no bodies; these are
// built from its breakdowns.
func TestEveryMessageType(t *testing.T) {
	cases := []struct {
		body  string
		check func(t *testing.T, m AgentMessage)
	}{
		{`{"type":"ESTIMATED_WAIT_TIME","estimatedWait":"About 2 minutes"}`, func(t *testing.T, m AgentMessage) { assert.Equal(t, "About 2 minutes", m.EstimatedWait) }},
		{`{"type":"CHAT_STARTED","agent":"Agent Name","agentBase64Image":"iVBORw0KGgo="}`, func(t *testing.T, m AgentMessage) {
			assert.Equal(t, "Agent Name", m.Agent)
			img, err := m.Image()
			require.NoError(t, err)
			assert.Equal(t, "\x89PNG\r\n\x1a\n", string(img))
		}},
		{`{"type":"CHAT_TRANSFERRED","newAgent":"Bob","newAgentImage":"data:image/png;base64,iVBORw0KGgo="}`, func(t *testing.T, m AgentMessage) {
			assert.Equal(t, "Bob", m.NewAgent)
			img, err := m.Image()
			require.NoError(t, err)
			assert.Len(t, img, 8)
		}},
		{`{"type":"CHAT_TEXT","text":"Hello!"}`, func(t *testing.T, m AgentMessage) { assert.Equal(t, "Hello!", m.Text) }},
		{`{"type":"AGENT_TYPING","isTyping":"True"}`, func(t *testing.T, m AgentMessage) { assert.True(t, m.IsTyping) }},
		{`{"type":"AGENT_TYPING","isTyping":"False"}`, func(t *testing.T, m AgentMessage) { assert.False(t, m.IsTyping) }},
		{`{"type":"AGENT_TYPING","isTyping":true}`, func(t *testing.T, m AgentMessage) { assert.True(t, m.IsTyping) }},
		{`{"type":"TAKE_SCREENSHOT"}`, func(t *testing.T, m AgentMessage) { assert.False(t, m.Terminal()) }},
		{`{"type":"CHAT_ENDED"}`, func(t *testing.T, m AgentMessage) { assert.True(t, m.Terminal()) }},
		{`{"type":"FORCE_CLOSE"}`, func(t *testing.T, m AgentMessage) { assert.True(t, m.Terminal()) }},
		{`{"type":"MULTIMEDIA_DOWN"}`, func(t *testing.T, m AgentMessage) { assert.True(t, m.Terminal()) }},
		{`{"type":"AGENT_NOTE","note":"new in v2"}`, func(t *testing.T, m AgentMessage) {
			assert.Equal(t, MessageType("AGENT_NOTE"), m.Type, "unknown types are kept")
			assert.JSONEq(t, `{"type":"AGENT_NOTE","note":"new in v2"}`, string(m.Raw))
		}},
	}
	for _, tc := range cases {
		m, err := DecodeMessage([]byte(tc.body))
		require.NoError(t, err, tc.body)
		tc.check(t, m)
		back, err := json.Marshal(m)
		require.NoError(t, err)
		assert.JSONEq(t, tc.body, string(back), "round trip")
	}
	for _, bad := range []string{`{"type":"AGENT_TYPING","isTyping":"maybe"}`, `{}`, `[]`, `{"type":5}`} {
		_, err := DecodeMessage([]byte(bad))
		assert.Error(t, err, bad)
	}
	built, err := json.Marshal(AgentMessage{Type: AgentTyping, IsTyping: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"AGENT_TYPING","isTyping":"True"}`, string(built))
	_, err = (&AgentMessage{Type: ChatText}).Image()
	assert.Error(t, err)
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"type":"CHAT_TEXT","text":"Hi"}`, `{"type":"AGENT_TYPING","isTyping":"True"}`, `{"type":"X"}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeMessage(out)
		if err != nil || again.Type != m.Type || again.Text != m.Text || again.IsTyping != m.IsTyping {
			t.Fatalf("round trip changed %s: %v", b, err)
		}
		_ = m.Terminal()
	})
}

// FuzzDecodeSession: a start answer, flat or wrapped in sessionDetails,
// either fails cleanly or decodes to a Session that re-encodes to a
// Session equal to it (unknown fields included).
func FuzzDecodeSession(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "start_response.json")); err == nil {
		f.Add(b)
	}
	for _, s := range []string{`{"sessionDetails":{"id":"s1","serverToClientQueue":{"url":"https://sqs/q"},"extraQueue":{"url":"x"}}}`,
		`{"id":"s1","agentImage":"","newField":[1,2]}`, `{}`, `null`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := sessionAnswer(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var again Session
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-encoded session does not decode: %v (%s)", err, out)
		}
		out2, err := json.Marshal(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("round trip changed %s to %s: %v", out, out2, err)
		}
	})
}
