// Package webchattest is a fake Xima web chat cloud service for tests and
// examples. It serves both start endpoints, the session check (204 for an
// unknown session), every per-session endpoint, a cookie-based
// /chat/end and the screenshot upload, and it scripts an agent
// conversation onto the session's queue: wait time, chat started, typing,
// text, a transfer on the second message, a screenshot request when asked
// for one, and the end when the user says bye.
//
// By default the queue is in memory, with at-least-once delivery (a
// message whose handler fails is delivered again): Source returns it as a
// webchat.MessageSource, and the server also serves it over SQS's JSON
// protocol at its own URL, so that webchat.Client.NewSessionSource reads
// it through the AWS SDK as it reads a real queue. WithDelivery sends the
// messages to a real SQS queue instead.
package webchattest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit/internal/fakeserver"
	"github.com/contactkit/contactkit/webchat"
)

// Defaults of a new server.
const (
	DefaultInstallationID = "9c108bb3-8924-4234-a53c-be9ab284d4e3"
	DefaultAPIKey         = "webchattest-api-key"
	CookieName            = "JSESSIONID"
)

// AgentImage is the agents' picture: a 1×1 PNG, base64.
const AgentImage = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

// Fault and Request are the fault-injection and request-log types.
type (
	Fault   = fakeserver.Fault
	Request = fakeserver.Request
)

// Delivery sends the agent's messages somewhere else than memory:
// QueueURL names a session's serverToClientQueue (and its ARN), Send puts
// a message body on it.
type Delivery struct {
	QueueURL func(sessionID string) (url, arn string)
	Send     func(ctx context.Context, sessionID, body string) error
}

// Session is the fake's record of one chat session.
type Session struct {
	webchat.Session
	Cookie      string
	Messages    []string // what the end user sent
	StillHere   int
	Focused     int
	Typing      []string
	Screenshots map[string][]byte
	Notified    []string // ACCEPTED:uuid or REJECTED
	Ended       bool
}

// Server is a fake web chat service.
type Server struct {
	fakeserver.Faults

	InstallationID string
	APIKey         string

	srv      *httptest.Server
	mu       sync.Mutex
	sessions map[string]*Session
	queues   map[string]*memQueue
	delivery *Delivery
	flat     bool
	qstatus  queueStatus
}

// Option configures a Server.
type Option func(*Server)

// WithDelivery sends the agent's messages through d (a real SQS queue).
func WithDelivery(d Delivery) Option { return func(s *Server) { s.delivery = &d } }

// WithFlatSessions answers start requests with a flat ChatSession instead
// of one wrapped in "sessionDetails" (the document shows both).
func WithFlatSessions() Option { return func(s *Server) { s.flat = true } }

// NewServer starts the fake service on a loopback port.
func NewServer(opts ...Option) *Server {
	s := &Server{InstallationID: DefaultInstallationID, APIKey: DefaultAPIKey, sessions: map[string]*Session{}, queues: map[string]*memQueue{}}
	s.qstatus.states = DefaultQueueStates()
	for _, o := range opts {
		o(s)
	}
	s.ErrorBody = func(status int) string { return `{"message":"` + http.StatusText(status) + `"}` }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /chat/queue", s.check)
	mux.HandleFunc("POST /chat/queue", s.start(false))
	mux.HandleFunc("POST /chat/apiqueue", s.start(true))
	mux.HandleFunc("POST /chat", s.chatText)
	mux.HandleFunc("POST /chat/still-here", s.perSession(func(ss *Session, _ map[string]any) error { ss.StillHere++; return nil }))
	mux.HandleFunc("POST /chat/focus", s.perSession(func(ss *Session, b map[string]any) error {
		if b["focused"] != "true" {
			return fmt.Errorf(`focused must be "true"`)
		}
		ss.Focused++
		return nil
	}))
	mux.HandleFunc("POST /chat/typing", s.perSession(func(ss *Session, b map[string]any) error {
		v, _ := b["typing"].(string)
		if v != "true" && v != "false" {
			return fmt.Errorf(`typing must be "true" or "false"`)
		}
		ss.Typing = append(ss.Typing, v)
		return nil
	}))
	mux.HandleFunc("POST /screenshot/notify", s.perSession(func(ss *Session, b map[string]any) error {
		switch b["status"] {
		case "ACCEPTED":
			uuid, _ := b["uuid"].(string)
			if _, ok := ss.Screenshots[uuid]; !ok {
				return fmt.Errorf("unknown screenshot uuid")
			}
			ss.Notified = append(ss.Notified, "ACCEPTED:"+uuid)
		case "REJECTED":
			ss.Notified = append(ss.Notified, "REJECTED")
		default:
			return fmt.Errorf("status must be ACCEPTED or REJECTED")
		}
		return nil
	}))
	mux.HandleFunc("POST /screenshot", s.screenshot)
	mux.HandleFunc("POST /chat/end", s.end)
	mux.HandleFunc("POST /{$}", s.serveSQS)
	s.srv = httptest.NewServer(s.Handler(mux))
	return s
}

// URL is the service's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Client returns an *http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Session returns a copy of the fake's record of a session.
func (s *Server) Session(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if !ok {
		return Session{}, false
	}
	c := *ss
	c.Messages = append([]string(nil), ss.Messages...)
	c.Typing = append([]string(nil), ss.Typing...)
	c.Notified = append([]string(nil), ss.Notified...)
	return c, true
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	fakeserver.WriteJSON(w, status, map[string]string{"message": msg})
}

func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ss, ok := s.sessions[r.URL.Query().Get("existingChatSessionId")]
	var out webchat.Session
	if ok && !ss.Ended {
		out = ss.Session
	}
	s.mu.Unlock()
	if !ok || ss.Ended {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	fakeserver.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) start(api bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req webchat.StartRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeMessage(w, http.StatusBadRequest, "Malformed ClientChatSessionRequest.")
			return
		}
		switch {
		case api && req.APIKey != s.APIKey:
			writeMessage(w, http.StatusUnauthorized, "Invalid API key.")
			return
		case !api && (req.RecaptchaToken == "" || req.RecaptchaToken == "invalid"):
			writeMessage(w, http.StatusForbidden, "Captcha verification failed.")
			return
		case req.InstallationID != s.InstallationID:
			writeMessage(w, http.StatusBadRequest, "Unknown installationId.")
			return
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		id := newID()
		queueURL := s.srv.URL + "/memory-queue/" + id
		arn := "arn:aws:sqs:us-east-1:775407092955:mm-queue-" + id
		if s.delivery != nil {
			queueURL, arn = s.delivery.QueueURL(id)
		}
		sess := webchat.Session{
			ID: id, InstallationID: req.InstallationID, Email: req.Email, Name: req.Name, Agent: "", Skill: req.Skill, Created: now,
			ServerToClientQueue: &webchat.Queue{URL: queueURL, ARN: arn, Created: now, LastUsed: now, Type: webchat.ServerToClient},
			ClientToServerQueue: &webchat.Queue{URL: queueURL, ARN: arn, Created: now, LastUsed: now, Type: webchat.ClientToServer},
		}
		cookie := newID()
		s.mu.Lock()
		s.sessions[id] = &Session{Session: sess, Cookie: cookie, Screenshots: map[string][]byte{}}
		s.queues[id] = newMemQueue()
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: CookieName, Value: cookie, Path: "/", HttpOnly: true})
		if s.flat {
			fakeserver.WriteJSON(w, http.StatusOK, sess)
		} else {
			fakeserver.WriteJSON(w, http.StatusOK, map[string]any{"sessionDetails": sess})
		}
		s.script(r.Context(), id, req.Name)
	}
}

// lookup finds the session of a body's chatSessionId.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*Session, map[string]any, bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeMessage(w, http.StatusBadRequest, "Malformed JSON body.")
		return nil, nil, false
	}
	id, _ := body["chatSessionId"].(string)
	ss, ok := s.sessions[id]
	if !ok || ss.Ended {
		writeMessage(w, http.StatusNotFound, "No such chat session.")
		return nil, nil, false
	}
	return ss, body, true
}

func (s *Server) perSession(apply func(*Session, map[string]any) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		ss, body, ok := s.lookup(w, r)
		if !ok {
			return
		}
		if err := apply(ss, body); err != nil {
			writeMessage(w, http.StatusBadRequest, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) chatText(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ss, body, ok := s.lookup(w, r)
	if !ok {
		s.mu.Unlock()
		return
	}
	text, _ := body["message"].(string)
	ss.Messages = append(ss.Messages, text)
	n, id := len(ss.Messages), ss.ID
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	s.reply(r.Context(), id, n, text)
}

func (s *Server) screenshot(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	data, ok := strings.CutPrefix(string(raw), webchat.ScreenshotPrefix)
	png, err := base64.StdEncoding.DecodeString(data)
	if !ok || err != nil || !strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n") {
		writeMessage(w, http.StatusBadRequest, "The body must be "+webchat.ScreenshotPrefix+" and a base64 PNG.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.byCookie(r)
	if ss == nil {
		writeMessage(w, http.StatusUnauthorized, "No chat session cookie.")
		return
	}
	uuid := newID()
	ss.Screenshots[uuid] = png
	fakeserver.WriteJSON(w, http.StatusOK, map[string]string{"uuid": uuid})
}

// byCookie finds the session of the request's cookie; s.mu held.
func (s *Server) byCookie(r *http.Request) *Session {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	for _, ss := range s.sessions {
		if ss.Cookie == c.Value && !ss.Ended {
			return ss
		}
	}
	return nil
}

// end finds the session by its cookie only: the request has no body.
func (s *Server) end(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.byCookie(r)
	if ss == nil {
		writeMessage(w, http.StatusUnauthorized, "No chat session cookie.")
		return
	}
	ss.Ended = true
	w.WriteHeader(http.StatusNoContent)
}
