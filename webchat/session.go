package webchat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
	"github.com/contactkit/contactkit/internal/wirejson"
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

	// Unknown holds fields this SDK does not declare (a newer service's
	// additions); MarshalJSON writes them back.
	Unknown contactkit.UnknownFields `json:"-"`
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

	// Unknown holds fields this SDK does not declare (a third queue of a
	// newer service, say); MarshalJSON writes them back, so a session
	// decoded and re-encoded (a proxy built on the SDK) loses nothing.
	Unknown contactkit.UnknownFields `json:"-"`
}

// Session and Queue keep unknown fields through a decode and re-encode
// (internal/wirejson): each is decoded through a method-less copy of
// itself, and its Unknown merged back when encoded.
type (
	sessionFields Session
	queueFields   Queue
)

// UnmarshalJSON decodes the session and keeps unknown fields.
func (s *Session) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*sessionFields)(s))
	s.Unknown = u
	return err
}

// MarshalJSON encodes the session with its unknown fields.
func (s Session) MarshalJSON() ([]byte, error) { return wirejson.Merge(sessionFields(s), s.Unknown) }

// UnmarshalJSON decodes the queue and keeps unknown fields.
func (q *Queue) UnmarshalJSON(b []byte) error {
	u, err := wirejson.Split(b, (*queueFields)(q))
	q.Unknown = u
	return err
}

// MarshalJSON encodes the queue with its unknown fields.
func (q Queue) MarshalJSON() ([]byte, error) { return wirejson.Merge(queueFields(q), q.Unknown) }

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

// StartRequest is a ClientChatSessionRequest. The document marks none
// of its fields as required except the credential of each endpoint (the
// captcha token for POST /chat/queue, the API key for POST
// /chat/apiqueue); the service judges the rest. Skill may be left empty
// where the chat installation's URL mappings choose it.
type StartRequest struct {
	InstallationID string `json:"installationId"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Skill          string `json:"skill"`
	// RecaptchaToken is for StartSession (POST /chat/queue). It is kept
	// out of logs and errors.
	RecaptchaToken string `json:"recaptchaToken,omitempty"`
	// APIKey is for StartAPISession (POST /chat/apiqueue): the key Xima
	// issues, not the Call Reporting service user key. It is kept out of
	// logs and errors.
	APIKey         string       `json:"apiKey,omitempty"`
	CustomChatInfo []CustomInfo `json:"customChatInfo,omitempty"`
}

// String, GoString and LogValue show the request without its API key and
// captcha token, so printing or logging one by accident shows no secret.
func (r StartRequest) String() string {
	return fmt.Sprintf("webchat.StartRequest{InstallationID: %s, Email: %s, Name: %s, Skill: %s, RecaptchaToken: %s, APIKey: %s, CustomChatInfo: %v}",
		r.InstallationID, r.Email, r.Name, r.Skill, hidden(r.RecaptchaToken), hidden(r.APIKey), r.CustomChatInfo)
}

// GoString is used by %#v.
func (r StartRequest) GoString() string { return r.String() }

// LogValue is used by log/slog.
func (r StartRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("installationId", r.InstallationID), slog.String("email", r.Email),
		slog.String("name", r.Name), slog.String("skill", r.Skill),
		slog.String("recaptchaToken", hidden(r.RecaptchaToken)), slog.String("apiKey", hidden(r.APIKey)))
}

// hidden is how a secret field prints: REDACTED, or empty when unset.
func hidden(s string) string {
	if s == "" {
		return ""
	}
	return transport.Redacted
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
// service answers 204 (what the widget checks on page load). The id is
// optional, as the document says: an empty one sends no
// existingChatSessionId and lets the service decide (Chat.Check asks with
// the session's cookie as well).
//
// API: GET /chat/queue?existingChatSessionId={chat-session-id}
func (c *Client) CheckSession(ctx context.Context, id string) (*Session, error) {
	return checkSession(ctx, c.t, id)
}

func checkSession(ctx context.Context, t *transport.Client, id string) (*Session, error) {
	var q transport.Query
	if id != "" {
		q.Add("existingChatSessionId", id)
	}
	req := &transport.Request{Method: http.MethodGet, Path: "/chat/queue", Query: &q, Idempotent: true, Endpoint: "GET /chat/queue"}
	resp, err := t.Send(ctx, req) //nolint:bodyclose // closed by CloseBody below
	if err != nil {
		return nil, err
	}
	defer transport.CloseBody(resp.Body)
	if resp.StatusCode == http.StatusNoContent {
		return nil, ErrNoSession
	}
	var raw json.RawMessage
	if err := t.DecodeJSON(req.Endpoint, resp, &raw); err != nil {
		return nil, err
	}
	s, err := sessionAnswer(raw)
	if err != nil {
		return nil, &contactkit.DecodeError{Endpoint: req.Endpoint, Err: err}
	}
	return s, nil
}

// StartSession starts a session with a captcha token and enters the queue.
// It is not retried once sent: a second session would queue twice.
//
// API: POST /chat/queue
func (c *Client) StartSession(ctx context.Context, r StartRequest) (*Chat, error) {
	if strings.TrimSpace(r.RecaptchaToken) == "" {
		return nil, &contactkit.ValidationError{Field: "recaptchaToken", Reason: "is required for /chat/queue (use StartAPISession with an API key instead)"}
	}
	r.APIKey = ""
	return c.start(ctx, "/chat/queue", r, r.RecaptchaToken)
}

// StartAPISession starts a session with a Xima API key instead of a
// captcha, and enters the queue. It is not retried once sent.
//
// API: POST /chat/apiqueue
func (c *Client) StartAPISession(ctx context.Context, r StartRequest) (*Chat, error) {
	if strings.TrimSpace(r.APIKey) == "" {
		return nil, &contactkit.ValidationError{Field: "apiKey", Reason: "is required for /chat/apiqueue"}
	}
	r.RecaptchaToken = ""
	return c.start(ctx, "/chat/apiqueue", r, r.APIKey)
}

// start sends the start request through a client with the session's own
// cookie jar, which /chat/end relies on.
func (c *Client) start(ctx context.Context, path string, r StartRequest, secret string) (*Chat, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	t := c.t.WithCookieJar(jar)
	var raw json.RawMessage
	endpoint := "POST " + path
	req := &transport.Request{Method: http.MethodPost, Path: path, JSON: r, Endpoint: endpoint, Secrets: []string{secret}}
	if err := t.Do(ctx, req, &raw); err != nil {
		return nil, err
	}
	s, err := sessionAnswer(raw)
	if err != nil {
		return nil, &contactkit.DecodeError{Endpoint: endpoint, Err: err}
	}
	if s.ID == "" {
		return nil, &contactkit.DecodeError{Endpoint: endpoint, Err: errors.New("no chat session id in the answer")}
	}
	return newChat(*s, t, jar), nil
}
