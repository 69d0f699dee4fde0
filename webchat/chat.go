package webchat

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// Chat is one running chat session. Its methods are the widget's posts;
// they are safe for concurrent use (keep-alive beside sends).
type Chat struct {
	Session Session
	t       *transport.Client
	jar     http.CookieJar // the session's cookies, for Cookies and ResumeChat
	ended   atomic.Bool    // no more posts: End was called or a terminal message seen
	closed  atomic.Bool    // the service's side is over: End succeeded or a terminal message seen
	endOnce sync.Once
	endMu   sync.Mutex // one End request at a time
	done    chan struct{}
}

func newChat(s Session, t *transport.Client, jar http.CookieJar) *Chat {
	return &Chat{Session: s, t: t, jar: jar, done: make(chan struct{})}
}

// Done is closed when the chat ends (End has returned, or a terminal
// message was seen by a Conversation).
func (ch *Chat) Done() <-chan struct{} { return ch.done }

// ErrChatEnded is returned by posts after End or a terminal message.
var ErrChatEnded = errors.New("contactkit: webchat: the chat has ended")

// post sends a JSON body; the service answers 200 or 204.
func (ch *Chat) post(ctx context.Context, path string, body any, idempotent bool) error {
	if ch.ended.Load() {
		return ErrChatEnded
	}
	return ch.t.Do(ctx, &transport.Request{Method: http.MethodPost, Path: path, JSON: body, Idempotent: idempotent, Endpoint: "POST " + path}, nil)
}

// Send posts the end user's text to the agent. It is not retried once
// sent: the agent would read it twice.
//
// API: POST /chat
func (ch *Chat) Send(ctx context.Context, text string) error {
	if strings.TrimSpace(text) == "" {
		return &contactkit.ValidationError{Field: "message", Reason: "is empty"}
	}
	return ch.post(ctx, "/chat", struct {
		ChatSessionID string `json:"chatSessionId"`
		Message       string `json:"message"`
	}{ch.Session.ID, text}, false)
}

// StillHere keeps the chat alive; the service wants it every 30 seconds
// (see KeepAlive).
//
// API: POST /chat/still-here
func (ch *Chat) StillHere(ctx context.Context) error {
	return ch.post(ctx, "/chat/still-here", struct {
		ChatSessionID string `json:"chatSessionId"`
	}{ch.Session.ID}, true)
}

// Focus tells the agent the end user focused the text box (their message
// was read). The document sends "true" as a string.
//
// API: POST /chat/focus
func (ch *Chat) Focus(ctx context.Context) error {
	return ch.post(ctx, "/chat/focus", struct {
		ChatSessionID string `json:"chatSessionId"`
		Focused       string `json:"focused"`
	}{ch.Session.ID, "true"}, true)
}

// Typing tells the agent the end user started or stopped typing, sent as
// the strings "true" and "false" as the document shows.
//
// API: POST /chat/typing
func (ch *Chat) Typing(ctx context.Context, typing bool) error {
	return ch.post(ctx, "/chat/typing", struct {
		ChatSessionID string `json:"chatSessionId"`
		Typing        string `json:"typing"`
	}{ch.Session.ID, fmt.Sprint(typing)}, true)
}

// ScreenshotStatus answers an agent's TAKE_SCREENSHOT.
type ScreenshotStatus string

// The two answers.
const (
	ScreenshotAccepted ScreenshotStatus = "ACCEPTED"
	ScreenshotRejected ScreenshotStatus = "REJECTED"
)

type screenshotNotify struct {
	ChatSessionID string           `json:"chatSessionId"`
	Status        ScreenshotStatus `json:"status"`
	UUID          string           `json:"uuid,omitempty"`
}

// AcceptScreenshot tells the agent the screenshot with this uuid (from
// UploadScreenshot) is theirs to see.
//
// API: POST /screenshot/notify
func (ch *Chat) AcceptScreenshot(ctx context.Context, uuid string) error {
	if strings.TrimSpace(uuid) == "" {
		return &contactkit.ValidationError{Field: "uuid", Reason: "is required when accepting (upload the screenshot first)"}
	}
	return ch.post(ctx, "/screenshot/notify", screenshotNotify{ch.Session.ID, ScreenshotAccepted, uuid}, true)
}

// RejectScreenshot declines the agent's screenshot request.
//
// API: POST /screenshot/notify
func (ch *Chat) RejectScreenshot(ctx context.Context) error {
	return ch.post(ctx, "/screenshot/notify", screenshotNotify{ChatSessionID: ch.Session.ID, Status: ScreenshotRejected}, true)
}

// MaxScreenshotBytes caps a screenshot upload.
const MaxScreenshotBytes = 10 << 20

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// ScreenshotPrefix starts the upload body, exactly as the document prints
// it (a semicolon, not the usual comma, after base64).
const ScreenshotPrefix = "data:image/png;base64;"

// UploadScreenshot uploads a PNG (checked by its signature and size) and
// returns the screenshot's uuid. It is not retried once sent.
//
// API: POST /screenshot
func (ch *Chat) UploadScreenshot(ctx context.Context, png []byte) (string, error) {
	switch {
	case !bytes.HasPrefix(png, pngSignature):
		return "", &contactkit.ValidationError{Field: "screenshot", Reason: "must be a PNG (the only supported type)"}
	case len(png) > MaxScreenshotBytes:
		return "", &contactkit.ValidationError{Field: "screenshot", Reason: fmt.Sprintf("is over %d bytes", MaxScreenshotBytes)}
	case ch.ended.Load():
		return "", ErrChatEnded
	}
	body := make([]byte, 0, len(ScreenshotPrefix)+base64.StdEncoding.EncodedLen(len(png)))
	body = append(body, ScreenshotPrefix...)
	body = base64.StdEncoding.AppendEncode(body, png)
	req := &transport.Request{Method: http.MethodPost, Path: "/screenshot", Body: body, ContentType: "text/plain", Endpoint: "POST /screenshot",
		Header: http.Header{"Accept": {"application/json, text/plain"}}}
	resp, err := ch.t.Send(ctx, req) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return "", err
	}
	defer transport.CloseBody(resp.Body)
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", &contactkit.DecodeError{Endpoint: req.Endpoint, Err: err}
	}
	uuid := screenshotUUID(raw)
	if uuid == "" {
		return "", &contactkit.DecodeError{Endpoint: req.Endpoint, Err: errors.New("no screenshot uuid in the answer")}
	}
	return uuid, nil
}

// screenshotUUID reads the uuid from a JSON string, a JSON object with
// "uuid" or "id", or plain text: the document does not say which.
func screenshotUUID(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct{ UUID, ID string }
	if json.Unmarshal(raw, &obj) == nil {
		if obj.UUID != "" {
			return obj.UUID
		}
		return obj.ID
	}
	if len(raw) > 0 && raw[0] != '{' && raw[0] != '[' && !bytes.ContainsAny(raw, " \n<") {
		return string(raw)
	}
	return ""
}

// End ends the chat. The request has no body: the service finds the
// session by the cookie the start request set, which is why every Chat
// has its own cookie jar.
//
// The chat is marked ended before the request is sent, so a keep-alive or
// a post that crosses it stops quietly instead of failing with the 404 of
// an ended session; posts are refused from then on (ErrChatEnded) even if
// the request fails. A failed End may be called again; after a success,
// or after the agent side ended the chat, End does nothing.
//
// API: POST /chat/end
func (ch *Chat) End(ctx context.Context) error {
	ch.endMu.Lock()
	defer ch.endMu.Unlock()
	if ch.closed.Load() {
		return nil
	}
	ch.ended.Store(true) // before the request: a crossing post sees it
	err := ch.t.Do(ctx, &transport.Request{Method: http.MethodPost, Path: "/chat/end", Idempotent: true, Endpoint: "POST /chat/end"}, nil)
	if err == nil {
		ch.closed.Store(true)
	}
	ch.markEnded() // Done is closed once the request is over
	return err
}

// Check returns the session as the service sees it now, asking with the
// session's id and its cookie, or ErrNoSession once it has ended.
//
// API: GET /chat/queue?existingChatSessionId={chat-session-id}
func (ch *Chat) Check(ctx context.Context) (*Session, error) {
	return checkSession(ctx, ch.t, ch.Session.ID)
}

// Ended reports whether the chat was ended or a terminal message seen.
func (ch *Chat) Ended() bool { return ch.ended.Load() }

// markClosed records a terminal message: the agent side ended the chat,
// no more posts are sent and End has nothing to do.
func (ch *Chat) markClosed() {
	ch.closed.Store(true)
	ch.markEnded()
}

// markEnded stops further posts and closes Done.
func (ch *Chat) markEnded() {
	ch.endOnce.Do(func() {
		ch.ended.Store(true)
		close(ch.done)
	})
}

// DefaultKeepAlive is how often the service wants still-here.
const DefaultKeepAlive = 30 * time.Second

// KeepAlive sends still-here every interval (DefaultKeepAlive when 0)
// until the chat ends (it returns nil) or ctx does (it returns ctx's
// error). A still-here the service rejects with a 4xx ends it with that
// error; transient failures are tried again at the next tick.
func (ch *Chat) KeepAlive(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = DefaultKeepAlive
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch.done:
			return nil
		case <-t.C:
		}
		if ch.ended.Load() {
			return nil
		}
		err := ch.StillHere(ctx)
		var apiErr *contactkit.APIError
		switch {
		case errors.Is(err, ErrChatEnded) || (err != nil && ch.ended.Load()):
			return nil // ended while the still-here was under way
		case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500:
			return err
		}
	}
}
