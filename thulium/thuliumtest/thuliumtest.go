// Package thuliumtest is an in-memory Thulium server for tests and
// examples.
//
// It serves GET /api/chats/reports/summary behind HTTP Basic auth. Rows
// are deterministic for any query: the same users, dates and aggregation
// always give the same plausible numbers, so tests and examples can assert
// on them. Paging is real (offset/limit over the whole report), and bad
// parameters get Thulium-style 400 answers ({"request_id", "errors"}).
// Fault knobs (Inject, FailNext, SetDelay) and the request log (Requests)
// come from the embedded Faults; IgnoreOffset and OverfillPages make the
// paging misbehave as some servers do.
//
//	srv := thuliumtest.NewServer()
//	defer srv.Close()
//	c, _ := thulium.NewClient(srv.URL(), srv.Credentials())
package thuliumtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/fakeserver"
	"github.com/contactkit/contactkit/thulium"
)

// Defaults of a new server.
const (
	DefaultUser     = "api_user"
	DefaultPassword = "api_pass"
)

// DefaultUsers are the logins reported when a query names none.
var DefaultUsers = []string{"jkowalski", "anowak", "jdoe"}

// Fault and Request are the fault-injection and request-log types.
type (
	Fault   = fakeserver.Fault
	Request = fakeserver.Request
)

// Server is a fake Thulium system.
type Server struct {
	fakeserver.Faults

	// User and Password are the API user's credentials.
	User, Password string
	// Location is the system's zone, in which dates are read.
	Location *time.Location

	srv          *httptest.Server
	requestID    atomic.Int64
	ignoreOffset atomic.Bool
	overfill     atomic.Int64
}

// Option configures a Server.
type Option func(*Server)

// WithCredentials sets the API user.
func WithCredentials(user, password string) Option {
	return func(s *Server) { s.User, s.Password = user, password }
}

// WithLocation sets the system's zone (UTC by default).
func WithLocation(loc *time.Location) Option { return func(s *Server) { s.Location = loc } }

// NewServer starts a fake Thulium system on a loopback port.
func NewServer(opts ...Option) *Server {
	s := &Server{User: DefaultUser, Password: DefaultPassword, Location: time.UTC}
	for _, o := range opts {
		o(s)
	}
	s.ErrorBody = func(status int) string { return s.errorBody(0, http.StatusText(status)) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/chats/reports/summary", s.summary)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		s.writeError(w, http.StatusNotFound, 404, "Not found")
	})
	s.srv = httptest.NewServer(s.Handler(s.authorized(mux)))
	return s
}

// Credentials are the API user's credentials, for thulium.NewClient.
func (s *Server) Credentials() contactkit.BasicAuth {
	return contactkit.BasicAuth{User: s.User, Password: s.Password}
}

// IgnoreOffset makes the server answer every page from row 0, whatever
// offset was asked: the same full page again and again, as a server that
// does not implement offset would.
func (s *Server) IgnoreOffset(on bool) { s.ignoreOffset.Store(on) }

// OverfillPages makes every page carry up to n rows more than the limit
// asked for (the rows that follow it in the report).
func (s *Server) OverfillPages(n int) { s.overfill.Store(int64(n)) }

// URL is the API base URL, http://127.0.0.1:port/api/.
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// Client returns an *http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) errorBody(code int, msgs ...string) string {
	type item struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	body := struct {
		RequestID string `json:"request_id"`
		Errors    []item `json:"errors"`
	}{RequestID: fmt.Sprintf("%013x", 0x53678450401cf+s.requestID.Add(1))}
	for _, m := range msgs {
		body.Errors = append(body.Errors, item{Message: m, Code: code})
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func (s *Server) writeError(w http.ResponseWriter, status, code int, msgs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(s.errorBody(code, msgs...)))
}

func (s *Server) authorized(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != s.User || pass != s.Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="Thulium"`)
			s.writeError(w, http.StatusUnauthorized, 401, message(r, "Unauthorized", "Brak autoryzacji"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// message picks the English or Polish text by Accept-Language.
func message(r *http.Request, en, pl string) string {
	if strings.HasPrefix(r.Header.Get("Accept-Language"), "pl") {
		return pl
	}
	return en
}

func (s *Server) summary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var problems []string
	from, err := s.parseDate(q.Get("date_from"))
	if err != nil {
		problems = append(problems, message(r, "date_from is required and must be a date (2019-11-01 11:12:00)", "Parametr date_from jest wymagany i musi być datą"))
	}
	to, err := s.parseDate(q.Get("date_to"))
	if err != nil {
		problems = append(problems, message(r, "date_to is required and must be a date (2019-11-02 11:12:00)", "Parametr date_to jest wymagany i musi być datą"))
	}
	limit, offset := thulium.MaxLimit, 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > thulium.MaxLimit {
			problems = append(problems, message(r, "limit must be between 1 and 100", "Parametr limit musi mieścić się w przedziale 1-100"))
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			problems = append(problems, message(r, "offset must not be negative", "Parametr offset nie może być ujemny"))
		}
	}
	agg := thulium.Aggregation(q.Get("aggregate_by"))
	if agg == "" {
		agg = thulium.ByMonth
	}
	if !agg.Known() {
		problems = append(problems, message(r, "aggregate_by must be one of hour_of_day, minute, hour, day, week, month, year", "Nieprawidłowa wartość aggregate_by"))
	}
	if len(problems) > 0 {
		s.writeError(w, http.StatusBadRequest, 111111, problems...)
		return
	}
	users := q["user_logins[]"]
	if len(users) == 0 {
		users = DefaultUsers
	}
	if q.Get("sum_users") == "true" || q.Get("sum_users") == "1" {
		users = []string{""}
	}
	threshold := 20
	if v, err := strconv.Atoi(q.Get("response_threshold")); err == nil && v > 0 {
		threshold = v
	}
	rows := Report(from, to, agg, users, q["chat_queue_ids[]"], threshold)
	if s.ignoreOffset.Load() {
		offset = 0
	}
	start, end := min(offset, len(rows)), min(offset+limit+int(s.overfill.Load()), len(rows))
	page := append([]thulium.SummaryRow{}, rows[start:end]...) // [] rather than null when empty
	fakeserver.WriteJSON(w, http.StatusOK, page)
}

func (s *Server) parseDate(v string) (time.Time, error) {
	for _, layout := range []string{thulium.DateLayout, thulium.DateOnlyLayout, "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, s.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q", v)
}

// Report is the whole report the fake serves for a query: for each period
// of the aggregation between from and to, one row per user (or one summed
// row when users is [""]). It is what a test can compare pages against.
func Report(from, to time.Time, agg thulium.Aggregation, users, queues []string, threshold int) []thulium.SummaryRow {
	var rows []thulium.SummaryRow
	for _, series := range seriesBetween(from, to, agg) {
		for _, u := range users {
			rows = append(rows, row(series, u, strings.Join(queues, ","), threshold))
		}
	}
	return rows
}

// seriesBetween names every period from from to to, capped at 10,000.
func seriesBetween(from, to time.Time, agg thulium.Aggregation) []string {
	if agg == thulium.ByHourOfDay {
		out := make([]string, 24)
		for h := range out {
			out[h] = strconv.Itoa(h)
		}
		return out
	}
	var out []string
	t := periodStart(from, agg)
	for !t.After(to) && len(out) < 10_000 {
		out = append(out, seriesName(t, agg))
		t = nextPeriod(t, agg)
	}
	return out
}

func periodStart(t time.Time, agg thulium.Aggregation) time.Time {
	y, m, d := t.Date()
	switch agg {
	case thulium.ByYear:
		return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
	case thulium.ByMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
	case thulium.ByWeek:
		day := time.Date(y, m, d, 0, 0, 0, 0, t.Location())
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case thulium.ByHour:
		return t.Truncate(time.Hour)
	case thulium.ByMinute:
		return t.Truncate(time.Minute)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func nextPeriod(t time.Time, agg thulium.Aggregation) time.Time {
	switch agg {
	case thulium.ByYear:
		return t.AddDate(1, 0, 0)
	case thulium.ByMonth:
		return t.AddDate(0, 1, 0)
	case thulium.ByWeek:
		return t.AddDate(0, 0, 7)
	case thulium.ByHour:
		return t.Add(time.Hour)
	case thulium.ByMinute:
		return t.Add(time.Minute)
	}
	return t.AddDate(0, 0, 1)
}

func seriesName(t time.Time, agg thulium.Aggregation) string {
	switch agg {
	case thulium.ByYear:
		return t.Format("2006")
	case thulium.ByMonth:
		return t.Format("2006-01")
	case thulium.ByWeek:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case thulium.ByHour:
		return t.Format("2006-01-02 15")
	case thulium.ByMinute:
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("2006-01-02")
}

// row makes plausible, deterministic numbers from the series and user.
func row(series, user, queues string, threshold int) thulium.SummaryRow {
	h := fnv.New64a()
	_, _ = h.Write([]byte(series + "|" + user + "|" + queues))
	seed := h.Sum64()
	next := func(n int) int {
		v := int(seed % uint64(n))
		seed = seed/uint64(n) ^ seed<<7
		return v
	}
	incoming := 3 + next(40)
	abandoned := next(incoming/5 + 1)
	answered := incoming - abandoned
	toBot := next(incoming/3 + 1)
	chatAvg := time.Duration(60+next(600)) * time.Second
	waitAvg := time.Duration(next(40)) * time.Second
	sad, neutral, happy := next(3), next(5), next(answered+1)
	rated := sad + neutral + happy
	pct := func(part, whole int) *float64 {
		if whole == 0 {
			return nil
		}
		v := float64(int(float64(part)/float64(whole)*1000+0.5)) / 10
		return &v
	}
	within := answered - next(answered/4+1)
	if int(waitAvg/time.Second) > threshold {
		within = answered / 2
	}
	name := user
	if name != "" {
		name = displayName(user)
	}
	return thulium.SummaryRow{
		Series: series, UserName: name,
		Incoming: incoming, IncomingToAgent: incoming - toBot/2, IncomingIncludingEmpty: incoming + next(3),
		Abandoned: abandoned, Answered: answered, IncomingToBot: toBot, TransferredByBot: toBot / 2, FinishedByBot: toBot - toBot/2,
		ServiceLevelPercent: pct(within, incoming),
		ChatTime: thulium.TimeStats{
			Min: chatAvg / 3, Max: chatAvg * 3, Sum: chatAvg * time.Duration(answered), Avg: chatAvg,
		},
		WaitTime: thulium.TimeStats{
			Min: 0, Max: waitAvg * 2, Sum: waitAvg * time.Duration(incoming), Avg: waitAvg,
		},
		SLAPercent: pct(within, answered),
		Rating: thulium.Rating{
			Rate:                thulium.RatingCounts{Sad: sad, Neutral: neutral, Happy: happy},
			SatisfactionPercent: pct(happy, max(rated, 1)),
			RatedPercent:        pct(rated, max(answered, 1)),
		},
	}
}

// displayName turns jkowalski into "J. Kowalski".
func displayName(login string) string {
	if len(login) < 2 {
		return login
	}
	return strings.ToUpper(login[:1]) + ". " + strings.ToUpper(login[1:2]) + login[2:]
}
