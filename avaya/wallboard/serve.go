package wallboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit/avaya"
)

// contentSecurityPolicy is sent with the page: its own scripts, styles
// and stream only, no inline script.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

func (h *Handler) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.asset("static/index.html", "text/html; charset=utf-8"))
	mux.HandleFunc("GET /index.html", h.asset("static/index.html", "text/html; charset=utf-8"))
	mux.HandleFunc("GET /client.js", h.asset("static/client.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /wallboard.js", h.asset("static/wallboard.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /wallboard.css", h.asset("static/wallboard.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /widget.js", h.serveWidget)
	mux.HandleFunc("GET /events", h.serveEvents)
	mux.HandleFunc("GET /snapshot.json", h.serveSnapshot)
	mux.HandleFunc("OPTIONS /events", h.preflight)
	mux.HandleFunc("OPTIONS /snapshot.json", h.preflight)
	h.mux = mux
}

// ServeHTTP serves the pages, the event stream and the snapshot.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) asset(name, contentType string) http.HandlerFunc {
	body, err := static.ReadFile(name)
	if err != nil {
		panic(err) // not reached: the files are embedded
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", contentType)
		hd.Set("Cache-Control", "no-cache")
		if strings.HasPrefix(contentType, "text/html") {
			hd.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		_, _ = w.Write(body)
	}
}

// serveWidget serves client.js and widget.js as one classic script, which
// a page of any origin may load with a <script> tag.
func (h *Handler) serveWidget(w http.ResponseWriter, _ *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	_, _ = w.Write(h.widget)
}

// cors answers whether the request may be served, and sets the CORS
// headers for an allowed cross-origin one. A request without Origin, or
// from the handler's own host, is same-origin.
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host == r.Host {
		return true
	}
	for _, o := range h.cfg.AllowOrigins {
		if o == "*" || o == origin {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "ETag")
			return true
		}
	}
	return false
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	if !h.cors(w, r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "GET")
	w.Header().Set("Access-Control-Allow-Headers", "Last-Event-ID, If-None-Match, Cache-Control")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// selection is the viewer's subset of the allow-list (?metrics=A,B, or
// repeated metrics=): nil for every allowed metric; ok is false when the
// viewer asked only for metrics it may not see.
func (h *Handler) selection(r *http.Request) (ids map[string]bool, ok bool) {
	asked := false
	for _, v := range r.URL.Query()["metrics"] {
		for id := range strings.SplitSeq(v, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			asked = true
			if h.allowed[id] != nil {
				if ids == nil {
					ids = map[string]bool{}
				}
				ids[id] = true
			}
		}
	}
	return ids, !asked || ids != nil
}

// refuse answers a request that cannot be served with a status and a
// short text (never anything of the upstream).
func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, status)
}

// admit checks the origin and the viewer's selection of a stream or
// snapshot request, and answers 403 when it may not be served.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request) (ids map[string]bool, ok bool) {
	if !h.cors(w, r) {
		refuse(w, http.StatusForbidden, "origin not allowed")
		return nil, false
	}
	if ids, ok = h.selection(r); !ok {
		refuse(w, http.StatusForbidden, "none of the requested metrics may be shown")
	}
	return ids, ok
}

// serveEvents is the event stream of one viewer.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	ids, ok := h.admit(w, r)
	if !ok {
		return
	}
	v := &viewer{ids: ids, ch: make(chan []byte, h.cfg.ViewerBuffer)}
	h.mu.Lock()
	switch {
	case h.state == StateStopped:
		h.mu.Unlock()
		w.Header().Set("Retry-After", "5")
		refuse(w, http.StatusServiceUnavailable, "stopped")
		return
	case len(h.viewers) >= h.cfg.MaxViewers:
		h.mu.Unlock()
		w.Header().Set("Retry-After", "5")
		refuse(w, http.StatusServiceUnavailable, "too many viewers")
		return
	}
	h.viewers[v] = struct{}{}
	snap := h.snapshotLocked(ids)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.viewers, v)
		h.mu.Unlock()
	}()

	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	write := func(frames ...[]byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(h.cfg.WriteTimeout))
		for _, f := range frames {
			if _, err := w.Write(f); err != nil {
				return false
			}
		}
		return rc.Flush() == nil
	}
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	first, err := snap.frame()
	if err != nil || !write(fmt.Appendf(nil, "retry: %d\n\n", h.cfg.Reconnect.Milliseconds()), first) {
		return
	}
	batch := make([][]byte, 0, 16)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			_ = write(stateFrame(time.Now(), StateStopped))
			return
		case f := <-v.ch:
			batch = append(batch[:0], f)
			for len(batch) < cap(batch) && len(v.ch) > 0 {
				batch = append(batch, <-v.ch)
			}
			// Checked after the last frame is taken: an event dropped
			// before this check is in the snapshot built after it; one
			// dropped after it found the buffer full, so a frame waits
			// and the next pass checks again.
			if v.resync.Swap(false) {
				// Fallen behind: the backlog is on the board already; a
				// snapshot replaces it.
				drain(v.ch)
				h.mu.Lock()
				snap := h.snapshotLocked(ids)
				h.mu.Unlock()
				if f, err = snap.frame(); err != nil {
					return
				}
				clear(batch)
				batch = append(batch[:0], f)
			}
			if !write(batch...) {
				return
			}
			clear(batch)
		}
	}
}

func drain(ch chan []byte) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// serveSnapshot answers the current values as JSON, for clients that
// poll: a weak ETag that changes with the values and the upstream state,
// and Cache-Control max-age.
func (h *Handler) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	ids, ok := h.admit(w, r)
	if !ok {
		return
	}
	h.mu.Lock()
	snap := h.snapshotLocked(ids)
	h.mu.Unlock()
	etag := snap.etag()
	hd := w.Header()
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(h.cfg.MaxAge/time.Second)))
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, err := json.Marshal(snap.doc())
	if err != nil {
		refuse(w, http.StatusInternalServerError, "encoding failed")
		return
	}
	hd.Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// etagMatch is If-None-Match's weak comparison.
func etagMatch(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// viewer is one open stream. The hub never blocks on it: an event that
// does not fit in ch is dropped and resync set, and the stream's next
// event is a snapshot.
type viewer struct {
	ids    map[string]bool // nil: every allowed metric
	ch     chan []byte     // encoded events, shared between viewers
	resync atomic.Bool
}

func (v *viewer) wants(id string) bool { return v.ids == nil || v.ids[id] }

func (v *viewer) send(f []byte) {
	select {
	case v.ch <- f:
	default:
		v.resync.Store(true)
	}
}

// snapshot is the board as one viewer may see it.
type snapshot struct {
	h       *Handler
	ids     map[string]bool
	version uint64
	state   string
	now     time.Time
	results []avaya.MetricResult
}

// snapshotLocked takes the board for a viewer; h.mu held, so that the
// snapshot holds exactly the updates up to version.
func (h *Handler) snapshotLocked(ids map[string]bool) *snapshot {
	s := &snapshot{h: h, ids: ids, version: h.version, state: h.state, now: time.Now()}
	for _, r := range h.board.Results() {
		if ids == nil || ids[r.Key.MetricID] {
			s.results = append(s.results, r)
		}
	}
	return s
}

// metricDoc is a metric as the page sees it.
type metricDoc struct {
	ID         string   `json:"id"`
	Label      string   `json:"label"`
	Categories []string `json:"categories,omitempty"`
	Amber      float64  `json:"amber,omitempty"`
	Red        float64  `json:"red,omitempty"`
	Widget     string   `json:"widget,omitempty"`
}

// snapshotDoc is the snapshot event and /snapshot.json.
type snapshotDoc struct {
	Now     int64  `json:"now"` // the server's clock, Unix milliseconds
	Version uint64 `json:"version"`
	State   string `json:"state"`
	Title   string `json:"title"`
	// Heartbeat is the interval of heartbeat events, milliseconds: a
	// stream silent for much longer is dead.
	Heartbeat int64                `json:"heartbeat"`
	Metrics   []metricDoc          `json:"metrics"`
	Values    []avaya.MetricResult `json:"values"`
}

func (s *snapshot) doc() snapshotDoc {
	d := snapshotDoc{Now: s.now.UnixMilli(), Version: s.version, State: s.state, Title: s.h.cfg.Title, Heartbeat: s.h.cfg.Heartbeat.Milliseconds(), Values: s.results}
	if d.Values == nil {
		d.Values = []avaya.MetricResult{}
	}
	s.h.mu.Lock()
	for i := range s.h.cfg.Metrics {
		m := &s.h.cfg.Metrics[i]
		if s.ids == nil || s.ids[m.ID] {
			d.Metrics = append(d.Metrics, metricDoc{ID: m.ID, Label: s.h.label(m), Categories: m.Categories, Amber: m.Amber, Red: m.Red, Widget: m.Widget})
		}
	}
	s.h.mu.Unlock()
	return d
}

func (s *snapshot) frame() ([]byte, error) {
	b, err := json.Marshal(s.doc())
	if err != nil {
		return nil, err
	}
	return event(s.version, "snapshot", b), nil
}

// etag names the values, the state and the selection.
func (s *snapshot) etag() string {
	sel := "all"
	if s.ids != nil {
		ids := make([]string, 0, len(s.ids))
		for id := range s.ids {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		f := fnv.New64a()
		_, _ = f.Write([]byte(strings.Join(ids, ",")))
		sel = strconv.FormatUint(f.Sum64(), 36)
	}
	return fmt.Sprintf(`W/"%d-%s-%s"`, s.version, s.state, sel)
}

// event is one SSE event; data is one line of JSON.
func event(id uint64, name string, data []byte) []byte {
	out := make([]byte, 0, len(data)+48)
	if id > 0 {
		out = append(out, "id: "...)
		out = strconv.AppendUint(out, id, 10)
		out = append(out, '\n')
	}
	out = append(out, "event: "...)
	out = append(out, name...)
	out = append(out, "\ndata: "...)
	out = append(out, data...)
	return append(out, "\n\n"...)
}

func updateFrame(version uint64, now time.Time, r avaya.MetricResult) ([]byte, error) {
	b, err := json.Marshal(struct {
		Now int64 `json:"now"`
		avaya.MetricResult
	}{now.UnixMilli(), r})
	if err != nil {
		return nil, err
	}
	if len(b) > 64<<10 {
		return nil, errors.New("update larger than 64 KiB")
	}
	return event(version, "update", b), nil
}

func stateFrame(now time.Time, state string) []byte {
	return event(0, "state", fmt.Appendf(nil, `{"now":%d,"state":%q}`, now.UnixMilli(), state))
}

func heartbeatFrame(now time.Time) []byte {
	return event(0, "heartbeat", fmt.Appendf(nil, `{"now":%d}`, now.UnixMilli()))
}
