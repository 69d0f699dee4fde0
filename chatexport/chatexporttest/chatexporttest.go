// Package chatexporttest is a fake customer back end for jtel's chat
// report export: it issues tokens on the token post to the client that
// presents ClientID and ClientSecret (HTTP Basic, JSON or form body), checks the Bearer
// token on the report post, decodes the base64 PDF and XML, checks
// $report.bytes against the decoded size, and records everything. It is
// built on chatexport.TokenHandler and chatexport.ReportHandler, the same
// pieces a real back end uses.
//
//	srv := chatexporttest.NewServer()
//	defer srv.Close()
//	exp, _ := chatexport.NewExporter(srv.Config())
//	res, err := exp.Export(ctx, session)
//	srv.Reports() // what arrived
package chatexporttest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/contactkit/contactkit/chatexport"
	"github.com/contactkit/contactkit/internal/fakeserver"
)

// The fake's paths and the client credentials its token post expects.
const (
	TokenPath    = "/oauth/token"
	ReportPath   = "/chat-reports"
	ClientID     = "jtel"
	ClientSecret = "chatexporttest-secret"
)

// Fault and Request are the fault-injection and request-log types.
type (
	Fault   = fakeserver.Fault
	Request = fakeserver.Request
)

// Received is one stored report with the headers it came with.
type Received struct {
	*chatexport.Report
	Header http.Header
}

// Server is a fake customer back end.
type Server struct {
	fakeserver.Faults

	srv     *httptest.Server
	mu      sync.Mutex
	tokens  map[string]bool
	reports []Received
}

// NewServer starts the back end on a loopback port.
func NewServer() *Server {
	s := &Server{tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.Handle(TokenPath, chatexport.TokenHandler(s.issue))
	mux.Handle(ReportPath, chatexport.ReportHandler(chatexport.DefaultBodyFields, s.authorize, s.store))
	s.srv = httptest.NewServer(s.Handler(mux))
	return s
}

// URL is the server's address.
func (s *Server) URL() string { return s.srv.URL }

// Client returns an *http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Config is a chat connector configuration for this back end: a JSON
// token post with client credentials, and a JSON report post that sends
// the token, the PDF, its size, the XML template and pdata.
func (s *Server) Config() chatexport.Config {
	return chatexport.Config{
		TokenPost: &chatexport.Post{
			URL:     s.srv.URL + TokenPath,
			Headers: "Content-Type: application/json",
			Body:    `{"grant_type":"client_credentials","client_id":"` + ClientID + `","client_secret":"` + ClientSecret + `","account":"$ClientsID"}`,
		},
		ReportPost: chatexport.Post{
			URL: s.srv.URL + ReportPath + "?connector=$chatConnector.id",
			Headers: "Content-Type: application/json\n" +
				"Authorization: Bearer $tokenResponse.body.JSON.access_token\n" +
				"X-Chat-Connector: $chatConnector.name",
			Body: `{"clientsId":"$ClientsID","connectorId":"$chatConnector.id","connector":"$chatConnector.name",` +
				`"created":"$dateTime","customer":"$pdata.name","email":"$pdata.email",` +
				`"bytes":"$report.bytes","report":"$report.encoded.base64","xml":"$xmlTemplate.encoded.base64"}`,
		},
		XMLTemplate: `<?xml version="1.0" encoding="UTF-8"?>` +
			`<chatReport><account>$ClientsID</account><connector id="$chatConnector.id">$chatConnector.name</connector>` +
			`<customer email="$pdata.email">$pdata.name</customer><exported>$dateTime</exported><bytes>$report.bytes</bytes></chatReport>`,
	}
}

// Reports returns the reports stored so far.
func (s *Server) Reports() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.reports...)
}

// Tokens returns how many tokens were issued.
func (s *Server) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

var (
	errUnknownToken = errors.New("unknown token")
	errBadClient    = errors.New("unknown client")
)

func (s *Server) issue(r *http.Request) (string, error) {
	id, secret, ok := chatexport.ClientCredentials(r)
	if !ok || id != ClientID || secret != ClientSecret {
		return "", errBadClient
	}
	tok := chatexport.NewToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = true
	return tok, nil
}

func (s *Server) authorize(r *http.Request) error {
	tok, ok := chatexport.BearerToken(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || !s.tokens[tok] {
		return errUnknownToken
	}
	return nil
}

func (s *Server) store(r *http.Request, rep *chatexport.Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, Received{Report: rep, Header: r.Header.Clone()})
	return nil
}
