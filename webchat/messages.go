package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// MessageType is the type of a message from the agent side. Values the
// document does not list are kept.
type MessageType string

// The documented message types.
const (
	EstimatedWaitTime MessageType = "ESTIMATED_WAIT_TIME"
	ChatStarted       MessageType = "CHAT_STARTED"
	ChatTransferred   MessageType = "CHAT_TRANSFERRED"
	ChatText          MessageType = "CHAT_TEXT"
	AgentTyping       MessageType = "AGENT_TYPING"
	TakeScreenshot    MessageType = "TAKE_SCREENSHOT"
	ChatEnded         MessageType = "CHAT_ENDED"      // the agent ended the chat
	ForceClose        MessageType = "FORCE_CLOSE"     // the agent was disconnected; ends the chat
	MultimediaDown    MessageType = "MULTIMEDIA_DOWN" // the customer's server went offline; ends the chat
)

func (t MessageType) String() string { return string(t) }

// Terminal reports whether the message ends the chat.
func (t MessageType) Terminal() bool {
	return t == ChatEnded || t == ForceClose || t == MultimediaDown
}

// AgentMessage is one message from the serverToClientQueue. Which fields
// mean something depends on Type.
type AgentMessage struct {
	Type MessageType
	// ID is the queue's id of the message (SQS MessageId), the same on
	// every delivery of it: what a consumer de-duplicates by. Empty for a
	// message decoded with DecodeMessage.
	ID string
	// Receipt is this delivery's SQS receipt handle, for SQSSource.Delete
	// (with SQSOptions.DeleteLater). Empty for other sources.
	Receipt string
	// EstimatedWait: ESTIMATED_WAIT_TIME, an English description.
	EstimatedWait string
	// Agent and AgentImageBase64: CHAT_STARTED (agent, agentBase64Image).
	Agent, AgentImageBase64 string
	// NewAgent and NewAgentImageBase64: CHAT_TRANSFERRED.
	NewAgent, NewAgentImageBase64 string
	// Text: CHAT_TEXT.
	Text string
	// IsTyping: AGENT_TYPING, sent as "True"/"False" or as a boolean.
	IsTyping bool
	// Raw is the message as received.
	Raw json.RawMessage
}

// Terminal reports whether the message ends the chat.
func (m *AgentMessage) Terminal() bool { return m.Type.Terminal() }

// Image decodes the agent's picture of CHAT_STARTED or CHAT_TRANSFERRED.
func (m *AgentMessage) Image() ([]byte, error) {
	switch m.Type {
	case ChatStarted:
		return decodeImage(m.AgentImageBase64)
	case ChatTransferred:
		return decodeImage(m.NewAgentImageBase64)
	}
	return nil, errors.New("contactkit: webchat: " + string(m.Type) + " carries no image")
}

type messageWire struct {
	Type             MessageType     `json:"type"`
	EstimatedWait    string          `json:"estimatedWait,omitempty"`
	Agent            string          `json:"agent,omitempty"`
	AgentBase64Image string          `json:"agentBase64Image,omitempty"`
	NewAgent         string          `json:"newAgent,omitempty"`
	NewAgentImage    string          `json:"newAgentImage,omitempty"`
	Text             string          `json:"text,omitempty"`
	IsTyping         json.RawMessage `json:"isTyping,omitempty"`
}

// DecodeMessage reads one queue message body.
func DecodeMessage(body []byte) (AgentMessage, error) {
	var w messageWire
	if err := json.Unmarshal(body, &w); err != nil {
		return AgentMessage{}, err
	}
	if w.Type == "" {
		return AgentMessage{}, errors.New("contactkit: webchat: message has no type")
	}
	m := AgentMessage{
		Type: w.Type, EstimatedWait: w.EstimatedWait, Agent: w.Agent, AgentImageBase64: w.AgentBase64Image,
		NewAgent: w.NewAgent, NewAgentImageBase64: w.NewAgentImage, Text: w.Text,
		Raw: append(json.RawMessage(nil), body...),
	}
	if len(w.IsTyping) > 0 {
		switch strings.ToLower(strings.Trim(string(w.IsTyping), `"`)) {
		case "true":
			m.IsTyping = true
		case "false":
		default:
			return AgentMessage{}, errors.New(`contactkit: webchat: isTyping must be "True", "False" or a boolean`)
		}
	}
	return m, nil
}

// UnmarshalJSON is DecodeMessage.
func (m *AgentMessage) UnmarshalJSON(b []byte) error {
	out, err := DecodeMessage(b)
	if err != nil {
		return err
	}
	*m = out
	return nil
}

// MarshalJSON writes the message as received, or, for one built in Go, in
// the wire form (isTyping as "True"/"False").
func (m AgentMessage) MarshalJSON() ([]byte, error) {
	if m.Raw != nil {
		return m.Raw, nil
	}
	w := messageWire{
		Type: m.Type, EstimatedWait: m.EstimatedWait, Agent: m.Agent, AgentBase64Image: m.AgentImageBase64,
		NewAgent: m.NewAgent, NewAgentImage: m.NewAgentImageBase64, Text: m.Text,
	}
	if m.Type == AgentTyping {
		w.IsTyping = json.RawMessage(`"False"`)
		if m.IsTyping {
			w.IsTyping = json.RawMessage(`"True"`)
		}
	}
	return json.Marshal(w)
}

// MessageSource delivers the agent's messages. Receive calls handle for
// every message until ctx ends, and returns ctx's error then. A message
// whose handler returns an error is not acknowledged and is delivered
// again later (at-least-once); handlers should tolerate repeats.
type MessageSource interface {
	Receive(ctx context.Context, handle func(ctx context.Context, m AgentMessage) error) error
}
