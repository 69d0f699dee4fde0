package bridge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/receive"
	"github.com/contactkit/contactkit/webchat"
)

// event is one agent message as the browser gets it.
type event struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Text   string `json:"text,omitempty"`
	Agent  string `json:"agent,omitempty"`
	Image  string `json:"image,omitempty"` // a data: URL of a checked image
	Typing bool   `json:"typing,omitempty"`
	Wait   string `json:"wait,omitempty"`
	End    bool   `json:"end,omitempty"` // a terminal message
	// Ack is what the browser posts to /ack once it has the message (and
	// what EventSource sends back as Last-Event-ID): the delivery's
	// receipt, sealed for this browser.
	Ack string `json:"ack,omitempty"`
}

// ackToken is an event's acknowledgement, sealed with the browser's id
// as additional data: it deletes only what was delivered to that browser.
type ackToken struct {
	Msg     string `json:"m"`
	Queue   string `json:"q"`
	Receipt string `json:"r"`
}

const ackAAD = "ack:"

func (h *Handler) sealAck(st *state, t ackToken) (string, error) {
	return h.seal.sealFor(t, ackAAD+st.Browser)
}

func (h *Handler) openAck(st *state, token string) (ackToken, bool) {
	var t ackToken
	_, err := h.seal.openFor(token, ackAAD+st.Browser, &t)
	return t, err == nil && t.Queue != "" && t.Receipt != ""
}

// ack deletes acknowledged messages from their queue.
func (h *Handler) ack(ctx context.Context, tokens []ackToken) error {
	var errs []error
	for _, t := range tokens {
		src, err := h.cfg.Client.NewSQSSource(t.Queue, h.cfg.SQS)
		if err == nil {
			err = src.Delete(ctx, t.Receipt)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

const maxAgentImage = 512 << 10

// imageURL turns an agent picture into a data: URL, only for the image
// types a browser shows and only when the bytes are one of them.
func imageURL(img []byte, err error) string {
	if err != nil || len(img) == 0 || len(img) > maxAgentImage {
		return ""
	}
	switch ct := http.DetectContentType(img); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(img)
	}
	return ""
}

func eventOf(m webchat.AgentMessage) event {
	e := event{ID: m.ID, Type: string(m.Type), End: m.Terminal()}
	switch m.Type {
	case webchat.EstimatedWaitTime:
		e.Wait = m.EstimatedWait
	case webchat.ChatStarted:
		e.Agent, e.Image = m.Agent, imageURL(m.Image())
	case webchat.ChatTransferred:
		e.Agent, e.Image = m.NewAgent, imageURL(m.Image())
	case webchat.ChatText:
		e.Text = m.Text
	case webchat.AgentTyping:
		e.Typing = m.IsTyping
	}
	return e
}

// sseID is an event id safe for the stream (no line breaks).
func sseID(id string) string {
	if strings.ContainsAny(id, "\r\n\x00") || len(id) > 4096 {
		return ""
	}
	return id
}

// streams are the chats whose browsers hold a stream at this instance,
// and the leave timers of those that just closed.
type streams struct {
	h      *Handler
	mu     sync.Mutex
	m      map[string]*streamEntry
	closed bool
}

type streamEntry struct {
	chatID string
	chat   *chatState
	cancel context.CancelFunc
	leave  *time.Timer
}

func newStreams(h *Handler) *streams { return &streams{h: h, m: map[string]*streamEntry{}} }

// open registers a stream for the chat, replacing (closing) an older one
// of the same chat at this instance and stopping its leave timer.
func (s *streams) open(c *chatState, cancel context.CancelFunc) (*streamEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	if old := s.m[c.ID]; old != nil {
		old.cancel()
		if old.leave != nil {
			old.leave.Stop()
		}
	}
	e := &streamEntry{chatID: c.ID, chat: c, cancel: cancel}
	s.m[c.ID] = e
	s.h.wg.Add(1)
	return e, true
}

// closeStream is called when a stream ends: unless the chat is over, the
// bridge closing, or a newer stream took over, the leave timer starts.
func (s *streams) closeStream(e *streamEntry, over bool) {
	defer s.h.wg.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[e.chatID] != e {
		return // replaced by a newer stream
	}
	if over || s.closed || s.h.cfg.LeaveAfter < 0 {
		delete(s.m, e.chatID)
		return
	}
	e.leave = time.AfterFunc(s.h.cfg.LeaveAfter, func() { s.left(e) })
}

// left ends the chat of a browser that did not come back.
func (s *streams) left(e *streamEntry) {
	s.mu.Lock()
	if s.closed || s.m[e.chatID] != e {
		s.mu.Unlock()
		return
	}
	delete(s.m, e.chatID)
	s.h.wg.Add(1)
	s.mu.Unlock()
	defer s.h.wg.Done()
	chat, err := s.h.cfg.Client.ResumeChat(sessionOf(e.chat), cookiesOf(e.chat))
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.h.ctx, s.h.cfg.RequestTimeout)
	defer cancel()
	if err := chat.End(ctx); err != nil {
		s.h.log.Info("webchat bridge: ending a chat whose browser left", "chat", e.chatID, "err", err)
	}
}

// ended forgets a chat that was ended: its stream stops, no leave timer.
func (s *streams) ended(chatID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[chatID]; e != nil {
		e.cancel()
		if e.leave != nil {
			e.leave.Stop()
		}
		delete(s.m, chatID)
	}
}

// closeAll stops every stream and timer (Handler.Close).
func (s *streams) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for id, e := range s.m {
		e.cancel()
		if e.leave != nil {
			e.leave.Stop()
		}
		delete(s.m, id)
	}
}

// Active is the number of chats with a stream or a pending leave timer
// at this instance.
func (h *Handler) Active() int {
	h.streams.mu.Lock()
	defer h.streams.mu.Unlock()
	return len(h.streams.m)
}

// writeTimeout bounds one event's write to a slow browser.
const writeTimeout = 10 * time.Second

// events streams the agent's messages (Server-Sent Events) and sends the
// keep-alive while the stream is open. A message is deleted from the
// queue only when the browser acknowledges it (POST /ack, or the
// Last-Event-ID of its reconnect), so never before it was written and
// flushed; one that is not acknowledged comes again after the queue's
// visibility timeout, to whichever instance then holds the stream.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if h.crossSite(r) {
		receive.Error(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	st, ok, _ := h.load(r)
	if !ok {
		receive.Error(w, http.StatusForbidden, "no valid chat cookie: GET state first")
		return
	}
	if !h.allow(w, r, st) {
		return
	}
	if st.Chat == nil {
		receive.Error(w, http.StatusConflict, "no chat is running in this browser")
		return
	}
	chat, ok := h.chatOf(w, st)
	if !ok {
		return
	}
	sess := sessionOf(st.Chat)
	src, err := h.cfg.Client.NewSessionSource(&sess, h.cfg.SQS)
	if err != nil {
		receive.Error(w, http.StatusBadGateway, "the chat has no readable queue")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	e, ok := h.streams.open(st.Chat, cancel)
	if !ok {
		receive.Error(w, http.StatusServiceUnavailable, "the bridge is shutting down")
		return
	}
	over := false
	defer func() { h.streams.closeStream(e, over) }()
	stopOnClose := context.AfterFunc(h.ctx, cancel)
	defer stopOnClose()

	rc := http.NewResponseController(w)
	var wmu sync.Mutex
	write := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if write([]byte("retry: 1000\n\n")) != nil {
		return
	}

	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		h.keepAlive(ctx, chat, write)
	}()
	defer bg.Wait()
	defer cancel()

	// The last event the browser has (EventSource sends it on a
	// reconnect, a reloaded page as ?last=): acknowledged now, in case
	// its own ack did not make it, and not sent again.
	lastToken := r.Header.Get("Last-Event-ID")
	if lastToken == "" {
		lastToken = r.URL.Query().Get("last")
	}
	var last string
	if t, ok := h.openAck(st, lastToken); ok {
		last = t.Msg
		if err := h.ack(ctx, []ackToken{t}); err != nil {
			h.log.Info("webchat bridge: acknowledging the last event", "chat", st.Chat.ID, "err", err)
		}
	}
	var buf []byte
	err = src.Receive(ctx, func(hctx context.Context, m webchat.AgentMessage) error {
		tok := ackToken{Msg: m.ID, Queue: sess.ServerToClientQueue.URL, Receipt: m.Receipt}
		if m.ID != "" && m.ID == last {
			return h.ack(hctx, []ackToken{tok}) // a repeat of what the browser has
		}
		ev := eventOf(m)
		var err error
		if ev.Ack, err = h.sealAck(st, tok); err != nil {
			return err
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		buf = buf[:0]
		if id := sseID(ev.Ack); id != "" {
			buf = append(buf, "id: "...)
			buf = append(buf, id...)
			buf = append(buf, '\n')
		}
		buf = append(buf, "data: "...)
		buf = append(buf, data...)
		buf = append(buf, "\n\n"...)
		if err := write(buf); err != nil {
			cancel() // the browser is gone: the message comes again
			return err
		}
		last = m.ID
		if m.Terminal() {
			over = true
			cancel()
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		h.log.Warn("webchat bridge: reading the chat queue", "chat", st.Chat.ID, "err", err)
		_ = write([]byte("event: bridge-error\ndata: {\"error\":\"the chat queue could not be read\"}\n\n"))
	}
}

// keepAlive sends still-here when the stream opens (a browser that moves
// from page to page faster than KeepAlive still keeps its chat) and every
// KeepAlive after, and an SSE comment every Heartbeat, while the stream
// is open.
func (h *Handler) keepAlive(ctx context.Context, chat *webchat.Chat, write func([]byte) error) {
	h.stillHere(ctx, chat)
	still := time.NewTicker(h.cfg.KeepAlive)
	defer still.Stop()
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if write([]byte(": still here\n\n")) != nil {
				return
			}
		case <-still.C:
			h.stillHere(ctx, chat)
		}
	}
}

func (h *Handler) stillHere(ctx context.Context, chat *webchat.Chat) {
	cctx, cancel := context.WithTimeout(ctx, h.cfg.RequestTimeout)
	err := chat.StillHere(cctx)
	cancel()
	var ae *contactkit.APIError
	if err != nil && ctx.Err() == nil && !errors.As(err, &ae) {
		h.log.Info("webchat bridge: still-here", "chat", chat.Session.ID, "err", err)
	}
}
