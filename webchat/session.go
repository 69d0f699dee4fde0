package webchat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"strings"
	"time"

	"github.com/contactkit/contactkit/internal/transport"
)

// QueueType says which way a queue carries messages. Values the document
// does not list are kept.
type QueueType string

// The documented queue types.
const (
	ServerToClient QueueType = "SERVERTOCLIENT"
	ClientToServer QueueType = "CLIENTTOSERVER"
	QueueStatus    QueueType = "QUEUESTATUS"
)

// Queue is one of a session's AWS SQS queues.
type Queue struct {
	URL      string    `json:"url"`
	ARN      string    `json:"arn"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed"`
	Type     QueueType `json:"chatQueueType"`
}

// Session is a ChatSession.
type Session struct {
	ID             string `json:"id"`
	InstallationID string `json:"installationId"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Agent          string `json:"agent"`
	// AgentImageBase64 is the agent's picture; see AgentImage.
	AgentImageBase64    string    `json:"agentImage"`
	Skill               string    `json:"skill,omitempty"`
	Created             time.Time `json:"created"`
	QueueType           QueueType `json:"chatQueueType,omitempty"`
	ServerToClientQueue *Queue    `json:"serverToClientQueue,omitempty"`
	ClientToServerQueue *Queue    `json:"clientToServerQueue,omitempty"`
}

// AgentImage decodes the agent's picture (a data: URL prefix is allowed).
func (s *Session) AgentImage() ([]byte, error) {
	return decodeImage(s.AgentImageBase64)
}

func decodeImage(b64 string) ([]byte, error) {
	if i := strings.Index(b64, "base64,"); strings.HasPrefix(b64, "data:") && i >= 0 {
		b64 = b64[i+len("base64,"):]
	}
	img, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("contactkit: webchat: agent image is not base64: %w", err)
	}
	return img, nil
}

// CustomInfo is a custom parameter shown on the agent's screen.
type CustomInfo struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// StartRequest is a ClientChatSessionRequest.
type StartRequest struct {
	InstallationID string `json:"installationId"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Skill          string `json:"skill"`
	// RecaptchaToken is for StartSession (POST /chat/queue).
	RecaptchaToken string `json:"recaptchaToken,omitempty"`
	// APIKey is for StartAPISession (POST /chat/apiqueue): the key Xima
	// issues, not the Call Reporting service user key.
	APIKey         string       `json:"apiKey,omitempty"`
	CustomChatInfo []CustomInfo `json:"customChatInfo,omitempty"`
}

// Validate reports the first problem, as a *ValidationError.
func (r *StartRequest) Validate() error {
	switch {
	case strings.TrimSpace(r.InstallationID) == "":
		return &ValidationError{Field: "installationId", Reason: "is required"}
	case strings.TrimSpace(r.Name) == "":
		return &ValidationError{Field: "name", Reason: "is required"}
	case strings.TrimSpace(r.Skill) == "":
		return &ValidationError{Field: "skill", Reason: "is required"}
	}
	if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
		return &ValidationError{Field: "email", Reason: "must be a well-formed address such as user@example.com"}
	}
	for i, ci := range r.CustomChatInfo {
		if strings.TrimSpace(ci.Name) == "" {
			return &ValidationError{Field: fmt.Sprintf("customChatInfo[%d].name", i), Reason: "is required"}
		}
	}
	return nil
}

// sessionAnswer accepts a ChatSession both flat and wrapped in
// "sessionDetails": the document shows both.
func sessionAnswer(raw json.RawMessage) (*Session, error) {
	var wrapped struct {
		SessionDetails *Session `json:"sessionDetails"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return nil, err
	}
	if wrapped.SessionDetails != nil {
		return wrapped.SessionDetails, nil
	}
	var flat Session
	if err := json.Unmarshal(raw, &flat); err != nil {
		return nil, err
	}
	return &flat, nil
}

// CheckSession returns the session with this id, or ErrNoSession when the
// service answers 204 (what the widget checks on page load).
//
// API: GET /chat/queue?existingChatSessionId={chat-session-id}
func (c *Client) CheckSession(ctx context.Context, id string) (*Session, error) {
	if strings.TrimSpace(id) == "" {
		return nil, &ValidationError{Field: "existingChatSessionId", Reason: "is required"}
	}
	var q transport.Query
	q.Add("existingChatSessionId", id)
	req := &transport.Request{Method: http.MethodGet, Path: "/chat/queue", Query: &q, Idempotent: true, Endpoint: "GET /chat/queue"}
	resp, err := c.t.Send(ctx, req) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return nil, err
	}
	defer transport.CloseBody(resp.Body)
	if resp.StatusCode == http.StatusNoContent {
		return nil, ErrNoSession
	}
	var raw json.RawMessage
	if err := c.t.DecodeJSON(req.Endpoint, resp, &raw); err != nil {
		return nil, err
	}
	s, err := sessionAnswer(raw)
	if err != nil {
		return nil, &DecodeError{Endpoint: req.Endpoint, Err: err}
	}
	return s, nil
}

// StartSession starts a session with a captcha token and enters the queue.
// It is not retried once sent: a second session would queue twice.
//
// API: POST /chat/queue
func (c *Client) StartSession(ctx context.Context, r StartRequest) (*Chat, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.RecaptchaToken) == "" {
		return nil, &ValidationError{Field: "recaptchaToken", Reason: "is required for /chat/queue (use StartAPISession with an API key instead)"}
	}
	r.APIKey = ""
	return c.start(ctx, "/chat/queue", r)
}

// StartAPISession starts a session with a Xima API key instead of a
// captcha, and enters the queue. It is not retried once sent.
//
// API: POST /chat/apiqueue
func (c *Client) StartAPISession(ctx context.Context, r StartRequest) (*Chat, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.APIKey) == "" {
		return nil, &ValidationError{Field: "apiKey", Reason: "is required for /chat/apiqueue"}
	}
	r.RecaptchaToken = ""
	return c.start(ctx, "/chat/apiqueue", r)
}

// start sends the start request through a new transport with the
// session's own cookie jar, which /chat/end relies on.
func (c *Client) start(ctx context.Context, path string, r StartRequest) (*Chat, error) {
	jar, _ := cookiejar.New(nil)
	t, err := newTransport(c.baseURL, c.settings, jar)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	endpoint := "POST " + path
	if err := t.Do(ctx, &transport.Request{Method: http.MethodPost, Path: path, JSON: r, Endpoint: endpoint}, &raw); err != nil {
		return nil, err
	}
	s, err := sessionAnswer(raw)
	if err != nil {
		return nil, &DecodeError{Endpoint: endpoint, Err: err}
	}
	if s.ID == "" {
		return nil, &DecodeError{Endpoint: endpoint, Err: errors.New("no chat session id in the answer")}
	}
	return newChat(*s, t), nil
}
