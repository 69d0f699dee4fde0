package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/browsertest"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// wire records every byte the browser sent to the site and got back from
// it, headers included: everything browser-visible on the network.
type wire struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (wr *wire) add(parts ...string) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	for _, p := range parts {
		wr.buf.WriteString(p)
		wr.buf.WriteByte('\n')
	}
}

func (wr *wire) String() string {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return wr.buf.String()
}

type teeWriter struct {
	http.ResponseWriter
	wr *wire
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.wr.add(string(b))
	return t.ResponseWriter.Write(b)
}

func (t *teeWriter) WriteHeader(code int) {
	var h bytes.Buffer
	_ = t.Header().Write(&h)
	t.wr.add(fmt.Sprint(code), h.String())
	t.ResponseWriter.WriteHeader(code)
}

func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

func (wr *wire) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var hdr bytes.Buffer
		_ = r.Header.Write(&hdr)
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		wr.add(r.Method+" "+r.URL.String(), hdr.String(), string(body))
		h.ServeHTTP(&teeWriter{ResponseWriter: w, wr: wr}, r)
	})
}

func newChromium(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t)
}

// tab is one browser tab on the shop page, failing the test on a script
// error or a dialog (an alert would be an XSS).
type tab struct {
	t       *testing.T
	ctx     context.Context
	dialogs atomic.Int32
	mu      sync.Mutex
	errs    []string
}

func openTab(t *testing.T, ctx context.Context) *tab {
	tb := &tab{t: t, ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			tb.dialogs.Add(1)
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(false)) }()
		case *runtime.EventExceptionThrown:
			tb.mu.Lock()
			tb.errs = append(tb.errs, ev.ExceptionDetails.Error())
			tb.mu.Unlock()
		}
	})
	return tb
}

func (tb *tab) run(actions ...chromedp.Action) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Run(browsertest.Timeout(tb.t, tb.ctx, 20*time.Second), actions...))
}

// eval evaluates js (awaiting a promise) into out.
func (tb *tab) eval(js string, out any) {
	tb.t.Helper()
	tb.run(chromedp.Evaluate(js, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
}

// wait polls the page until js is true.
func (tb *tab) wait(js, what string) {
	tb.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var ok bool
		err := chromedp.Run(browsertest.Timeout(tb.t, tb.ctx, 5*time.Second), chromedp.Evaluate("!!("+js+")", &ok))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			browsertest.Screenshot(tb.t, tb.ctx, "timeout")
			tb.t.Fatalf("timed out waiting for %s (%s): %v", what, js, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tb *tab) logTexts() []string {
	tb.t.Helper()
	var out []string
	tb.eval(`[...document.querySelectorAll(".xc-log li")].map(li => li.textContent)`, &out)
	return out
}

func (tb *tab) checkClean() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	assert.Empty(tb.t, tb.errs, "no script errors")
	assert.Zero(tb.t, tb.dialogs.Load(), "no dialog opened (an alert would be an XSS)")
}

// logHas is a JS predicate: some log line contains text.
func logHas(text string) string {
	b, _ := json.Marshal(text)
	return `[...document.querySelectorAll(".xc-log li")].some(li => li.textContent.includes(` + string(b) + `))`
}

func countOf(items []string, sub string) int {
	n := 0
	for _, it := range items {
		if strings.Contains(it, sub) {
			n++
		}
	}
	return n
}

func TestWidgetInBrowser(t *testing.T) {
	ctx := newChromium(t)
	var wr wire
	e := newEnvWrapped(t, wr.wrap)
	tb := openTab(t, ctx)

	tb.run(chromedp.Navigate(e.srv.URL), chromedp.WaitReady("#help", chromedp.ByQuery))
	tb.wait(`window._ximachat && window._ximachat.api`, "the API")
	var skill any
	tb.eval(`_ximachat.api.getSkill()`, &skill)
	assert.Nil(t, skill, "getSkill is undefined until set")
	var hidden bool
	tb.eval(`document.querySelector(".xc-launcher").hidden && document.querySelector(".xc-widget").hidden`, &hidden)
	assert.True(t, hidden, "show widget on page load is off: the page decides (8.7)")

	// 8.1 and 8.2: QueueStates through the callbacks.
	var qs webchat.QueueStates
	tb.eval(`new Promise(r => _ximachat.api.getQueueStatus(r))`, &qs)
	assert.Equal(t, webchattest.DefaultQueueStates(), qs)
	tb.eval(`window.__qs = []; _ximachat.api.subscribeToQueueStatus(q => { window.__qs.push(q); document.getElementById("qs-sub").textContent = JSON.stringify(q); }); true`, nil)
	tb.wait(`window.__qs.length === 1`, "the first subscribed QueueStates")
	e.fake.SetQueueStates(webchat.QueueStates{"Support": {EstimatedWaitTime: 30, ThereAreAgentsLoggedIn: true, ThereAreAgentsReady: true}})
	tb.wait(`window.__qs.length === 2`, "the changed QueueStates")
	var sub []webchat.QueueStates
	tb.eval(`window.__qs`, &sub)
	assert.Equal(t, 30.0, sub[1]["Support"].EstimatedWaitTime)
	assert.True(t, sub[1]["Support"].ThereAreAgentsReady)

	// 8.3, 8.4, 8.5 and 8.6 (the page's own button calls manuallyStartChat).
	tb.eval(`_ximachat.api.setSkill("Support"); _ximachat.api.setCustomParameters([{Name: "Page Title", Value: document.title}, {Name: "Cart", Value: "4711"}]); _ximachat.api.getSkill()`, &skill)
	assert.Equal(t, "Support", skill)
	tb.run(chromedp.Click("#help", chromedp.ByQuery), chromedp.WaitVisible("#xc-name", chromedp.ByQuery))
	tb.wait(`document.querySelector(".xc-hint").textContent === "An agent is ready to chat."`, "the skill's queue in the form")
	browsertest.Screenshot(t, ctx, "form")
	tb.run(chromedp.SendKeys("#xc-name", "Ada Lovelace", chromedp.ByQuery),
		chromedp.SendKeys("#xc-email", "ada@example.com", chromedp.ByQuery),
		chromedp.Click(".xc-form button[type=submit]", chromedp.ByQuery))
	tb.wait(logHas("Estimated wait: Less than a minute"), "the estimated wait")
	tb.wait(logHas(webchattest.FirstAgent+" joined the chat"), "the agent's join")
	tb.wait(logHas("Hello Ada Lovelace, how can I help?"), "the agent's greeting")
	var status string
	tb.eval(`document.querySelector(".xc-status").textContent`, &status)
	assert.Equal(t, webchattest.FirstAgent, status)
	tb.wait(`document.querySelector(".xc-agent-img").src.startsWith("data:image/png;base64,")`, "the agent's picture")

	var id string
	tb.eval(`fetch("/chat/state").then(r => r.json()).then(s => s.chat.id)`, &id)
	rec, ok := e.fake.Session(id)
	require.True(t, ok)
	assert.Equal(t, "Support", rec.Skill, "setSkill reached the service")
	assert.Equal(t, []webchat.CustomInfo{{Name: "Page Title", Value: "Test shop"}, {Name: "Cart", Value: "4711"}}, startInfo(t, e, id))

	// Typing, from the agent and from the user.
	e.fake.Enqueue(id, `{"type":"AGENT_TYPING","isTyping":"True"}`)
	tb.wait(`!document.querySelector(".xc-typing").hidden && document.querySelector(".xc-typing").textContent === "Anna Agent is typing…"`, "agent is typing")
	browsertest.Screenshot(t, ctx, "typing")
	tb.run(chromedp.SendKeys("#xc-text", "Can I send you a screenshot?", chromedp.ByQuery))
	eventually(t, func() bool { r, _ := e.fake.Session(id); return len(r.Typing) > 0 && r.Typing[0] == "true" }, "typing reached the service")
	tb.run(chromedp.SendKeys("#xc-text", "\r", chromedp.ByQuery))
	tb.wait(logHas("You wrote: Can I send you a screenshot?"), "the agent's reply")
	tb.wait(`!document.querySelector(".xc-shot").hidden`, "the screenshot consent prompt")
	eventually(t, func() bool { r, _ := e.fake.Session(id); return r.Focused > 0 }, "focus reached the service")
	browsertest.Screenshot(t, ctx, "screenshot-request")

	// Share a PNG.
	png := filepath.Join(t.TempDir(), "screen.png")
	require.NoError(t, os.WriteFile(png, tinyPNG, 0o600))
	tb.run(chromedp.SetUploadFiles(".xc-file-input", []string{png}, chromedp.ByQuery))
	tb.wait(logHas("You shared a screenshot."), "the shared screenshot")
	rec, _ = e.fake.Session(id)
	require.Len(t, rec.Notified, 1)
	assert.True(t, strings.HasPrefix(rec.Notified[0], "ACCEPTED:"))
	assert.Len(t, rec.Screenshots, 1)

	// Agent text is text.
	xss := `<img src=x onerror=alert(1)>`
	e.fake.Enqueue(id, `{"type":"CHAT_TEXT","text":"<img src=x onerror=alert(1)>"}`)
	tb.wait(logHas(xss), "the XSS attempt, literally")
	var imgs int
	tb.eval(`document.querySelectorAll(".xc-log img").length`, &imgs)
	assert.Zero(t, imgs, "no element made from agent text")
	browsertest.Screenshot(t, ctx, "chat")

	// Reload mid-chat, with agent messages arriving meanwhile: the
	// conversation continues, nothing lost, nothing twice.
	before := tb.logTexts()
	tb.run(chromedp.Reload())
	for i := 1; i <= 3; i++ {
		e.fake.Enqueue(id, fmt.Sprintf(`{"type":"CHAT_TEXT","text":"while you were away %d"}`, i))
	}
	tb.wait(logHas("while you were away 3"), "the messages sent during the reload")
	after := tb.logTexts()
	require.GreaterOrEqual(t, len(after), len(before)+3)
	assert.Equal(t, before, after[:len(before)], "the history survived the reload")
	for i := 1; i <= 3; i++ {
		assert.Equal(t, 1, countOf(after, fmt.Sprintf("while you were away %d", i)), "exactly once")
	}
	assert.Equal(t, 1, countOf(after, "Hello Ada Lovelace"), "no repeats after the reload")
	tb.run(chromedp.SendKeys("#xc-text", "still here after the reload\r", chromedp.ByQuery))
	tb.wait(logHas("You wrote: still here after the reload"), "a reply after the reload")

	// A phone-sized viewport.
	tb.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	browsertest.Screenshot(t, ctx, "phone")
	tb.run(chromedp.EmulateViewport(1280, 900))

	// End the chat: POST /chat/end reaches the service.
	tb.run(chromedp.Click(".xc-end", chromedp.ByQuery))
	tb.wait(logHas("You ended the chat."), "the end")
	eventually(t, func() bool { r, _ := e.fake.Session(id); return r.Ended }, "POST /chat/end at the service")
	browsertest.Screenshot(t, ctx, "ended")

	// The secrets never reached the browser.
	var stored string
	tb.eval(`document.cookie + JSON.stringify(sessionStorage) + document.documentElement.outerHTML`, &stored)
	traffic := wr.String() + stored
	assert.Contains(t, traffic, "Hello Ada Lovelace", "the recorder saw the chat")
	assert.NotContains(t, traffic, e.fake.APIKey, "the API key is never browser-visible")
	assert.NotContains(t, traffic, rec.Cookie, "nor the service's session cookie")
	assert.NotContains(t, traffic, "memory-queue", "nor the queue URL")
	tb.checkClean()
}

// startInfo is the custom chat info the fake got with the start request.
func startInfo(t *testing.T, e *env, id string) []webchat.CustomInfo {
	t.Helper()
	for _, r := range e.fake.Requests() {
		if r.Path == "/chat/apiqueue" {
			var req webchat.StartRequest
			require.NoError(t, json.Unmarshal(r.Body, &req))
			return req.CustomChatInfo
		}
	}
	t.Fatalf("no start request for %s", id)
	return nil
}

// The agent ends the chat: the widget says so and closes the stream.
func TestWidgetAgentEnds(t *testing.T) {
	ctx := newChromium(t)
	e := newEnvWrapped(t, nil)
	tb := openTab(t, ctx)
	tb.run(chromedp.Navigate(e.srv.URL), chromedp.WaitReady("#help", chromedp.ByQuery))
	tb.wait(`window._ximachat && window._ximachat.api`, "the API")
	tb.eval(`_ximachat.api.manuallyStartChat("Sales"); true`, nil)
	tb.run(chromedp.WaitVisible("#xc-name", chromedp.ByQuery),
		chromedp.SendKeys("#xc-name", "Grace", chromedp.ByQuery),
		chromedp.SendKeys("#xc-email", "grace@example.com", chromedp.ByQuery),
		chromedp.Click(".xc-form button[type=submit]", chromedp.ByQuery))
	tb.wait(logHas("Hello Grace"), "the greeting")
	tb.run(chromedp.SendKeys("#xc-text", "bye\r", chromedp.ByQuery))
	tb.wait(logHas("The agent ended the chat."), "the agent's end")
	tb.wait(`document.querySelector(".xc-compose").hidden`, "no more typing")
	var chat any
	tb.eval(`fetch("/chat/state").then(r => r.json()).then(s => s.chat)`, &chat)
	assert.Nil(t, chat, "the bridge forgot the chat")
	tb.checkClean()
}
