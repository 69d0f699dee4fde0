// Package acdtest is an in-memory jtel ACD server for tests and examples.
//
// It serves the AcdEvents endpoints under /rest/v1.0/{ClientsID}, checks the
// Bearer token and the ClientsID the way jtel does (401 with a JSON
// reason), answers 400 when a required field is missing and 404 with a
// JSON reason for an unknown event (an unknown endpoint gets jtel's empty
// 404). Created events get ids, timestamps and EventData built as jtel
// builds them. Fault knobs (Inject, FailNext, SetDelay) and the request
// log (Requests) come from the embedded Faults.
//
//	srv := acdtest.NewServer()
//	defer srv.Close()
//	c, _ := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
package acdtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/internal/fakeserver"
	"github.com/contactkit/contactkit/internal/wiretime"
)

// Defaults of a new server.
const (
	DefaultToken     = "acdtest-token"
	DefaultClientsID = "1001"
)

// Fault and Request are the fault-injection and request-log types.
type (
	Fault   = fakeserver.Fault
	Request = fakeserver.Request
)

// Server is a fake jtel REST server holding AcdEvents in memory.
type Server struct {
	fakeserver.Faults

	// Token and ClientsID are what requests must carry.
	Token     string
	ClientsID string

	srv       *httptest.Server
	mu        sync.Mutex
	events    []acd.Event
	nextID    int64
	generated int
	now       func() time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithToken sets the accepted Bearer token.
func WithToken(token string) Option { return func(s *Server) { s.Token = token } }

// WithClientsID sets the client account served.
func WithClientsID(id string) Option { return func(s *Server) { s.ClientsID = id } }

// WithClock sets the clock used for the timestamps of created events.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithoutSampleEvents starts the server empty instead of with the sample
// events.
func WithoutSampleEvents() Option { return func(s *Server) { s.events = nil } }

// NewServer starts a fake jtel server on a loopback port, holding a few
// sample events (a voice mail, a callback, an email and a ticket).
func NewServer(opts ...Option) *Server {
	s := &Server{Token: DefaultToken, ClientsID: DefaultClientsID, nextID: 2000, now: time.Now}
	s.ErrorBody = errorBody
	s.events = sampleEvents()
	for _, o := range opts {
		o(s)
	}
	for _, ev := range s.events {
		s.nextID = max(s.nextID, ev.ID)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/v1.0/{clients}/acd/events", s.authorized(s.list))
	mux.HandleFunc("GET /rest/v1.0/{clients}/acd/events/event/{id}", s.authorized(s.get))
	mux.HandleFunc("POST /rest/v1.0/{clients}/acd/events/create", s.authorized(s.create))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound) // jtel: empty 404 for an unknown endpoint
	})
	s.srv = httptest.NewServer(s.Handler(mux))
	return s
}

// URL is the account base URL: http://127.0.0.1:port/rest/v1.0/{ClientsID}.
func (s *Server) URL() string { return s.srv.URL + "/rest/v1.0/" + s.ClientsID }

// ServerURL is the server address without the account path.
func (s *Server) ServerURL() string { return s.srv.URL }

// Client returns an *http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AddEvent stores ev, giving it the next id when its ID is 0, and returns
// it as stored.
func (s *Server) AddEvent(ev acd.Event) acd.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.ID == 0 {
		s.nextID++
		ev.ID = s.nextID
	}
	s.nextID = max(s.nextID, ev.ID)
	s.events = append(s.events, ev)
	return ev
}

// Events returns the stored events in id order.
func (s *Server) Events() []acd.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]acd.Event(nil), s.events...)
}

// GenerateEvents makes the list endpoint answer n further synthetic events
// after the stored ones. They are made while the body is written, so a
// test can list millions without the server holding them.
func (s *Server) GenerateEvents(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.generated = n
}

// GeneratedEvent is the i-th synthetic event of GenerateEvents.
func GeneratedEvent(i int) acd.Event {
	created := time.Date(2020, 8, 9, 2, 33, 50, 347e6, time.UTC).Add(time.Duration(i) * time.Second)
	group := int64(235)
	return acd.Event{
		ID: int64(1_000_000 + i), Type: acd.EventType(1 + i%6), Status: 1, GroupID: group,
		Sender: "49199" + fmt.Sprintf("%09d", i), Receiver: "4919900112233",
		Subject: "Generated event " + strconv.Itoa(i), UserData: strconv.Itoa(i),
		EventData: eventData("", strconv.Itoa(i), ""),
		Created:   wiretime.NewLocalTime(created), Modified: wiretime.NewLocalTime(created),
		LastModified: wiretime.NewLocalTime(created),
	}
}

func errorBody(status int) string {
	b, _ := json.Marshal(map[string]any{"status": status, "error": http.StatusText(status)})
	return string(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	fakeserver.WriteJSON(w, status, map[string]any{"status": status, "error": msg})
}

// authorized checks the ClientsID and Bearer token as jtel does.
func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("clients") != s.ClientsID || r.Header.Get("Authorization") != "Bearer "+s.Token {
			writeError(w, http.StatusUnauthorized, "Unauthorized: invalid token or ClientsID")
			return
		}
		h(w, r)
	}
}

// list streams the envelope so that generated events are never all held.
func (s *Server) list(w http.ResponseWriter, _ *http.Request) {
	events, generated := s.Events(), s.generatedCount()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"filter":"","limitStart":0,"limitPageSize":-1,"records":[`)
	enc := json.NewEncoder(w)
	total := len(events) + generated
	for i := range total {
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		var ev acd.Event
		if i < len(events) {
			ev = events[i]
		} else {
			ev = GeneratedEvent(i - len(events))
		}
		if err := enc.Encode(ev); err != nil {
			return
		}
	}
	_, _ = fmt.Fprintf(w, `],"count":%d,"orderBy":"dtCreated","ascending":true,"status":200}`, total)
}

func (s *Server) generatedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generated
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "AcdEventsID must be an integer")
		return
	}
	for _, ev := range s.Events() {
		if ev.ID == id {
			fakeserver.WriteJSON(w, http.StatusOK, map[string]any{"records": []acd.Event{ev}, "count": 1, "status": 200})
			return
		}
	}
	writeError(w, http.StatusNotFound, "Event not found")
}

// create mirrors jtel: required fields checked, then the event is stored
// with a new id, timestamps and EventData.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AcdEventTypesID *int64
		AcdGroupsID     *int64
		UsersID         *int64
		Sender          string
		Receiver        string
		Subject         string
		Body            string
		CrmURL          string
		UserData        string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Malformed JSON: "+err.Error())
		return
	}
	missing := []string{}
	if in.AcdEventTypesID == nil {
		missing = append(missing, "AcdEventTypesID")
	}
	if in.AcdGroupsID == nil {
		missing = append(missing, "AcdGroupsID")
	}
	if in.Sender == "" {
		missing = append(missing, "Sender")
	}
	if in.Subject == "" {
		missing = append(missing, "Subject")
	}
	if len(missing) > 0 {
		writeError(w, http.StatusBadRequest, "Missing required parameter: "+strings.Join(missing, ", "))
		return
	}
	now := s.now()
	ev := acd.Event{
		Type: acd.EventType(*in.AcdEventTypesID), Status: 1, GroupID: *in.AcdGroupsID, UserID: in.UsersID,
		Sender: in.Sender, Receiver: in.Receiver, Subject: in.Subject, CrmURL: in.CrmURL, UserData: in.UserData,
		EventData:    eventData(in.CrmURL, in.UserData, in.Body),
		Created:      wiretime.NewLocalTime(now),
		Modified:     wiretime.NewLocalTime(now),
		LastModified: wiretime.NewLocalTime(now.Add(135 * time.Millisecond)),
	}
	if ev.Type == acd.Ticket {
		ev.ForeignSystemNumber = in.UserData
	}
	ev = s.AddEvent(ev)
	fakeserver.WriteJSON(w, http.StatusOK, map[string]any{"records": []acd.Event{ev}, "count": 1, "status": 200})
}

// eventData builds EventData as in jtel's documented example.
func eventData(crmURL, display, body string) string {
	d := acd.EventData{Body: acd.EventBody{HTML: true, Text: body}}
	if crmURL != "" {
		d.URLs = []acd.EventURL{{Path: crmURL, DisplayName: display}}
	}
	return d.String()
}

func sampleEvents() []acd.Event {
	at := func(s string) acd.LocalTime {
		t, _ := wiretime.ParseLocal(s, time.UTC)
		return t
	}
	one := int64(1)
	user := int64(3)
	return []acd.Event{
		{
			ID: 2001, Type: acd.VoiceMail, Status: 20, GroupID: 235, Sender: "49199123456789", Receiver: "4919900112233",
			Subject: "Voice mail from 49199123456789", UserData: "123456", ChatConnectorID: &one,
			EventData: eventData("", "", ""), Created: at("2020-08-09T02:31:12.120"),
			Modified: at("2020-08-09T02:33:50.347"), LastModified: at("2020-08-09T02:33:50.347"),
		},
		{
			ID: 2002, Type: acd.Callback, Status: 1, GroupID: 235, UserID: &user, Sender: "49199123456789",
			Receiver: "4919900112233", Subject: "Callback request from 49199123456789 on 2020.08.09 at 09:00",
			CrmURL: "https://www.jtel.de", UserData: "987654",
			EventData: eventData("https://www.jtel.de", "987654", "Please call back after 9."),
			Created:   at("2020-08-09T08:12:03.501"), Modified: at("2020-08-09T08:12:03.501"),
			LastModified: at("2020-08-09T08:12:03.640"),
		},
		{
			ID: 2003, Type: acd.Email, Status: 1, GroupID: 240, Sender: "kunde@example.com", Receiver: "support@jtel.de",
			Subject: "Rechnung 4711 – Frage", EventData: eventData("", "", ""),
			Created: at("2020-09-14T16:45:00.000"), Modified: at("2020-09-14T16:45:00.000"),
			LastModified: at("2020-09-14T16:45:00.010"),
		},
		{
			ID: 2039, Type: acd.Ticket, Status: 1, GroupID: 235, Sender: "info@example.com", Receiver: "support@jtel.de",
			Subject: "A new ticket 123456 has been created via the REST API. Congratulations!",
			CrmURL:  "https://www.jtel.de", UserData: "123456", ForeignSystemNumber: "123456",
			EventData: eventData("https://www.jtel.de", "123456", ""), Created: at("2020-09-15T02:59:32.794"),
			Modified: at("2020-09-15T02:59:32.794"), LastModified: at("2020-09-15T02:59:32.929"),
		},
	}
}
