package bridge_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/bridge"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

var tinyPNG, _ = base64.StdEncoding.DecodeString(webchattest.AgentImage)

// The whole chat through the bridge as the JS client speaks it.
func TestChatThroughBridge(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	s := b.state()
	assert.Nil(t, s.Chat)
	assert.False(t, s.Captcha, "the bridge has the API key")
	assert.True(t, s.QueueStatus)

	id := b.start("End User")
	rec, ok := e.fake.Session(id)
	require.True(t, ok)
	assert.Equal(t, "Sales", rec.Skill)
	assert.Equal(t, "End User", rec.Name)
	assert.Equal(t, id, b.state().Chat.ID, "the cookie knows the chat")

	st := b.stream("")
	evs := st.until(t, "CHAT_TEXT")
	types := make([]string, 0, len(evs))
	for _, ev := range evs {
		types = append(types, ev.Data.Type)
		assert.NotEmpty(t, ev.Data.ID, "every event has the queue's message id")
		assert.Equal(t, ev.ID, ev.Data.Ack, "the event id is the acknowledgement")
	}
	assert.Equal(t, []string{"ESTIMATED_WAIT_TIME", "CHAT_STARTED", "AGENT_TYPING", "CHAT_TEXT"}, types)
	assert.Equal(t, "Less than a minute", evs[0].Data.Wait)
	assert.Equal(t, webchattest.FirstAgent, evs[1].Data.Agent)
	assert.True(t, strings.HasPrefix(evs[1].Data.Image, "data:image/png;base64,"), evs[1].Data.Image)
	assert.True(t, evs[2].Data.Typing)
	assert.Equal(t, "Hello End User, how can I help?", evs[3].Data.Text)

	code, body := b.post("/typing", map[string]bool{"typing": true})
	assert.Equal(t, http.StatusNoContent, code, body)
	code, body = b.post("/focus", nil)
	assert.Equal(t, http.StatusNoContent, code, body)
	code, body = b.post("/send", map[string]string{"text": "a screenshot, please"})
	require.Equal(t, http.StatusNoContent, code, body)
	st.until(t, "TAKE_SCREENSHOT")
	code, body = b.postRaw("/screenshot", "image/png", tinyPNG, nil)
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"uuid"`)
	code, body = b.post("/screenshot/reject", nil)
	assert.Equal(t, http.StatusNoContent, code, body)

	code, body = b.post("/send", map[string]string{"text": "bye"})
	require.Equal(t, http.StatusNoContent, code, body)
	evs = st.until(t, "CHAT_ENDED")
	assert.True(t, evs[len(evs)-1].Data.End)
	_, open := <-st.events
	assert.False(t, open, "the stream closes after a terminal message")
	code, body = b.post("/end", map[string]bool{"byAgent": true})
	assert.Equal(t, http.StatusNoContent, code, body)
	assert.Nil(t, b.state().Chat, "the chat is forgotten")

	rec, _ = e.fake.Session(id)
	assert.Equal(t, []string{"a screenshot, please", "bye"}, rec.Messages)
	assert.Equal(t, []string{"true"}, rec.Typing)
	assert.Equal(t, 1, rec.Focused)
	require.Len(t, rec.Notified, 2)
	assert.True(t, strings.HasPrefix(rec.Notified[0], "ACCEPTED:"))
	assert.Equal(t, "REJECTED", rec.Notified[1])
	eventually(t, func() bool { return e.h.Active() == 0 }, "no stream left")
}

func TestEndByUserReachesService(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	id := b.start("Quitter")
	code, body := b.post("/end", nil)
	require.Equal(t, http.StatusNoContent, code, body)
	rec, _ := e.fake.Session(id)
	assert.True(t, rec.Ended, "POST /chat/end reached the service with the session's cookie")
	code, body = b.post("/send", map[string]string{"text": "still there?"})
	assert.Equal(t, http.StatusConflict, code)
	assert.JSONEq(t, `{"status":409,"error":"no chat is running in this browser"}`, body)
	code, _ = b.post("/end", nil)
	assert.Equal(t, http.StatusNoContent, code, "ending twice is fine")
}

func TestCSRFAndOrigin(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.AllowedOrigins = []string{"https://shop.example"} })
	b := newBrowser(t, e.srv.URL)
	b.state()
	body := []byte(`{"name":"Eve","email":"eve@example.com"}`)
	cases := []struct {
		name string
		hdr  http.Header
		want string
	}{
		{"no token", http.Header{"X-Ximachat-Csrf": {""}}, "CSRF"},
		{"wrong token", http.Header{"X-Ximachat-Csrf": {"forged"}}, "CSRF"},
		{"no origin", http.Header{"Origin": {""}}, "Origin"},
		{"other origin", http.Header{"Origin": {"https://evil.example"}}, "Origin"},
	}
	for _, c := range cases {
		code, resp := b.postRaw("/start", "application/json", body, c.hdr)
		assert.Equal(t, http.StatusForbidden, code, c.name)
		assert.Contains(t, resp, c.want, c.name)
		assert.Contains(t, resp, `"status":403`, c.name)
	}
	code, resp := b.postRaw("/start", "application/json", body, http.Header{"Origin": {"https://shop.example"}})
	assert.Equal(t, http.StatusOK, code, "an allowed origin: %s", resp)

	// Another browser's token does not go with this cookie.
	other := newBrowser(t, e.srv.URL)
	other.state()
	other.csrf = b.csrf
	code, _ = other.post("/send", map[string]string{"text": "hi"})
	assert.Equal(t, http.StatusForbidden, code, "the token is bound to its cookie")

	// No cookie at all.
	nobody := newBrowser(t, e.srv.URL)
	nobody.csrf = "x"
	code, resp = nobody.post("/send", map[string]string{"text": "hi"})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, resp, "GET state first")
}

func TestLimits(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.MaxMessageBytes = 10; c.MaxUploadBytes = 1000 })
	b := newBrowser(t, e.srv.URL)
	b.start("Limits")

	code, body := b.post("/send", map[string]string{"text": strings.Repeat("x", 11)})
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.JSONEq(t, `{"status":413,"error":"text is over 10 bytes"}`, body)
	code, body = b.postRaw("/send", "application/json", []byte(`{"text":"`+strings.Repeat("x", 70<<10)+`"}`), nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code, body)
	code, body = b.postRaw("/screenshot", "image/png", append(append([]byte{}, tinyPNG...), make([]byte, 1000)...), nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code, body)
	code, body = b.postRaw("/screenshot", "image/png", []byte("GIF89a not a png"), nil)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "PNG")
	code, body = b.postRaw("/screenshot", "image/gif", tinyPNG, nil)
	assert.Equal(t, http.StatusUnsupportedMediaType, code, body)
	code, body = b.postRaw("/send", "application/json", []byte(`{"text":"hi","extra":1}`), nil)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "malformed JSON body")
	code, body = b.post("/send", map[string]string{"text": "  "})
	assert.Equal(t, http.StatusBadRequest, code, body)
	code, body = b.post("/start", map[string]string{"name": "", "email": "x@example.com"})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "name is required")
	code, body = b.post("/start", map[string]string{"name": "A", "email": "not an address"})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "email")
	code, body = b.post("/start", map[string]string{"name": "A", "email": "a@example.com"})
	assert.Equal(t, http.StatusConflict, code, "one chat per browser: %s", body)
}

// A body cut short is a clear 400, not a hang and not a 413.
func TestBodyCutShort(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	b.start("Short")
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	u, _ := http.NewRequest(http.MethodGet, e.srv.URL, nil)
	var cookie string
	for _, c := range b.c.Jar.Cookies(u.URL) {
		cookie = c.Name + "=" + c.Value
	}
	_, err = fmt.Fprintf(conn, "POST /chat/send HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nCookie: %s\r\nX-Ximachat-Csrf: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":\"hal",
		strings.TrimPrefix(e.srv.URL, "http://"), e.srv.URL, cookie, b.csrf)
	require.NoError(t, err)
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	resp := string(buf[:n])
	assert.Contains(t, resp, "400 Bad Request")
	assert.Contains(t, resp, "request body incomplete")
}

func TestRateLimitPerBrowser(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.RateLimit, c.RateBurst = 1, 3 })
	b := newBrowser(t, e.srv.URL)
	b.state()
	var codes []int
	for range 5 {
		code, body := b.post("/typing", map[string]bool{"typing": true})
		codes = append(codes, code)
		if code == http.StatusTooManyRequests {
			assert.Contains(t, body, "too many requests")
		}
	}
	assert.Contains(t, codes, http.StatusTooManyRequests)
	other := newBrowser(t, e.srv.URL)
	other.state()
	code, _ := other.post("/typing", map[string]bool{"typing": true})
	assert.Equal(t, http.StatusConflict, code, "another browser has its own budget (and no chat)")
}

func TestStartLimitPerBrowser(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.StartBurst = 1 })
	b := newBrowser(t, e.srv.URL)
	b.start("One")
	code, _ := b.post("/end", nil)
	require.Equal(t, http.StatusNoContent, code)
	code, body := b.post("/start", map[string]string{"name": "Two", "email": "two@example.com"})
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.Contains(t, body, "too many chats")
}

// The cookie carries the chat, sealed: no session id, no queue, no
// service cookie in clear; a tampered cookie is a new browser; a rotated
// key still opens old cookies, which are re-sealed with the new one.
func TestCookieSealedAndRotated(t *testing.T) {
	fake := webchattest.NewServer()
	defer fake.Close()
	oldKey := []byte(strings.Repeat("o", 32))
	newKey := []byte(strings.Repeat("n", 40))
	mk := func(keys ...[]byte) *bridge.Handler {
		cfg := baseConfig(t, fake)
		cfg.CookieKeys = keys
		h, err := bridge.New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = h.Close() })
		return h
	}
	oldSite := newSiteServer(t, mk(oldKey))
	b := newBrowser(t, oldSite.URL)
	id := b.start("Rotated")
	raw := cookieValue(t, b, oldSite.URL)
	assert.NotContains(t, raw, id)
	rec, _ := fake.Session(id)
	assert.NotContains(t, raw, rec.Cookie)

	// The same browser, now talking to an instance with the new key first.
	newSite := newSiteServer(t, mk(newKey, oldKey))
	moved := &browser{t: t, c: b.c, base: newSite.URL + "/chat", origin: newSite.URL}
	setCookie(t, b, newSite.URL, raw)
	s := moved.state()
	require.NotNil(t, s.Chat, "the old key still opens it")
	assert.Equal(t, id, s.Chat.ID)
	resealed := cookieValue(t, b, newSite.URL)
	assert.NotEqual(t, raw, resealed, "re-sealed with the new key")

	onlyNew := newSiteServer(t, mk(newKey))
	setCookie(t, b, onlyNew.URL, resealed)
	nb := &browser{t: t, c: b.c, base: onlyNew.URL + "/chat", origin: onlyNew.URL}
	require.NotNil(t, nb.state().Chat, "the new key alone opens the re-sealed cookie")

	setCookie(t, b, onlyNew.URL, raw)
	assert.Nil(t, nb.state().Chat, "a cookie of a retired key is a new browser")
	setCookie(t, b, onlyNew.URL, resealed[:len(resealed)-2]+"AA")
	assert.Nil(t, nb.state().Chat, "a tampered cookie is a new browser")
}

func newSiteServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(site(h))
	t.Cleanup(srv.Close)
	return srv
}

func cookieValue(t *testing.T, b *browser, siteURL string) string {
	t.Helper()
	u, _ := http.NewRequest(http.MethodGet, siteURL+"/chat/", nil)
	for _, c := range b.c.Jar.Cookies(u.URL) {
		if c.Name == "ximachat" {
			return c.Value
		}
	}
	t.Fatal("no ximachat cookie")
	return ""
}

func setCookie(t *testing.T, b *browser, siteURL, v string) {
	t.Helper()
	u, _ := http.NewRequest(http.MethodGet, siteURL+"/chat/", nil)
	b.c.Jar.SetCookies(u.URL, []*http.Cookie{{Name: "ximachat", Value: v, Path: "/"}})
}

func TestNewValidates(t *testing.T) {
	fake := webchattest.NewServer()
	defer fake.Close()
	for name, mod := range map[string]func(*bridge.Config){
		"Client":         func(c *bridge.Config) { c.Client = nil },
		"InstallationID": func(c *bridge.Config) { c.InstallationID = " " },
		"CookieKeys":     func(c *bridge.Config) { c.CookieKeys = nil },
		"short key":      func(c *bridge.Config) { c.CookieKeys = [][]byte{[]byte("short")} },
		"AllowedOrigins": func(c *bridge.Config) { c.AllowedOrigins = []string{"shop.example/path"} },
	} {
		cfg := baseConfig(t, fake)
		mod(&cfg)
		_, err := bridge.New(cfg)
		var ve *contactkit.ValidationError
		assert.True(t, errors.As(err, &ve), "%s: %v", name, err)
	}
}

// QueueStates are fetched once per interval however many browsers ask.
func TestQueueStatusSharedPoll(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.QueueStatusInterval = time.Hour })
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			b := newBrowser(t, e.srv.URL)
			resp, err := b.c.Get(b.base + "/queue-status")
			if assert.NoError(t, err) {
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, e.fake.QueueStatusPolls())

	b := newBrowser(t, e.srv.URL)
	resp, err := b.c.Get(b.base + "/queue-status")
	require.NoError(t, err)
	defer resp.Body.Close()
	var qs webchat.QueueStates
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&qs))
	assert.Equal(t, webchattest.DefaultQueueStates(), qs)
}

func TestQueueStatusNotConfigured(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.QueueStatus = nil })
	b := newBrowser(t, e.srv.URL)
	assert.False(t, b.state().QueueStatus)
	resp, err := b.c.Get(b.base + "/queue-status")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestQueueStatusFailureServesLastGood(t *testing.T) {
	var fail bool
	var mu sync.Mutex
	e := newEnv(t, func(c *bridge.Config) {
		c.QueueStatusInterval = time.Millisecond
		c.QueueStatus = webchat.QueueStatusFunc(func(_ context.Context) (webchat.QueueStates, error) {
			mu.Lock()
			defer mu.Unlock()
			if fail {
				return nil, errors.New("down")
			}
			return webchat.QueueStates{"Sales": {ThereAreAgentsReady: true}}, nil
		})
	})
	get := func() (int, string) {
		b := newBrowser(t, e.srv.URL)
		resp, err := b.c.Get(b.base + "/queue-status")
		require.NoError(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	code, body := get()
	require.Equal(t, http.StatusOK, code)
	mu.Lock()
	fail = true
	mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	code2, body2 := get()
	assert.Equal(t, http.StatusOK, code2)
	assert.Equal(t, body, body2, "the last good answer")
}

// The keep-alive goes out while the stream is open; a browser that leaves
// (no stream for LeaveAfter) gets its chat ended.
func TestKeepAliveAndLeave(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) {
		c.KeepAlive = 20 * time.Millisecond
		c.LeaveAfter = 150 * time.Millisecond
	})
	b := newBrowser(t, e.srv.URL)
	id := b.start("Leaver")
	st := b.stream("")
	eventually(t, func() bool { rec, _ := e.fake.Session(id); return rec.StillHere >= 3 }, "still-here while connected")

	// A reload: the stream closes and a new one opens in time.
	st.close()
	time.Sleep(50 * time.Millisecond)
	st = b.stream("")
	time.Sleep(250 * time.Millisecond)
	rec, _ := e.fake.Session(id)
	assert.False(t, rec.Ended, "a browser that came back keeps its chat")

	st.close()
	eventually(t, func() bool { rec, _ := e.fake.Session(id); return rec.Ended }, "the chat ended after the browser left")
	n := func() int { rec, _ := e.fake.Session(id); return rec.StillHere }
	before := n()
	time.Sleep(80 * time.Millisecond)
	assert.Equal(t, before, n(), "no keep-alive without a browser")
	assert.Equal(t, 0, e.h.Active())
}

// A message is deleted only when acknowledged: one the browser never
// acknowledged comes again, the one a reconnect names in Last-Event-ID
// (acknowledged by that) does not, and an acknowledgement of another
// browser is refused.
func TestAcknowledgements(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	b.start("Acker")
	st := b.openStream("", false)
	evs := st.until(t, "AGENT_TYPING")
	st.close()
	typing := evs[len(evs)-1]
	assert.Equal(t, typing.ID, typing.Data.Ack, "the event id is the acknowledgement")

	// Reconnect naming the typing event: it is acknowledged and never
	// comes again; the others were not and do.
	st = b.openStream(typing.ID, false)
	var sawText, sawWaitAgain bool
	for !sawText || !sawWaitAgain {
		ev := st.next(t)
		assert.NotEqual(t, typing.Data.ID, ev.Data.ID, "the acknowledged message does not come again")
		sawText = sawText || ev.Data.Type == "CHAT_TEXT"
		sawWaitAgain = sawWaitAgain || ev.Data.ID == evs[0].Data.ID // an unacknowledged message comes again, with its id
	}
	st.close()

	other := newBrowser(t, e.srv.URL)
	other.state()
	code, body := other.post("/ack", map[string][]string{"acks": {evs[0].Data.Ack}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "not a token of this browser")
	code, _ = b.post("/ack", map[string][]string{"acks": {}})
	assert.Equal(t, http.StatusBadRequest, code)

	// Acknowledged, it stays deleted.
	code, body = b.post("/ack", map[string][]string{"acks": {evs[0].Data.Ack, evs[1].Data.Ack}})
	assert.Equal(t, http.StatusNoContent, code, body)
}

// Close stops the streams without ending the chats (a rolling restart)
// and later requests are refused.
func TestCloseKeepsChats(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	id := b.start("Restart")
	st := b.stream("")
	st.next(t)
	require.NoError(t, e.h.Close())
	for range st.events { //nolint:revive // drain: the stream ends
	}
	rec, _ := e.fake.Session(id)
	assert.False(t, rec.Ended)
	code, body := b.post("/send", map[string]string{"text": "hello?"})
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "shutting down")
	assert.Equal(t, 0, e.h.Active())
}

// The service's refusal of the API key is the bridge's problem, not the
// browser's: a 502 that names no key.
func TestServiceErrorsAreGeneric(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.APIKey = "wrong-key-not-for-browsers" })
	b := newBrowser(t, e.srv.URL)
	b.state()
	code, body := b.post("/start", map[string]string{"name": "A", "email": "a@example.com"})
	assert.Equal(t, http.StatusBadGateway, code)
	assert.JSONEq(t, `{"status":502,"error":"the chat service failed to start"}`, body)
}

func TestCaptchaMode(t *testing.T) {
	var seen string
	e := newEnv(t, func(c *bridge.Config) {
		c.APIKey = ""
		c.VerifyCaptcha = func(_ context.Context, token string, _ *http.Request) error {
			seen = token
			if token == "bad" {
				return errors.New("no")
			}
			return nil
		}
	})
	b := newBrowser(t, e.srv.URL)
	assert.True(t, b.state().Captcha)
	code, body := b.post("/start", map[string]string{"name": "A", "email": "a@example.com"})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "captchaToken")
	code, _ = b.post("/start", map[string]string{"name": "A", "email": "a@example.com", "captchaToken": "bad"})
	assert.Equal(t, http.StatusForbidden, code)
	code, body = b.post("/start", map[string]string{"name": "A", "email": "a@example.com", "captchaToken": "good-token"})
	assert.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, "good-token", seen)
}

func TestUnknownRouteAndPanicsAreJSON(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Get(e.srv.URL + "/chat/nope")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
}

// The server NewHTTPServer returns cuts off a client that sends its
// headers too slowly and one that idles, and keeps a stream going past
// the read timeout.
func TestHTTPServerTimeouts(t *testing.T) {
	e := newEnv(t, nil)
	srv := bridge.NewHTTPServer("127.0.0.1:0", site(e.h))
	assert.Equal(t, bridge.ReadHeaderTimeout, srv.ReadHeaderTimeout)
	assert.Equal(t, bridge.IdleTimeout, srv.IdleTimeout)
	assert.Zero(t, srv.WriteTimeout, "no write timeout: it would cut the streams")
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout = 100*time.Millisecond, 300*time.Millisecond, 100*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	addr := ln.Addr().String()

	slow, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer slow.Close()
	_, _ = slow.Write([]byte("GET /chat/state HTTP/1.1\r\nHost: x\r\n")) // and never the end of the headers
	require.NoError(t, slow.SetReadDeadline(time.Now().Add(3*time.Second)))
	start := time.Now()
	_, err = io.ReadAll(slow)
	assert.NoError(t, err, "the server closed the connection")
	assert.Less(t, time.Since(start), 2*time.Second)

	idle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer idle.Close()
	require.NoError(t, idle.SetReadDeadline(time.Now().Add(3*time.Second)))
	start = time.Now()
	_, err = io.ReadAll(idle)
	assert.NoError(t, err, "an idle connection is closed")
	assert.Less(t, time.Since(start), 2*time.Second)

	// A stream outlives ReadTimeout.
	b := newBrowser(t, "http://"+addr)
	b.start("Long stream")
	st := b.stream("")
	st.until(t, "CHAT_TEXT")
	time.Sleep(400 * time.Millisecond)
	code, body := b.post("/send", map[string]string{"text": "after the read timeout"})
	require.Equal(t, http.StatusNoContent, code, body)
	ev := st.until(t, "CHAT_TEXT")
	assert.Equal(t, "You wrote: after the read timeout", ev[len(ev)-1].Data.Text)
}

// A browser whose chat ended while it was away (here: on the service,
// behind the bridge's back) starts afresh.
func TestStateForgetsEndedChat(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	id := b.start("Away")
	require.NotNil(t, b.state().Chat)
	rec, _ := e.fake.Session(id)
	chat, err := e.client.ResumeChat(rec.Session, []*http.Cookie{{Name: webchattest.CookieName, Value: rec.Cookie}})
	require.NoError(t, err)
	require.NoError(t, chat.End(context.Background()))
	assert.Nil(t, b.state().Chat)
	b.start("Back again")
}
