package webchat_test

import (
	"encoding/json"
	"testing"

	"github.com/contactkit/contactkit/internal/benchutil"
	"github.com/contactkit/contactkit/webchat"
)

// plainMessage is what a hand-written consumer would decode a queue
// message into.
type plainMessage struct {
	Type             string          `json:"type"`
	EstimatedWait    string          `json:"estimatedWait"`
	Agent            string          `json:"agent"`
	AgentBase64Image string          `json:"agentBase64Image"`
	NewAgent         string          `json:"newAgent"`
	NewAgentImage    string          `json:"newAgentImage"`
	Text             string          `json:"text"`
	IsTyping         json.RawMessage `json:"isTyping"`
}

var queueMessages = [][]byte{
	[]byte(`{"type":"ESTIMATED_WAIT_TIME","estimatedWait":"Less than a minute"}`),
	[]byte(`{"type":"CHAT_STARTED","agent":"Anna Agent","agentBase64Image":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}`),
	[]byte(`{"type":"AGENT_TYPING","isTyping":"True"}`),
	[]byte(`{"type":"CHAT_TEXT","text":"Hello End User, how can I help you with model no. 24601 today?"}`),
	[]byte(`{"type":"AGENT_TYPING","isTyping":"False"}`),
	[]byte(`{"type":"CHAT_ENDED"}`),
}

// BenchmarkMessageDecode decodes queue messages with DecodeMessage beside
// plain encoding/json into a struct of the same fields.
func BenchmarkMessageDecode(b *testing.B) {
	i := 0
	sdk := func() error {
		i++
		_, err := webchat.DecodeMessage(queueMessages[i%len(queueMessages)])
		return err
	}
	base := func() error {
		i++
		var m plainMessage
		return json.Unmarshal(queueMessages[i%len(queueMessages)], &m)
	}
	b.Run("baseline", func(b *testing.B) { benchutil.Loop(b, base) })
	b.Run("sdk", func(b *testing.B) { benchutil.Loop(b, sdk) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, sdk, base) })
}
