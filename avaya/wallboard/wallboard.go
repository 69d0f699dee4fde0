// Package wallboard shows Avaya Call Reporting realtime metrics in
// browsers: one upstream subscription (avaya.Client.Subscribe) served to
// any number of viewers over Server-Sent Events, a wallboard page, a
// one-line widget for another web site, and a JSON snapshot for clients
// that poll.
//
//	c, _ := avaya.NewClient(baseURL, contactkit.StaticToken(os.Getenv("AVAYA_TOKEN")))
//	h, _ := wallboard.New(c, wallboard.Config{
//		Title: "Support line",
//		Metrics: []wallboard.Metric{
//			{ID: "K0FLAEB6", Label: "Calls in Queue", Amber: 5, Red: 10, Widget: "{value} calls in queue"},
//			{ID: "K1RNV20Q", Label: "Current Wait", Amber: 60, Red: 180, Widget: "Current wait {value}"},
//		},
//		AllowOrigins: []string{"https://www.example.com"}, // the site that embeds the widget
//	})
//	go h.Run(ctx) // the one upstream subscription, until ctx ends
//	mux.Handle("/board/", http.StripPrefix("/board", h))
//
// The handler serves, relative to where it is mounted:
//
//	GET /              the wallboard page (?metrics=A,B for a subset)
//	GET /events        the event stream (text/event-stream; ?metrics=A,B)
//	GET /snapshot.json the current values, with ETag and Cache-Control
//	GET /widget.js     the widget: <script src=".../widget.js" data-metrics="A,B" async></script>
//	GET /client.js, /wallboard.js, /wallboard.css  what the page loads
//
// What a browser may see is what Config allows: the metric ids of
// Config.Metrics and, where set, only their listed category values. A
// viewer may ask for a subset (ids outside the allow-list are ignored; a
// request left with none is answered 403), never for more. The service
// user key stays on the server: browsers talk to this handler only.
//
// Each viewer gets the current board as a snapshot when it connects (and
// again on every reconnect, with or without Last-Event-ID), then each
// change, the upstream's state (connecting, connected, reconnecting,
// stopped) and a heartbeat. Every event carries the server's clock, so
// the page counts DURATION and AVERAGE_DURATION values up each second
// with the documented formulas (avaya.MetricValue.DurationAt and
// AverageDurationAt) on the server's time, whatever the browser's clock
// says. A viewer that falls more than Config.ViewerBuffer events behind
// gets a fresh snapshot instead of the backlog; one whose connection
// takes no bytes for Config.WriteTimeout is dropped. A viewer that goes
// away frees its resources at once.
package wallboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
)

//go:embed static
var static embed.FS

// Metric is one metric that browsers may see, and how they show it.
type Metric struct {
	// ID is the metric id (avaya.Metric.ID).
	ID string
	// Label is the tile's title; empty: the metric's name on the server,
	// or ID.
	Label string
	// Categories, if set, are the only category values of the metric that
	// browsers may see; empty: every one the server sends.
	Categories []string
	// Amber and Red colour a tile when its value is at or above them:
	// the count for COUNT, seconds for DURATION and AVERAGE_DURATION.
	// Zero is unset.
	Amber, Red float64
	// Widget is the metric's phrase in the web-site widget, with {value}
	// where the value goes ("{value} calls in queue", "Current wait
	// {value}"); durations read "about 2 min". Empty: "Label: {value}".
	// When any metric has a phrase, the widget shows only those.
	Widget string
}

// Config is what a Handler serves. Metrics is required; every other
// field has a default.
type Config struct {
	// Title heads the wallboard page ("Wallboard").
	Title string
	// Metrics is the allow-list, in display order.
	Metrics []Metric
	// AllowOrigins are the origins ("https://www.example.com") whose pages
	// may read /events and /snapshot.json (CORS): the sites that embed the
	// widget. "*" allows any origin. A cross-origin request from another
	// origin is answered 403.
	AllowOrigins []string
	// Heartbeat is how often an idle stream carries an event, so proxies
	// keep it open and the page notices a dead one (15 s).
	Heartbeat time.Duration
	// ViewerBuffer is how many events may wait for one viewer before it
	// is sent a snapshot instead (64).
	ViewerBuffer int
	// Reconnect is how long a browser waits before reopening a broken
	// stream (2 s); it then gets a fresh snapshot.
	Reconnect time.Duration
	// WriteTimeout drops a viewer whose connection takes no bytes for
	// this long (10 s).
	WriteTimeout time.Duration
	// MaxViewers bounds the open streams; more are answered 503 (10,000).
	MaxViewers int
	// MaxAge is the Cache-Control max-age of /snapshot.json (2 s).
	MaxAge time.Duration
	// Subscribe tunes the upstream subscription; its OnState, if set, is
	// called too.
	Subscribe avaya.SubscribeOptions
	// Logger gets the upstream's errors (slog.Default()).
	Logger *slog.Logger
}

// The states a viewer sees.
const (
	StateConnecting   = "connecting"   // Run has not connected yet
	StateConnected    = "connected"    // the subscription is up
	StateReconnecting = "reconnecting" // the subscription was lost and is being redialled
	StateStopped      = "stopped"      // Run has ended
)

// Handler serves one upstream subscription to browsers. Create it with
// New, start the subscription with Run; it is an http.Handler.
type Handler struct {
	c       *avaya.Client
	cfg     Config
	ids     []string
	allowed map[string]*Metric
	board   *avaya.Board
	log     *slog.Logger
	mux     *http.ServeMux
	widget  []byte // client.js + widget.js

	mu      sync.Mutex
	viewers map[*viewer]struct{}
	state   string
	version uint64
	labels  map[string]string // names from the server
	running bool
	done    chan struct{} // closed when Run ends
}

// New checks cfg and returns a handler for the metrics it allows, read
// through c. Nothing is dialled before Run.
func New(c *avaya.Client, cfg Config) (*Handler, error) {
	if c == nil {
		return nil, &contactkit.ValidationError{Field: "client", Reason: "is nil"}
	}
	if len(cfg.Metrics) == 0 {
		return nil, &contactkit.ValidationError{Field: "Metrics", Reason: "at least one metric is required"}
	}
	h := &Handler{
		c: c, cfg: cfg, allowed: map[string]*Metric{}, board: avaya.NewBoard(),
		viewers: map[*viewer]struct{}{}, state: StateConnecting, labels: map[string]string{}, done: make(chan struct{}),
	}
	h.cfg.Metrics = slices.Clone(cfg.Metrics)
	for i := range h.cfg.Metrics {
		m := &h.cfg.Metrics[i]
		switch {
		case strings.TrimSpace(m.ID) == "" || strings.ContainsAny(m.ID, ", "):
			return nil, &contactkit.ValidationError{Field: "Metrics.ID", Reason: fmt.Sprintf("%q is not a metric id", m.ID)}
		case h.allowed[m.ID] != nil:
			return nil, &contactkit.ValidationError{Field: "Metrics.ID", Reason: fmt.Sprintf("%q is listed twice", m.ID)}
		case m.Amber < 0 || m.Red < 0 || (m.Amber > 0 && m.Red > 0 && m.Red < m.Amber):
			return nil, &contactkit.ValidationError{Field: "Metrics.Red", Reason: fmt.Sprintf("thresholds of %s must be positive, red at or above amber", m.ID)}
		}
		m.Categories = slices.Clone(m.Categories)
		h.allowed[m.ID] = m
		h.ids = append(h.ids, m.ID)
	}
	for _, o := range cfg.AllowOrigins {
		if o != "*" && (!strings.Contains(o, "://") || strings.HasSuffix(o, "/")) {
			return nil, &contactkit.ValidationError{Field: "AllowOrigins", Reason: fmt.Sprintf("%q is not an origin (scheme://host[:port])", o)}
		}
	}
	h.cfg.AllowOrigins = slices.Clone(cfg.AllowOrigins)
	if h.cfg.Title == "" {
		h.cfg.Title = "Wallboard"
	}
	if h.cfg.Heartbeat <= 0 {
		h.cfg.Heartbeat = 15 * time.Second
	}
	if h.cfg.ViewerBuffer <= 0 {
		h.cfg.ViewerBuffer = 64
	}
	if h.cfg.Reconnect <= 0 {
		h.cfg.Reconnect = 2 * time.Second
	}
	if h.cfg.WriteTimeout <= 0 {
		h.cfg.WriteTimeout = 10 * time.Second
	}
	if h.cfg.MaxViewers <= 0 {
		h.cfg.MaxViewers = 10_000
	}
	if h.cfg.MaxAge <= 0 {
		h.cfg.MaxAge = 2 * time.Second
	}
	h.log = cfg.Logger
	if h.log == nil {
		h.log = slog.Default()
	}
	client, _ := static.ReadFile("static/client.js")
	widget, _ := static.ReadFile("static/widget.js")
	h.widget = append(append(client, '\n'), widget...)
	h.routes()
	return h, nil
}

// Run subscribes to the allowed metrics and serves the updates to every
// viewer until ctx ends or the subscription is refused (a rejected
// handshake: a bad key, metrics not assigned to the service user); it
// returns ctx's error or that one. A lost connection is redialled as
// avaya.Client.Subscribe does; viewers see "reconnecting" meanwhile. When
// Run returns, every open stream ends and new ones are answered 503, so
// an http.Server's Shutdown is not held up by them. Run may be called
// once.
func (h *Handler) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		return errors.New("contactkit: wallboard: Run called twice")
	}
	h.running = true
	h.mu.Unlock()
	defer h.stop()

	// The servers' metric names label the tiles; without them the ids do.
	mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if ms, err := h.c.Metrics(mctx); err == nil {
		h.mu.Lock()
		for _, m := range ms {
			h.labels[m.ID] = m.Name
		}
		h.mu.Unlock()
	} else if ctx.Err() == nil {
		h.log.Warn("wallboard: metric names", "err", err)
	}
	cancel()

	var wg sync.WaitGroup
	hbCtx, stopHB := context.WithCancel(ctx)
	wg.Go(func() { h.heartbeats(hbCtx) })
	defer func() {
		stopHB()
		wg.Wait()
	}()

	opts := h.cfg.Subscribe
	user := opts.OnState
	seen := false
	opts.OnState = func(s avaya.ConnState, err error) {
		switch {
		case s == avaya.Connected:
			seen = true
			h.setState(StateConnected)
		case s == avaya.Disconnected || seen:
			if err != nil {
				h.log.Warn("wallboard: upstream", "state", s.String(), "err", err)
			}
			h.setState(StateReconnecting)
		}
		if user != nil {
			user(s, err)
		}
	}
	err := h.c.SubscribeFunc(ctx, h.ids, opts, func(u avaya.Update) error {
		h.apply(u.MetricResult)
		return nil
	})
	if ctx.Err() == nil {
		h.log.Error("wallboard: subscription ended", "err", err)
	}
	return err
}

// stop ends every stream: Run is over.
func (h *Handler) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state = StateStopped
	close(h.done)
}

// Viewers is the number of open event streams.
func (h *Handler) Viewers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.viewers)
}

// State is the upstream's state, as viewers see it (StateConnecting ...).
func (h *Handler) State() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

// allows reports whether a key may reach browsers.
func (h *Handler) allows(k avaya.MetricKey) bool {
	m := h.allowed[k.MetricID]
	if m == nil {
		return false
	}
	return len(m.Categories) == 0 || slices.Contains(m.Categories, k.CategoryValue)
}

// apply stores an allowed update on the board and sends it to the viewers
// that asked for its metric.
func (h *Handler) apply(r avaya.MetricResult) {
	if !h.allows(r.Key) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.board.Apply(r) {
		return
	}
	h.version++
	f, err := updateFrame(h.version, time.Now(), r)
	if err != nil {
		h.log.Warn("wallboard: encode update", "key", r.Key.String(), "err", err)
		return
	}
	for v := range h.viewers {
		if v.wants(r.Key.MetricID) {
			v.send(f)
		}
	}
}

// setState tells every viewer about an upstream change.
func (h *Handler) setState(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == s {
		return
	}
	h.state = s
	f := stateFrame(time.Now(), s)
	for v := range h.viewers {
		v.send(f)
	}
}

// heartbeats sends every viewer the server's clock every Heartbeat.
func (h *Handler) heartbeats(ctx context.Context) {
	t := time.NewTicker(h.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			f := heartbeatFrame(now)
			h.mu.Lock()
			for v := range h.viewers {
				v.send(f)
			}
			h.mu.Unlock()
		}
	}
}

// label is what a tile is titled.
func (h *Handler) label(m *Metric) string {
	if m.Label != "" {
		return m.Label
	}
	if n := h.labels[m.ID]; n != "" {
		return n
	}
	return m.ID
}
