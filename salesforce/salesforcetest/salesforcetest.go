// Package salesforcetest is a writeCallStatistics endpoint for tests and
// examples: the real salesforce.NewHandler around a function that answers
// from a script (say 423 twice, then 200) and records what it received.
//
//	srv := salesforcetest.NewServer()
//	defer srv.Close()
//	srv.Script(423, 423, 200)
//	s, _ := salesforce.NewSender(srv.URL(), contactkit.StaticToken(srv.Token))
//
// Transport faults (5xx, dropped connections, delays) come from the
// embedded Faults: Inject, FailNext, SetDelay, and the raw request log,
// Requests.
package salesforcetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/fakeserver"
	"github.com/contactkit/contactkit/salesforce"
)

// DefaultToken is the bearer token a new server accepts.
const DefaultToken = "salesforcetest-token"

// EndpointPath is where the server listens, as an Apex REST class would.
const EndpointPath = "/services/apexrest/jtel/writeCallStatistics"

// Fault and Request are the fault-injection and request-log types.
type (
	Fault   = fakeserver.Fault
	Request = fakeserver.Request
)

// Delivery is one record the handler decoded and the status it answered.
type Delivery struct {
	Record salesforce.Record
	Status int
}

// Server is a scripted writeCallStatistics endpoint.
type Server struct {
	fakeserver.Faults

	// Token is the bearer token required on every request (unless WithAuth
	// replaces the check).
	Token string

	auth func(*http.Request) error

	srv        *httptest.Server
	mu         sync.Mutex
	script     []int
	deliveries []Delivery
}

// Option configures a Server.
type Option func(*Server)

// WithToken sets the accepted bearer token.
func WithToken(token string) Option { return func(s *Server) { s.Token = token } }

// WithAuth replaces the bearer token check with check (an error answers
// 401), for a test whose token rotates.
func WithAuth(check func(*http.Request) error) Option { return func(s *Server) { s.auth = check } }

// NewServer starts the endpoint on a loopback port. Unscripted records
// are answered 200.
func NewServer(opts ...Option) *Server {
	s := &Server{Token: DefaultToken}
	for _, o := range opts {
		o(s)
	}
	auth := salesforce.RequireBearer(s.Token)
	if s.auth != nil {
		auth = salesforce.RequireAuth(s.auth)
	}
	h, err := salesforce.NewHandler(s.write, auth)
	if err != nil {
		panic(err) // only for an empty token, a programming error
	}
	mux := http.NewServeMux()
	mux.Handle(EndpointPath, h)
	s.srv = httptest.NewServer(s.Handler(mux))
	return s
}

// URL is the endpoint URL.
func (s *Server) URL() string { return s.srv.URL + EndpointPath }

// Client returns an *http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Script sets the answers to the next records, in order: 200, 404, 409 or
// 423 (any other status answers as the handler does for a failing
// function: 423). After the script, records are answered 200.
func (s *Server) Script(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, statuses...)
}

// Deliveries returns every record received, with the status answered.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Written returns the records answered 200, in order.
func (s *Server) Written() []salesforce.Record {
	var out []salesforce.Record
	for _, d := range s.Deliveries() {
		if d.Status == http.StatusOK {
			out = append(out, d.Record)
		}
	}
	return out
}

func (s *Server) write(_ context.Context, r *salesforce.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := http.StatusOK
	if len(s.script) > 0 {
		status, s.script = s.script[0], s.script[1:]
	}
	var err error
	switch status {
	case http.StatusOK:
	case http.StatusConflict:
		err = contactkit.ErrConflict
	case http.StatusNotFound:
		err = contactkit.ErrNotFound
	default:
		status, err = http.StatusLocked, contactkit.ErrLocked
	}
	s.deliveries = append(s.deliveries, Delivery{Record: *r, Status: status})
	return err
}
