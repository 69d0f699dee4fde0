package webchat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
)

// Handlers receive the agent's messages by type; any may be nil. Default,
// if set, gets the types without a handler (unknown types included). A
// handler's error leaves the message to be delivered again.
type Handlers struct {
	EstimatedWaitTime func(ctx context.Context, wait string) error
	ChatStarted       func(ctx context.Context, agent string, m AgentMessage) error
	ChatTransferred   func(ctx context.Context, newAgent string, m AgentMessage) error
	ChatText          func(ctx context.Context, text string) error
	AgentTyping       func(ctx context.Context, typing bool) error
	TakeScreenshot    func(ctx context.Context) error
	// Ended gets CHAT_ENDED, FORCE_CLOSE and MULTIMEDIA_DOWN.
	Ended   func(ctx context.Context, m AgentMessage) error
	Default func(ctx context.Context, m AgentMessage) error
}

func (h *Handlers) dispatch(ctx context.Context, m AgentMessage) error {
	call := func(f func() error, set bool) error {
		if set {
			return f()
		}
		if h.Default != nil {
			return h.Default(ctx, m)
		}
		return nil
	}
	switch m.Type {
	case EstimatedWaitTime:
		return call(func() error { return h.EstimatedWaitTime(ctx, m.EstimatedWait) }, h.EstimatedWaitTime != nil)
	case ChatStarted:
		return call(func() error { return h.ChatStarted(ctx, m.Agent, m) }, h.ChatStarted != nil)
	case ChatTransferred:
		return call(func() error { return h.ChatTransferred(ctx, m.NewAgent, m) }, h.ChatTransferred != nil)
	case ChatText:
		return call(func() error { return h.ChatText(ctx, m.Text) }, h.ChatText != nil)
	case AgentTyping:
		return call(func() error { return h.AgentTyping(ctx, m.IsTyping) }, h.AgentTyping != nil)
	case TakeScreenshot:
		return call(func() error { return h.TakeScreenshot(ctx) }, h.TakeScreenshot != nil)
	case ChatEnded, ForceClose, MultimediaDown:
		return call(func() error { return h.Ended(ctx, m) }, h.Ended != nil)
	}
	return call(nil, false)
}

// Conversation runs a chat: keep-alive, receiving and dispatching the
// agent's messages, until a terminal message or the end of the chat.
type Conversation struct {
	Chat     *Chat
	Source   MessageSource
	Handlers Handlers
	// KeepAlive is the still-here interval (DefaultKeepAlive when 0).
	KeepAlive time.Duration
	// EndGrace bounds the POST /chat/end that Run sends when it stops
	// while the chat is still open (DefaultEndGrace when 0).
	EndGrace time.Duration
}

// DefaultEndGrace is how long Run waits for the end of a chat it stops
// (its context ended, say, on Ctrl-C).
const DefaultEndGrace = 5 * time.Second

// ErrChatClosed says how a conversation ended when the agent side closed
// it: Run returns it wrapped with the terminal message's type for
// FORCE_CLOSE and MULTIMEDIA_DOWN; CHAT_ENDED and End return nil.
var ErrChatClosed = errors.New("contactkit: webchat: the chat was closed")

// Run runs the conversation until a terminal message arrives (nil for
// CHAT_ENDED, ErrChatClosed for FORCE_CLOSE and MULTIMEDIA_DOWN), the chat
// is ended with Chat.End (nil), the keep-alive is rejected, the source
// fails, or ctx ends.
//
// When it stops with the chat still open (ctx ended, as on Ctrl-C; the
// keep-alive rejected; the source failed), it ends the chat with
// POST /chat/end, on a context of its own bounded by EndGrace, so that the
// agent is not left with an orphaned chat; a failure of that end is
// joined to the error returned. Every goroutine it starts has stopped
// when it returns.
func (cv *Conversation) Run(ctx context.Context) error {
	if cv.Chat == nil || cv.Source == nil {
		return &contactkit.ValidationError{Field: "Conversation", Reason: "needs a Chat and a Source"}
	}
	err := cv.run(ctx)
	if cv.Chat.closed.Load() {
		return err
	}
	grace := cv.EndGrace
	if grace <= 0 {
		grace = DefaultEndGrace
	}
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if endErr := cv.Chat.End(endCtx); endErr != nil {
		return errors.Join(err, fmt.Errorf("contactkit: webchat: ending the chat: %w", endErr))
	}
	return err
}

func (cv *Conversation) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := cv.Chat.KeepAlive(ctx, cv.KeepAlive); err != nil && ctx.Err() == nil {
			cancel(err)
		}
	}()
	go func() { // End from elsewhere stops receiving too
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-cv.Chat.Done():
			cancel(errChatEndedLocally)
		}
	}()
	err := cv.Source.Receive(ctx, func(hctx context.Context, m AgentMessage) error {
		if err := cv.Handlers.dispatch(hctx, m); err != nil {
			return err
		}
		if m.Terminal() {
			end := errTerminalEnded
			if m.Type != ChatEnded {
				end = &closedError{typ: m.Type}
			}
			cancel(end) // before markClosed, so the cause is this message
			cv.Chat.markClosed()
		}
		return nil
	})
	cancel(nil)
	wg.Wait()
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTerminalEnded), errors.Is(cause, errChatEndedLocally):
		return nil
	case cause != nil && !errors.Is(cause, context.Canceled):
		return cause
	}
	return err
}

var (
	errTerminalEnded    = errors.New("chat ended by the agent")
	errChatEndedLocally = errors.New("chat ended by End")
)

type closedError struct{ typ MessageType }

func (e *closedError) Error() string { return ErrChatClosed.Error() + ": " + string(e.typ) }
func (e *closedError) Unwrap() error { return ErrChatClosed }
