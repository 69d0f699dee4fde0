package bridge_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/browsertest"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/bridge"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// instance is one bridge behind the proxy.
type instance struct {
	h     *bridge.Handler
	srv   *httptest.Server
	proxy *httputil.ReverseProxy
	alive atomic.Bool
	mu    sync.Mutex
	seen  []string // "METHOD /path" of what it served
}

func (in *instance) served() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.seen...)
}

// kill closes the instance as a crash would: the proxy stops sending to
// it, its streams break mid-conversation, its server goes away.
func (in *instance) kill() {
	in.alive.Store(false)
	in.srv.CloseClientConnections()
	_ = in.h.Close()
	in.srv.Close()
}

// roundRobin is a load balancer without stickiness: every request goes to
// the next live instance.
type roundRobin struct {
	ins  []*instance
	next atomic.Uint64
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for range len(rr.ins) {
		in := rr.ins[rr.next.Add(1)%uint64(len(rr.ins))]
		if !in.alive.Load() {
			continue
		}
		in.mu.Lock()
		in.seen = append(in.seen, r.Method+" "+r.URL.Path)
		in.mu.Unlock()
		in.proxy.ServeHTTP(w, r)
		return
	}
	http.Error(w, "no live instance", http.StatusBadGateway)
}

// cluster starts n bridges with the same keys on one fake, behind a
// round-robin proxy.
func cluster(t *testing.T, fake *webchattest.Server, n int, mod func(*bridge.Config)) (*httptest.Server, []*instance) {
	t.Helper()
	rr := &roundRobin{}
	for range n {
		cfg := baseConfig(t, fake)
		if mod != nil {
			mod(&cfg)
		}
		h, err := bridge.New(cfg)
		require.NoError(t, err)
		in := &instance{h: h, srv: httptest.NewServer(site(h))}
		target, _ := url.Parse(in.srv.URL)
		in.proxy = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				pr.Out.Host = pr.In.Host // the site's own host, as a load balancer keeps it
			},
			FlushInterval: -1,
			ErrorLog:      log.New(io.Discard, "", 0), // a killed instance's streams break: expected
			ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
				w.WriteHeader(http.StatusBadGateway)
			},
		}
		in.alive.Store(true)
		t.Cleanup(func() {
			if in.alive.Load() {
				in.srv.CloseClientConnections()
				_ = in.h.Close()
				in.srv.Close()
			}
		})
		rr.ins = append(rr.ins, in)
	}
	front := httptest.NewServer(rr)
	t.Cleanup(func() {
		front.CloseClientConnections()
		front.Close()
	})
	return front, rr.ins
}

func startInPage(tb *tab, siteURL, name string) string {
	tb.t.Helper()
	tb.run(chromedp.Navigate(siteURL), chromedp.WaitReady("#help", chromedp.ByQuery))
	tb.wait(`window._ximachat && window._ximachat.api`, "the API")
	tb.eval(`_ximachat.api.manuallyStartChat("Sales"); true`, nil)
	tb.run(chromedp.WaitVisible("#xc-name", chromedp.ByQuery),
		chromedp.SendKeys("#xc-name", name, chromedp.ByQuery),
		chromedp.SendKeys("#xc-email", "someone@example.com", chromedp.ByQuery),
		chromedp.Click(".xc-form button[type=submit]", chromedp.ByQuery))
	tb.wait(logHas("Hello "+name+", how can I help?"), "the greeting")
	var id string
	tb.eval(`fetch("/chat/state").then(r => r.json()).then(s => s.chat.id)`, &id)
	return id
}

// Two instances, no shared store, no stickiness: the chat works with its
// requests alternating between them, a reload included.
func TestTwoInstancesRoundRobin(t *testing.T) {
	ctx := newChromium(t)
	fake := webchattest.NewServer()
	defer fake.Close()
	front, ins := cluster(t, fake, 2, nil)
	tb := openTab(t, ctx)
	id := startInPage(tb, front.URL, "Rolf Robin")

	for i := 1; i <= 4; i++ {
		text := fmt.Sprintf("question %d", i)
		tb.run(chromedp.SendKeys("#xc-text", text+"\r", chromedp.ByQuery))
		tb.wait(logHas("You wrote: "+text), "the reply to "+text)
		if i == 2 {
			tb.run(chromedp.Reload())
			tb.wait(logHas("You wrote: question 2"), "the history after the reload")
		}
	}
	tb.run(chromedp.SendKeys("#xc-text", "bye\r", chromedp.ByQuery))
	tb.wait(logHas("The agent ended the chat."), "the end")
	texts := tb.logTexts()
	for i := 1; i <= 4; i++ {
		assert.Equal(t, 1, countOf(texts, fmt.Sprintf("You wrote: question %d", i)), "each reply once")
	}
	rec, _ := fake.Session(id)
	assert.Equal(t, []string{"question 1", "question 2", "question 3", "question 4", "bye"}, rec.Messages)

	for i, in := range ins {
		var posts, states int
		for _, s := range in.served() {
			switch {
			case strings.HasPrefix(s, "POST /chat/"):
				posts++
			case s == "GET /chat/state":
				states++
			}
		}
		assert.Positive(t, posts, "instance %d served some of the chat's posts: %v", i, in.served())
	}
	browsertest.Screenshot(t, ctx, "done")
	tb.checkClean()
}

// At-least-once across a crash, with the real SQS-compatible server: the
// instance holding the stream dies mid-conversation, the browser
// reconnects to the other, and every agent message reaches the page
// exactly once.
func TestCrashMidConversationRealSQS(t *testing.T) {
	_, queueURL, sqsClient := webchattest.LocalSQS(t)
	ctx := newChromium(t)
	fake := webchattest.NewServer(webchattest.WithDelivery(webchattest.SQSDelivery(queueURL, sqsClient)))
	defer fake.Close()
	front, ins := cluster(t, fake, 2, func(c *bridge.Config) { c.SQS = webchat.SQSOptions{WaitTime: time.Second} })
	tb := openTab(t, ctx)
	id := startInPage(tb, front.URL, "Chris Crash")

	var holder *instance
	for _, in := range ins {
		if in.h.Active() == 1 {
			holder = in
		}
	}
	require.NotNil(t, holder, "one instance holds the stream")

	// Messages before, during and after the crash.
	for i := 1; i <= 3; i++ {
		fake.Enqueue(id, fmt.Sprintf(`{"type":"CHAT_TEXT","text":"agent says %d"}`, i))
	}
	holder.kill()
	for i := 4; i <= 8; i++ {
		fake.Enqueue(id, fmt.Sprintf(`{"type":"CHAT_TEXT","text":"agent says %d"}`, i))
	}
	tb.wait(logHas("agent says 8"), "the messages after the crash")
	for _, in := range ins {
		if in != holder {
			eventually(t, func() bool { return in.h.Active() == 1 }, "the survivor holds the stream")
		}
	}
	// Give a redelivery (1 s visibility timeout) the chance to show a
	// duplicate if the page did not drop it.
	time.Sleep(1500 * time.Millisecond)
	texts := tb.logTexts()
	for i := 1; i <= 8; i++ {
		assert.Equal(t, 1, countOf(texts, fmt.Sprintf("agent says %d", i)), "message %d exactly once: %q", i, texts)
	}
	assert.Equal(t, 1, countOf(texts, "Hello Chris Crash"), "the greeting once")

	// The chat goes on through the survivor, and ends.
	tb.run(chromedp.SendKeys("#xc-text", "bye\r", chromedp.ByQuery))
	tb.wait(logHas("The agent ended the chat."), "the end")
	browsertest.Screenshot(t, ctx, "after-crash")
	tb.checkClean()
}
