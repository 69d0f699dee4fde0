package avayatest

import (
	"bufio"
	"context"
	"crypto/sha1" //nolint:gosec // RFC 6455 prescribes SHA-1
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/internal/fakeserver"
)

// The realtime metrics of the simulated call centre.
const (
	MetricCallsInQueue   = "K0FLAEB6" // COUNT, no category
	MetricAgentsTalking  = "KTALKGRP" // COUNT by group
	MetricAgentAvailable = "K13CJXHV" // BOOLEAN by agent
	MetricAgentState     = "KSTATE01" // STRING by agent
	MetricLongestWait    = "K1RNV20Q" // DURATION, counting up while a call waits
	MetricAgentTalkTime  = "K08ZIKVN" // DURATION by agent
	MetricAvgTalkTime    = "KAVGTALK" // AVERAGE_DURATION by group
)

var realtimeMetrics = []struct {
	avaya.Metric
	kind avaya.ValueType
}{
	{avaya.Metric{ID: MetricCallsInQueue, Name: "Calls in Queue", CategoryType: avaya.CategoryNone, CategorySelection: []string{}}, avaya.CountValue},
	{avaya.Metric{ID: MetricAgentsTalking, Name: "Agents Talking", CategoryType: avaya.CategoryGroup, CategorySelection: []string{"Sales", "Support"}}, avaya.CountValue},
	{avaya.Metric{ID: MetricAgentAvailable, Name: "Agent Available", CategoryType: avaya.CategoryAgent, CategorySelection: []string{"John Doe(481)", "Ada Lovelace(203)"}}, avaya.BooleanValue},
	{avaya.Metric{ID: MetricAgentState, Name: "Agent State", CategoryType: avaya.CategoryAgent, CategorySelection: []string{"John Doe(481)", "Ada Lovelace(203)"}}, avaya.StringValue},
	{avaya.Metric{ID: MetricLongestWait, Name: "Longest Wait", CategoryType: avaya.CategoryNone, CategorySelection: []string{}}, avaya.DurationValue},
	{avaya.Metric{ID: MetricAgentTalkTime, Name: "Agent Talk Time", CategoryType: avaya.CategoryAgent, CategorySelection: []string{"John Doe(481)", "Ada Lovelace(203)"}}, avaya.DurationValue},
	{avaya.Metric{ID: MetricAvgTalkTime, Name: "Avg Talk Time", CategoryType: avaya.CategoryGroup, CategorySelection: []string{"Sales", "Support"}}, avaya.AverageDurationValue},
}

// realtime is the simulated call centre and its subscribers.
type realtime struct {
	mu          sync.Mutex
	zone        *time.Location
	start       time.Time
	step        time.Duration
	steps       int
	values      map[avaya.MetricKey]avaya.MetricValue
	initStarted map[avaya.MetricKey]time.Time
	initDelay   time.Duration
	partial400  bool
	silent      bool
	reject      int
	flap        bool // accept each handshake, then drop the socket at once
	subs        map[*websocket.Conn]context.CancelFunc
	drops       int // DropSubscribers calls, so a handshake under way when one comes is dropped too
	closeCodes  []websocket.StatusCode
}

func newRealtime() *realtime {
	rt := &realtime{
		zone: time.FixedZone("", -6*3600), start: time.Now(), step: 200 * time.Millisecond,
		values: map[avaya.MetricKey]avaya.MetricValue{}, initStarted: map[avaya.MetricKey]time.Time{},
		initDelay: 300 * time.Millisecond, subs: map[*websocket.Conn]context.CancelFunc{},
	}
	rt.advance(rt.start)
	return rt
}

func keysOf(m avaya.Metric) []avaya.MetricKey {
	if len(m.CategorySelection) == 0 {
		return []avaya.MetricKey{{MetricID: m.ID}}
	}
	keys := make([]avaya.MetricKey, len(m.CategorySelection))
	for i, c := range m.CategorySelection {
		keys[i] = avaya.MetricKey{MetricID: m.ID, CategoryValue: c}
	}
	return keys
}

// advance runs the simulation up to now, one step at a time; rt.mu held.
func (rt *realtime) advance(now time.Time) {
	target := int(now.Sub(rt.start) / rt.step)
	for ; rt.steps <= target; rt.steps++ {
		at := rt.start.Add(time.Duration(rt.steps) * rt.step).In(rt.zone).Truncate(time.Millisecond)
		r := rand.New(rand.NewPCG(42, uint64(rt.steps)))
		for _, m := range realtimeMetrics {
			for _, k := range keysOf(m.Metric) {
				if rt.steps > 0 && r.IntN(3) != 0 {
					continue // most values do not change every step
				}
				v := rt.values[k]
				v.Type, v.LastUpdateTime = m.kind, at
				switch m.kind {
				case avaya.CountValue:
					v.Count = int64(r.IntN(8))
				case avaya.BooleanValue:
					v.Bool = r.IntN(2) == 0
				case avaya.StringValue:
					v.String = []string{"Talking", "Available", "Wrap Up", "Break"}[r.IntN(4)]
				case avaya.DurationValue:
					v.FinishedDuration += int64(r.IntN(20_000))
					v.NumCountingUp, v.NumCountingDown = int64(r.IntN(3)), 0
				case avaya.AverageDurationValue:
					v.DurationSum += int64(60_000 + r.IntN(240_000))
					v.Count++
					v.NumCountingUp, v.NumCountingDown = int64(r.IntN(3)), int64(r.IntN(2))
				}
				rt.values[k] = v
			}
		}
	}
}

// RealtimeStep sets how often the simulated call centre changes (200 ms).
func (s *Server) RealtimeStep(d time.Duration) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.advance(time.Now())
	s.rt.start, s.rt.steps, s.rt.step = time.Now(), 1, d
}

// InitDelay sets how long a value initializes after it is first asked for
// (300 ms); until then it is listed as initializing.
func (s *Server) InitDelay(d time.Duration) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.initDelay = d
}

// PartialAs400 makes partial answers 400 with the results and initializing
// body, as section 4.3 of the document describes, instead of 206.
func (s *Server) PartialAs400(on bool) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.partial400 = on
}

// SetMetricValue sets a value (its LastUpdateTime too) as the call centre
// would, and pushes it to connected subscribers on their next send.
func (s *Server) SetMetricValue(key avaya.MetricKey, v avaya.MetricValue) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.values[key] = v
}

// MetricValue returns the value the server holds now.
func (s *Server) MetricValue(key avaya.MetricKey) (avaya.MetricValue, bool) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.advance(time.Now())
	v, ok := s.rt.values[key]
	return v, ok
}

// DropSubscribers closes every subscription socket without a close frame.
func (s *Server) DropSubscribers() {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.drops++
	for c, cancel := range s.rt.subs {
		cancel()
		_ = c.CloseNow()
	}
}

// GoSilent(true) drops the current subscription sockets and from then on
// accepts new ones but never sends on them or answers their pings, as a
// half-dead proxy would. GoSilent(false) restores normal service.
func (s *Server) GoSilent(silent bool) {
	s.rt.mu.Lock()
	s.rt.silent = silent
	s.rt.mu.Unlock()
	if silent {
		s.DropSubscribers()
	}
}

// RejectSubscriptions answers subscription handshakes with status (0 to
// accept again).
func (s *Server) RejectSubscriptions(status int) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.reject = status
}

// DropAtOnce(true) makes the server accept every subscription handshake
// (101) and then drop the socket at once, without a close frame, as a
// flapping proxy or an overloaded server does. DropAtOnce(false)
// restores normal service.
func (s *Server) DropAtOnce(on bool) {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	s.rt.flap = on
}

// CloseCodes returns the close status of every subscription that has
// ended, in order: websocket.StatusNormalClosure (1000) for a client that
// sent a close frame with it, -1 for a connection that ended without one.
func (s *Server) CloseCodes() []websocket.StatusCode {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	return append([]websocket.StatusCode(nil), s.rt.closeCodes...)
}

// Subscribers is the number of open subscription sockets.
func (s *Server) Subscribers() int {
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	return len(s.rt.subs)
}

func (s *Server) metricsList(w http.ResponseWriter, _ *http.Request) {
	out := make([]avaya.Metric, len(realtimeMetrics))
	for i, m := range realtimeMetrics {
		out[i] = m.Metric
	}
	fakeserver.WriteJSON(w, http.StatusOK, out)
}

// lookupMetrics resolves ids to their keys; false when one is unknown.
func lookupMetrics(ids []string) ([]avaya.MetricKey, bool) {
	var keys []avaya.MetricKey
	for _, id := range ids {
		found := false
		for _, m := range realtimeMetrics {
			if m.ID == id {
				keys = append(keys, keysOf(m.Metric)...)
				found = true
			}
		}
		if !found {
			return nil, false
		}
	}
	return keys, true
}

func splitIDs(r *http.Request) []string {
	var ids []string
	for _, v := range r.URL.Query()["id"] {
		for _, id := range strings.Split(v, ",") {
			if id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (s *Server) metricValues(w http.ResponseWriter, r *http.Request) {
	ids := splitIDs(r)
	if len(ids) == 0 {
		writeMessage(w, http.StatusBadRequest, "Malformed or missing query parameters.")
		return
	}
	keys, ok := lookupMetrics(ids)
	if !ok {
		writeMessage(w, http.StatusNotFound, "The requested metrics do not exist.")
		return
	}
	rt := s.rt
	rt.mu.Lock()
	now := time.Now()
	rt.advance(now)
	out := avaya.MetricValues{Results: []avaya.MetricResult{}, Initializing: []avaya.MetricKey{}}
	for _, k := range keys {
		started, seen := rt.initStarted[k]
		if !seen {
			rt.initStarted[k], started = now, now
		}
		if now.Sub(started) < rt.initDelay {
			out.Initializing = append(out.Initializing, k)
			continue
		}
		out.Results = append(out.Results, avaya.MetricResult{Key: k, Value: rt.values[k]})
	}
	partial400 := rt.partial400
	rt.mu.Unlock()
	status := http.StatusOK
	if len(out.Initializing) > 0 {
		status = http.StatusPartialContent
		if partial400 {
			status = http.StatusBadRequest
		}
	}
	fakeserver.WriteJSON(w, status, out)
}

// subscribe serves the websocket: every step it sends the values of the
// subscribed metrics that changed since it last sent them.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	rt := s.rt
	if r.URL.Query().Get("auth_token") != s.Token {
		writeMessage(w, http.StatusUnauthorized, "The authentication key wasn't valid.")
		return
	}
	ids := r.URL.Query()["id"]
	keys, ok := lookupMetrics(ids)
	if len(ids) == 0 {
		writeMessage(w, http.StatusBadRequest, "Malformed or missing query parameters.")
		return
	}
	if !ok {
		writeMessage(w, http.StatusForbidden, "One or more of the requested metrics doesn't exist or is not assigned to you.")
		return
	}
	rt.mu.Lock()
	reject, silent, drops, flap := rt.reject, rt.silent, rt.drops, rt.flap
	rt.mu.Unlock()
	if reject != 0 {
		writeMessage(w, reject, http.StatusText(reject))
		return
	}
	if silent {
		silentAccept(w, r)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	if flap {
		_ = conn.CloseNow()
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	readDone := make(chan struct{})
	go func() { // answers pings and the close handshake; notes the close code
		defer close(readDone)
		defer cancel()
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				rt.mu.Lock()
				rt.closeCodes = append(rt.closeCodes, websocket.CloseStatus(err))
				rt.mu.Unlock()
				return
			}
		}
	}()
	defer func() { <-readDone }()
	rt.mu.Lock()
	if rt.drops != drops { // dropped while the handshake was under way
		rt.mu.Unlock()
		_ = conn.CloseNow()
		return
	}
	rt.subs[conn] = cancel
	rt.mu.Unlock()
	defer func() {
		rt.mu.Lock()
		delete(rt.subs, conn)
		rt.mu.Unlock()
		_ = conn.CloseNow()
	}()
	sent := map[avaya.MetricKey]time.Time{}
	rt.mu.Lock()
	every := rt.step / 2
	rt.mu.Unlock()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rt.mu.Lock()
		rt.advance(time.Now())
		var batch []avaya.MetricResult
		for _, k := range keys {
			if v := rt.values[k]; v.LastUpdateTime.After(sent[k]) {
				batch = append(batch, avaya.MetricResult{Key: k, Value: v})
				sent[k] = v.LastUpdateTime
			}
		}
		rt.mu.Unlock()
		for _, m := range batch {
			b, _ := json.Marshal(m)
			if conn.Write(ctx, websocket.MessageText, b) != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// silentAccept completes the websocket handshake by hand and then neither
// reads nor writes, until the client gives up.
func silentAccept(w http.ResponseWriter, r *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	accept := websocketAccept(r.Header.Get("Sec-WebSocket-Key"))
	_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
	_ = buf.Flush()
	// Hold the connection open, unread, until the client closes it.
	_, _ = bufio.NewReader(conn).Discard(1 << 30)
}

// websocketAccept is the Sec-WebSocket-Accept of a key (RFC 6455).
func websocketAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}
