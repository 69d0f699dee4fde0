// Package avayatest is an in-memory Avaya Call Reporting (Xima
// Chronicall) server for tests and examples, realtime metrics included: a
// simulated call centre whose counts and durations change every step,
// values that initialize on first request (206, or 400 with the body),
// and a metric subscription websocket that can be told to drop, to drop
// every connection at once after its handshake (DropAtOnce) or go
// silent, and that records how each subscription was closed.
//
// It serves recordings whose audio is generated on the fly (a test can
// stream gigabytes without anyone holding them): SPX, the stored file,
// exactly the listing's size, and WAV, a real-shaped 8 kHz µ-law file
// (RIFF header with correct sizes) much larger than the listing's size,
// as the real server's conversion is (see WAVSize), with an ETag and HTTP
// Range support (206, If-Range), listen links, call recordings, the
// time-frame listing, the documented "Agent Talking Summary" report, the
// agent mapping and a per-agent recording state machine, behind Bearer
// checks. Errors follow the document: 400 for a bad format, 401, 403, 404
// with a message for an unknown key or agent, and an empty 404 for an
// endpoint it does not have. Knobs: which path forms it serves
// (PathForms) and how it answers the missing one (FrameworkNotFound), the
// cloud edition's audio rate limit (LimitAudio, 429 with Retry-After),
// the egress cap (SetEgressCapReached, 509), cached reports
// (CacheNextReports, 202), audio bodies cut short without Content-Length
// (CutAudio), no Range support (IgnoreRange), plus the shared Inject/
// FailNext/SetDelay and the request log.
package avayatest

import (
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/internal/fakeserver"
)

// DefaultToken is the service user key a new server accepts.
const DefaultToken = "avayatest-key"

// AgentTalkingSummary is the historicDataKey of the documented report.
const AgentTalkingSummary = "5b0b4bd4-8a1c-4a6e-9f9d-48d0a6f10c01"

// The call and recordings of the document's examples.
const (
	DocumentedCall       avaya.Key = "83849370-5753-4186-9fc5-9c069e615734-1568735345298"
	DocumentedRecording1 avaya.Key = "83849370-5753-4186-9fc5-9c069e615734-1568735345298"
	DocumentedRecording2 avaya.Key = "0a72f610-8615-4ac9-8f1d-b914f9f164dc-1568739643644"
)

// PathForm selects which of the two printed path forms a server has for
// whole-call audio and the time-frame listing.
type PathForm int

// The path forms.
const (
	BothForms       PathForm = iota // /api/v1/... and /rest/api/v1/...
	DocumentedForm                  // only /api/v1/recordings/{call-key}/audio and /api/v1/recordings
	AlternativeForm                 // only /rest/api/v1/calls/{call-key}/audio and /rest/api/v1/recordings
)

// Fault and Request are the fault-injection and request-log types.
type (
	Fault   = fakeserver.Fault
	Request = fakeserver.Request
)

// Agent is one agent of the fake: the ids it answers to and its state.
type Agent struct {
	Extension string // "203"
	Name      string // "Nate Thatcher"
	Alias     string // "nthatcher"
	State     avaya.RecordingState
}

// Server is a fake Call Reporting server.
type Server struct {
	fakeserver.Faults

	// Token is the accepted service user key.
	Token string

	srv        *httptest.Server
	mu         sync.Mutex
	recordings map[avaya.Key]avaya.Recording
	calls      map[avaya.Key][]avaya.Key
	forbidden  map[avaya.Key]bool
	noAudio    map[avaya.Key]bool
	agents     []*Agent
	form       PathForm
	audioEvery time.Duration
	lastAudio  time.Time
	egressCap  bool
	rt         *realtime
	cacheNext  int
	nextUUID   int
	cutNext    int
	noRange    bool
	framework  bool
}

// NewServer starts a fake server holding the document's call with its two
// recordings, a few more recordings, and three agents.
func NewServer() *Server {
	s := &Server{
		Token: DefaultToken, recordings: map[avaya.Key]avaya.Recording{}, calls: map[avaya.Key][]avaya.Key{},
		forbidden: map[avaya.Key]bool{}, noAudio: map[avaya.Key]bool{}, rt: newRealtime(),
		agents: []*Agent{
			{Extension: "123", Name: "Nate Thatcher", Alias: "nthatcher", State: avaya.StateRecording},
			{Extension: "200", Name: "Agent1", Alias: "agent1", State: avaya.StateNoRecording},
			{Extension: "203", Name: "Ada Lovelace", Alias: "alovelace", State: avaya.StateRecording},
		},
	}
	s.ErrorBody = func(status int) string { return `{"message":"` + http.StatusText(status) + `"}` }
	for _, r := range documentedRecordings() {
		s.recordings[r.Key] = r
	}
	s.calls[DocumentedCall] = []avaya.Key{DocumentedRecording1, DocumentedRecording2}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/api/v1/recordings/{key}/audio", s.recordingAudio)
	mux.HandleFunc("GET /api/v1/recordings/{key}/audio", s.callAudio(DocumentedForm))
	mux.HandleFunc("GET /rest/api/v1/calls/{key}/audio", s.callAudio(AlternativeForm))
	mux.HandleFunc("POST /rest/api/v1/recordings/{key}/external-listen-link", s.listenLink(false))
	mux.HandleFunc("POST /rest/api/v1/calls/{key}/external-listen-link", s.listenLink(true))
	mux.HandleFunc("GET /rest/api/v1/calls/{key}/recordings", s.callRecordings)
	mux.HandleFunc("GET /api/v1/recordings", s.timeFrame(DocumentedForm))
	mux.HandleFunc("GET /rest/api/v1/recordings", s.timeFrame(AlternativeForm))
	mux.HandleFunc("POST /rest/api/v1/historic-data/{key}", s.historic)
	mux.HandleFunc("GET /rest/api/v1/agents/mapping", s.mapping)
	mux.HandleFunc("GET /rest/api/v1/agents/{agent}/active-recording", s.agentState(""))
	mux.HandleFunc("POST /rest/api/v1/agents/{agent}/active-recording/pause", s.agentState("pause"))
	mux.HandleFunc("POST /rest/api/v1/agents/{agent}/active-recording/resume", s.agentState("resume"))
	mux.HandleFunc("GET /rest/api/v1/realtime/metrics", s.metricsList)
	mux.HandleFunc("GET /rest/api/v1/realtime/metrics/values", s.metricValues)
	mux.HandleFunc("GET /rest/api/v1/realtime-metric-subscription", s.subscribe)
	mux.HandleFunc("/", s.noEndpoint)
	s.srv = httptest.NewServer(s.Handler(s.authorized(mux)))
	return s
}

// documentedRecordings are the two records printed in the document.
func documentedRecordings() []avaya.Recording {
	return []avaya.Recording{
		{Key: DocumentedRecording1, StartTime: time.UnixMilli(1568735345298).UTC(), Duration: 48974 * time.Millisecond,
			PoolID: "d25839a1-2916-4825-8a36-299a1119f732", Size: 42443, EventID: 50165, RecordingSystemID: 1, Status: avaya.StatusSaved},
		{Key: DocumentedRecording2, StartTime: time.UnixMilli(1568739643644).UTC(), Duration: 59347 * time.Millisecond,
			PoolID: "308b6f52-1f61-4c4f-9ee4-543f37f3937f", Size: 49743, EventID: 54035, RecordingSystemID: 1, Status: avaya.StatusSaved},
	}
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Client returns an *http.Client that reaches the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close drops the subscriptions and shuts the server down.
func (s *Server) Close() {
	s.DropSubscribers()
	s.srv.Close()
}

// AddRecording stores a recording of size bytes (its SPX file, the
// listing's size) that started at start, as part of call (a new call
// when call is ""), and returns it. Its duration is size/8 ms, so its
// WAV file is about size+58 bytes (WAVSize), not the listing's size.
func (s *Server) AddRecording(call avaya.Key, start time.Time, size int64, status avaya.RecordingStatus) avaya.Recording {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUUID++
	uuid := fmt.Sprintf("00000000-0000-4000-8000-%012d", s.nextUUID)
	r := avaya.Recording{
		Key: avaya.NewKey(uuid, start), StartTime: start.UTC().Truncate(time.Millisecond), Duration: time.Duration(size/8) * time.Millisecond,
		PoolID: "11111111-2222-4333-8444-555555555555", Size: size, EventID: int64(60000 + s.nextUUID), RecordingSystemID: 1, Status: status,
	}
	if call == "" {
		call = r.Key
	}
	s.recordings[r.Key] = r
	s.calls[call] = append(s.calls[call], r.Key)
	return r
}

// Forbid makes a recording or call answer 403.
func (s *Server) Forbid(key avaya.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden[key] = true
}

// RemoveAudio makes a recording's audio answer 404 while the recording
// is still listed, as when its file was removed by hand.
func (s *Server) RemoveAudio(key avaya.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noAudio[key] = true
}

// PathForms sets which path forms the server has.
func (s *Server) PathForms(f PathForm) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.form = f
}

// LimitAudio answers 429 (Retry-After in whole seconds, at least 1) to
// audio requests that come sooner than every after the previous one, as
// the cloud edition does with 3 s. Zero lifts the limit.
func (s *Server) LimitAudio(every time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audioEvery = every
}

// SetEgressCapReached makes audio requests answer 509.
func (s *Server) SetEgressCapReached(reached bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.egressCap = reached
}

// CacheNextReports answers the next n report requests 202 (timed out and
// cached), as the cloud edition does.
func (s *Server) CacheNextReports(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cacheNext = n
}

// CutAudio makes the next n audio answers stop halfway through their body
// without having sent a Content-Length: the header says nothing of the
// size and the connection is closed after the half, so the body looks
// complete to a client that trusts the connection's end.
func (s *Server) CutAudio(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutNext = n
}

// IgnoreRange(true) makes audio answers ignore Range requests (always 200
// with the whole body, no Accept-Ranges), as servers without range
// support do. By default audio is served with an ETag and Range requests
// are answered 206, honouring If-Range.
func (s *Server) IgnoreRange(ignore bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRange = ignore
}

// FrameworkNotFound(true) makes endpoints the server does not have answer
// 404 with the web framework's generic error body,
// {"timestamp":...,"status":404,"error":"Not Found","path":...}, as a
// Spring Boot server does, instead of an empty 404.
func (s *Server) FrameworkNotFound(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.framework = on
}

// noEndpoint answers a path the server does not have.
func (s *Server) noEndpoint(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	framework := s.framework
	s.mu.Unlock()
	if !framework {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	fakeserver.WriteJSON(w, http.StatusNotFound, map[string]any{
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000+00:00"), "status": 404, "error": "Not Found", "path": r.URL.Path,
	})
}

// Agents returns a copy of the agents and their states.
func (s *Server) Agents() []Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Agent, len(s.agents))
	for i, a := range s.agents {
		out[i] = *a
	}
	return out
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	fakeserver.WriteJSON(w, status, map[string]string{"message": msg})
}

func (s *Server) authorized(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rest/api/v1/realtime-metric-subscription" {
			h.ServeHTTP(w, r) // authenticated by its auth_token parameter
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			writeMessage(w, http.StatusUnauthorized, "The authorization header wasn't valid.")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// lookup finds a recording (or, with call, a call) and writes 403/404.
func (s *Server) lookup(w http.ResponseWriter, key avaya.Key, call bool) ([]avaya.Recording, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forbidden[key] {
		writeMessage(w, http.StatusForbidden, "The authenticated user doesn't have access to it.")
		return nil, false
	}
	if call {
		keys, ok := s.calls[key]
		if !ok {
			writeMessage(w, http.StatusNotFound, "An invalid call key was provided.")
			return nil, false
		}
		out := make([]avaya.Recording, len(keys))
		for i, k := range keys {
			out[i] = s.recordings[k]
		}
		return out, true
	}
	r, ok := s.recordings[key]
	if !ok {
		writeMessage(w, http.StatusNotFound, "An invalid recording key was provided.")
		return nil, false
	}
	return []avaya.Recording{r}, true
}

// audioGate applies the egress cap and the rate limit; false means it
// answered.
func (s *Server) audioGate(w http.ResponseWriter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.egressCap {
		writeMessage(w, 509, "Egress limit reached for the last 5 days.")
		return false
	}
	now := time.Now()
	if s.audioEvery > 0 && !s.lastAudio.IsZero() && now.Sub(s.lastAudio) < s.audioEvery {
		wait := s.audioEvery - now.Sub(s.lastAudio)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second))))
		writeMessage(w, http.StatusTooManyRequests, "Only one audio request per 3 seconds.")
		return false
	}
	s.lastAudio = now
	return true
}

func (s *Server) writeAudio(w http.ResponseWriter, r *http.Request, recs []avaya.Recording) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "spx"
	}
	if format != "spx" && format != "wav" {
		writeMessage(w, http.StatusBadRequest, "An invalid format was provided.")
		return
	}
	if !s.audioGate(w) {
		return
	}
	s.mu.Lock()
	noRange, cut := s.noRange, s.cutNext > 0
	if cut {
		s.cutNext--
	}
	s.mu.Unlock()
	body, size := Audio(avaya.AudioFormat(format), recs...)
	tag := fnv.New64a()
	for _, rec := range recs {
		_, _ = fmt.Fprintf(tag, "%s/%d/%d/", rec.Key, rec.Size, rec.Duration)
	}
	_, _ = io.WriteString(tag, format)
	etag := fmt.Sprintf(`"%x"`, tag.Sum64())
	ctype := "audio/ogg"
	if format == "wav" {
		ctype = "audio/wav"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	status, from := http.StatusOK, int64(0)
	if !noRange {
		h.Set("ETag", etag)
		h.Set("Accept-Ranges", "bytes")
		if n, ok := rangeStart(r.Header.Get("Range"), size); ok && (r.Header.Get("If-Range") == "" || r.Header.Get("If-Range") == etag) {
			status, from = http.StatusPartialContent, n
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, size-1, size))
		}
	}
	if _, err := io.CopyN(io.Discard, body, from); err != nil {
		return
	}
	if cut {
		cutShort(w, status, h, io.LimitReader(body, (size-from)/2))
		return
	}
	h.Set("Content-Length", strconv.FormatInt(size-from, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(w, body)
}

// rangeStart reads a "bytes=N-" or "bytes=N-M" Range header whose range
// runs to the end of a body of size bytes; other forms are ignored (the
// whole body is sent), as RFC 9110 allows.
func rangeStart(v string, size int64) (int64, bool) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, false
	}
	first, last, ok := strings.Cut(spec, "-")
	n, err := strconv.ParseInt(first, 10, 64)
	if !ok || err != nil || n < 0 || n >= size {
		return 0, false
	}
	if last != "" {
		if m, err := strconv.ParseInt(last, 10, 64); err != nil || m < size-1 {
			return 0, false
		}
	}
	return n, true
}

// cutShort answers with header and body over a connection it then closes,
// without Content-Length or chunking: the end of the connection is the
// end of the body, and body is only part of it.
func cutShort(w http.ResponseWriter, status int, h http.Header, body io.Reader) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	h.Set("Connection", "close")
	_ = h.Write(buf)
	_, _ = buf.WriteString("\r\n")
	_, _ = io.Copy(buf, body)
	_ = buf.Flush()
}

func (s *Server) recordingAudio(w http.ResponseWriter, r *http.Request) {
	key := avaya.Key(r.PathValue("key"))
	s.mu.Lock()
	missing := s.noAudio[key]
	s.mu.Unlock()
	if missing {
		writeMessage(w, http.StatusNotFound, "The recording's audio file is missing.")
		return
	}
	if recs, ok := s.lookup(w, key, false); ok {
		s.writeAudio(w, r, recs)
	}
}

func (s *Server) serves(form PathForm) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.form == BothForms || s.form == form
}

func (s *Server) callAudio(form PathForm) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.serves(form) {
			s.noEndpoint(w, r)
			return
		}
		if recs, ok := s.lookup(w, avaya.Key(r.PathValue("key")), true); ok {
			s.writeAudio(w, r, recs)
		}
	}
}

// listenLink writes the link as Chronicall does, with '=' as \u003d.
func (s *Server) listenLink(call bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := avaya.Key(r.PathValue("key"))
		if _, ok := s.lookup(w, key, call); !ok {
			return
		}
		kind := "recording"
		if call {
			kind = "call"
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, "{\n  \"listenLink\": \"%s/extlisten/%s/index.html?id\\u003d%s\"\n}", s.srv.URL, kind, key.UUID())
	}
}

func (s *Server) callRecordings(w http.ResponseWriter, r *http.Request) {
	if recs, ok := s.lookup(w, avaya.Key(r.PathValue("key")), true); ok {
		fakeserver.WriteJSON(w, http.StatusOK, recs)
	}
}

func (s *Server) timeFrame(form PathForm) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.serves(form) {
			s.noEndpoint(w, r)
			return
		}
		from, err1 := strconv.ParseInt(r.URL.Query().Get("startTime"), 10, 64)
		to, err2 := strconv.ParseInt(r.URL.Query().Get("endTime"), 10, 64)
		if err1 != nil || err2 != nil {
			writeMessage(w, http.StatusBadRequest, "startTime and endTime must be epoch milliseconds.")
			return
		}
		s.mu.Lock()
		out := []avaya.Recording{}
		for k, rec := range s.recordings {
			ms := rec.StartTime.UnixMilli()
			if ms >= from && ms <= to && !s.forbidden[k] {
				out = append(out, rec)
			}
		}
		s.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
		fakeserver.WriteJSON(w, http.StatusOK, out)
	}
}

func (s *Server) mapping(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, a := range s.agents {
		out[a.Alias] = a.Name + " (" + a.Extension + ")"
	}
	fakeserver.WriteJSON(w, http.StatusOK, out)
}

// agentState finds the agent by extension, "Name(ext)", "Name (ext)" or
// alias, and applies the action.
func (s *Server) agentState(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("agent")
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, a := range s.agents {
			if id != a.Extension && id != a.Alias && id != a.Name+"("+a.Extension+")" && id != a.Name+" ("+a.Extension+")" {
				continue
			}
			switch {
			case action == "pause" && a.State == avaya.StateRecording:
				a.State = avaya.StatePaused
			case action == "resume" && a.State == avaya.StatePaused:
				a.State = avaya.StateRecording
			}
			fakeserver.WriteJSON(w, http.StatusOK, map[string]avaya.RecordingState{"state": a.State})
			return
		}
		writeMessage(w, http.StatusNotFound, "There is no agent found for the given AgentId.")
	}
}
