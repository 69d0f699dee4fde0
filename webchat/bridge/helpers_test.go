package bridge_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/bridge"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

func TestMain(m *testing.M) {
	// The fake's in-memory queues hide a delivered message for this long
	// (SQS's visibility timeout): longer than an acknowledgement takes on
	// a busy CI machine, short enough for the tests that wait for one.
	webchattest.RedeliverAfter = 300 * time.Millisecond
	goleak.VerifyTestMain(m)
}

var testKey = []byte("0123456789abcdef0123456789abcdef-test-key")

// shopPage is the demo page of the browser tests: the widget from the
// bridge, a page script of its own (no inline script: the CSP forbids it).
const shopPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test shop</title><link rel="stylesheet" href="/shop.css"></head>
<body><main><h1>Test shop</h1><p>Blue kettle, 1.7 l</p><button id="help" type="button">Need help?</button>
<pre id="qs"></pre><pre id="qs-sub"></pre></main>
<script src="/shop.js" defer></script>
<script src="/chat/ximachat.js" data-show-on-load="false" defer></script>
</body></html>`

const shopJS = `document.getElementById("help").addEventListener("click", function () {
  window._ximachat.api.manuallyStartChat();
});`

const shopCSS = `body { font-family: sans-serif; margin: 0; padding: 24px; } main { max-width: 720px; } pre { white-space: pre-wrap; max-width: 55%; }`

// env is a fake chat service, one bridge and a site serving the shop page
// with it at /chat/.
type env struct {
	fake   *webchattest.Server
	client *webchat.Client
	h      *bridge.Handler
	srv    *httptest.Server
}

func baseConfig(t testing.TB, fake *webchattest.Server) bridge.Config {
	t.Helper()
	c, err := webchat.NewClient(fake.URL(), webchat.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond}))
	require.NoError(t, err)
	return bridge.Config{
		Client: c, InstallationID: fake.InstallationID, APIKey: fake.APIKey,
		CookieKeys: [][]byte{testKey}, QueueStatus: fake.QueueStatus(),
		QueueStatusInterval: 200 * time.Millisecond,
		SQS:                 webchat.SQSOptions{WaitTime: 2 * time.Second},
	}
}

// site serves the shop page and the bridge h.
func site(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/chat/", http.StripPrefix("/chat", h))
	static := func(body, ct string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Security-Policy", bridge.ContentSecurityPolicy)
			_, _ = io.WriteString(w, body)
		}
	}
	mux.HandleFunc("GET /{$}", static(shopPage, "text/html; charset=utf-8"))
	mux.HandleFunc("GET /shop.js", static(shopJS, "text/javascript"))
	mux.HandleFunc("GET /shop.css", static(shopCSS, "text/css"))
	return mux
}

func newEnv(t testing.TB, mod func(*bridge.Config)) *env {
	t.Helper()
	return newEnvWith(t, mod, nil)
}

// newEnvWrapped is newEnv with the site behind wrap (a recorder).
func newEnvWrapped(t testing.TB, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	return newEnvWith(t, nil, wrap)
}

func newEnvWith(t testing.TB, mod func(*bridge.Config), wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	fake := webchattest.NewServer()
	t.Cleanup(fake.Close)
	cfg := baseConfig(t, fake)
	if mod != nil {
		mod(&cfg)
	}
	h, err := bridge.New(cfg)
	require.NoError(t, err)
	var handler = site(h)
	if wrap != nil {
		handler = wrap(handler)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = h.Close()
	})
	return &env{fake: fake, client: cfg.Client, h: h, srv: srv}
}

// browser is what the JS client does, in Go.
type browser struct {
	t      testing.TB
	c      *http.Client
	base   string
	origin string
	csrf   string
}

type stateView struct {
	CSRF string `json:"csrf"`
	Chat *struct {
		ID, Name, Skill string
	} `json:"chat"`
	Captcha     bool  `json:"captcha"`
	QueueStatus bool  `json:"queueStatus"`
	Interval    int64 `json:"queueStatusIntervalMs"`
}

func newBrowser(t testing.TB, siteURL string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}, base: siteURL + "/chat", origin: siteURL}
}

func (b *browser) state() stateView {
	b.t.Helper()
	resp, err := b.c.Get(b.base + "/state")
	require.NoError(b.t, err)
	defer resp.Body.Close()
	require.Equal(b.t, http.StatusOK, resp.StatusCode)
	var s stateView
	require.NoError(b.t, json.NewDecoder(resp.Body).Decode(&s))
	b.csrf = s.CSRF
	return s
}

// postRaw sends a POST and returns status and body.
func (b *browser) postRaw(path, contentType string, body []byte, hdr http.Header) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, bytes.NewReader(body))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", b.origin)
	req.Header.Set("X-Ximachat-Csrf", b.csrf)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func (b *browser) post(path string, v any) (int, string) {
	b.t.Helper()
	body, err := json.Marshal(v)
	require.NoError(b.t, err)
	return b.postRaw(path, "application/json", body, nil)
}

func (b *browser) start(name string) string {
	b.t.Helper()
	if b.csrf == "" {
		b.state()
	}
	code, body := b.post("/start", map[string]any{"name": name, "email": "end.user@example.com", "skill": "Sales",
		"customParameters": []map[string]string{{"Name": "Cart", "Value": "4711"}}})
	require.Equal(b.t, http.StatusOK, code, body)
	var out struct{ Chat struct{ ID string } }
	require.NoError(b.t, json.Unmarshal([]byte(body), &out))
	return out.Chat.ID
}

// ack posts one acknowledgement (from the stream's reader: no require).
func (b *browser) ack(token string) {
	if token == "" {
		return
	}
	body, _ := json.Marshal(map[string][]string{"acks": {token}})
	req, err := http.NewRequest(http.MethodPost, b.base+"/ack", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", b.origin)
	req.Header.Set("X-Ximachat-Csrf", b.csrf)
	if resp, err := b.c.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// sseEvent is one event of the stream.
type sseEvent struct {
	ID, Name string
	Data     struct {
		ID, Type, Text, Agent, Image, Wait, Ack string
		Typing, End                             bool
	}
	Raw string
}

// stream is an open GET /events.
type stream struct {
	b       *browser
	resp    *http.Response
	events  chan sseEvent
	cancel  context.CancelFunc
	autoAck bool
	seen    map[string]bool
}

// stream opens GET /events and, as the JS client does, acknowledges every
// event (before the test sees it) and drops repeats by message id.
func (b *browser) stream(lastID string) *stream { return b.openStream(lastID, true) }

// openStream with autoAck false leaves the acknowledging to the test, and
// shows it every delivery, repeats included.
func (b *browser) openStream(lastID string, autoAck bool) *stream {
	b.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/events", nil)
	require.NoError(b.t, err)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	c := *b.c
	c.Timeout = 0
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		require.NoError(b.t, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		b.t.Fatalf("events: %d %s", resp.StatusCode, body)
	}
	s := &stream{b: b, resp: resp, events: make(chan sseEvent, 64), cancel: cancel, autoAck: autoAck, seen: map[string]bool{}}
	go s.read()
	b.t.Cleanup(s.close)
	return s
}

func (s *stream) read() {
	defer close(s.events)
	r := bufio.NewReader(s.resp.Body)
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.Raw != "" {
				_ = json.Unmarshal([]byte(ev.Raw), &ev.Data)
				if s.autoAck {
					s.b.ack(ev.Data.Ack)
					if s.seen[ev.Data.ID] {
						ev = sseEvent{}
						continue
					}
					s.seen[ev.Data.ID] = true
				}
				s.events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Name = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Raw = line[6:]
		}
	}
}

func (s *stream) close() {
	s.cancel()
	s.resp.Body.Close()
	for range s.events { //nolint:revive // drain until the reader stops
	}
}

// next waits for the next event.
func (s *stream) next(t testing.TB) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		require.True(t, ok, "the stream ended")
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// until reads events up to and including the first of type typ.
func (s *stream) until(t testing.TB, typ string) []sseEvent {
	t.Helper()
	var out []sseEvent
	for {
		ev := s.next(t)
		out = append(out, ev)
		if ev.Data.Type == typ {
			return out
		}
	}
}

// eventually polls cond.
func eventually(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for " + what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
