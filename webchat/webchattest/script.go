package webchattest

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/contactkit/contactkit/webchat"
)

// The agents of the script.
const (
	FirstAgent  = "Anna Agent"
	SecondAgent = "Bob Billing"
)

func body(v map[string]any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// script queues the opening of a chat.
func (s *Server) script(ctx context.Context, id, name string) {
	s.enqueue(ctx, id,
		body(map[string]any{"type": webchat.EstimatedWaitTime, "estimatedWait": "Less than a minute"}),
		body(map[string]any{"type": webchat.ChatStarted, "agent": FirstAgent, "agentBase64Image": AgentImage}),
		body(map[string]any{"type": webchat.AgentTyping, "isTyping": "True"}),
		body(map[string]any{"type": webchat.ChatText, "text": "Hello " + name + ", how can I help?"}),
		body(map[string]any{"type": webchat.AgentTyping, "isTyping": "False"}),
	)
}

// reply answers the end user's n-th message.
func (s *Server) reply(ctx context.Context, id string, n int, text string) {
	var msgs []string
	if n == 2 {
		msgs = append(msgs, body(map[string]any{"type": webchat.ChatTransferred, "newAgent": SecondAgent, "newAgentImage": AgentImage}))
	}
	msgs = append(msgs,
		body(map[string]any{"type": webchat.AgentTyping, "isTyping": true}),
		body(map[string]any{"type": webchat.ChatText, "text": "You wrote: " + text}),
		body(map[string]any{"type": webchat.AgentTyping, "isTyping": false}),
	)
	lower := strings.ToLower(text)
	if strings.Contains(lower, "screenshot") {
		msgs = append(msgs, body(map[string]any{"type": webchat.TakeScreenshot}))
	}
	if strings.Contains(lower, "bye") {
		msgs = append(msgs, body(map[string]any{"type": webchat.ChatText, "text": "Goodbye!"}), body(map[string]any{"type": webchat.ChatEnded}))
	}
	s.enqueue(ctx, id, msgs...)
}

// ForceClose sends FORCE_CLOSE, as when the agent is disconnected.
func (s *Server) ForceClose(id string) {
	s.enqueue(context.Background(), id, body(map[string]any{"type": webchat.ForceClose}))
}

// MultimediaDown sends MULTIMEDIA_DOWN, as when the customer's server
// goes offline.
func (s *Server) MultimediaDown(id string) {
	s.enqueue(context.Background(), id, body(map[string]any{"type": webchat.MultimediaDown}))
}

// Enqueue puts raw message bodies on a session's queue.
func (s *Server) Enqueue(id string, bodies ...string) { s.enqueue(context.Background(), id, bodies...) }

func (s *Server) enqueue(ctx context.Context, id string, bodies ...string) {
	if s.delivery != nil {
		for _, b := range bodies {
			_ = s.delivery.Send(context.WithoutCancel(ctx), id, b)
		}
		return
	}
	s.mu.Lock()
	q := s.queues[id]
	s.mu.Unlock()
	if q != nil {
		for _, b := range bodies {
			q.send(b)
		}
	}
}

// Source is the in-memory serverToClientQueue of a session, as a
// webchat.MessageSource (nil for an unknown session).
func (s *Server) Source(id string) webchat.MessageSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[id]; q != nil {
		return q
	}
	return nil
}
