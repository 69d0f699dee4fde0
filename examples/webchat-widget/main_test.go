package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit/internal/browsertest"
	"github.com/contactkit/contactkit/internal/testtool"
	"github.com/contactkit/contactkit/webchat/bridge"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs the example on a loopback port until the test ends.
func serve(t *testing.T) (string, *testtool.SyncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var out testtool.SyncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, &out, config{Skills: []string{"Sales", "Support"}}) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
		assert.Contains(t, out.String(), "stopped")
	})
	return "http://" + ln.Addr().String(), &out
}

func TestShopServesWidgetWithCSP(t *testing.T) {
	base, out := serve(t)
	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, bridge.ContentSecurityPolicy, resp.Header.Get("Content-Security-Policy"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Contains(t, string(body), `<script src="/chat/ximachat.js"`)
	assert.NotContains(t, string(body), "<script>", "no inline script")

	resp, err = http.Get(base + "/chat/ximachat.js")
	require.NoError(t, err)
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(js), "window._ximachat.api = api")
	assert.Contains(t, out.String(), "demo shop on "+base)

	// A chat through the example's bridge, as the widget runs it.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err = c.Get(base + "/chat/state")
	require.NoError(t, err)
	var st struct{ CSRF string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/chat/start", strings.NewReader(`{"name":"Demo","email":"demo@example.com","skill":"Marketing"}`))
	req.Header.Set("Origin", base)
	req.Header.Set("X-Ximachat-Csrf", st.CSRF)
	resp, err = c.Do(req)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "only the shop's skills")
	assert.Contains(t, string(body), "skill is not one of this site's skills")
}

func TestRealServiceNeedsCredentials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	err = run(context.Background(), ln, io.Discard, config{BaseURL: "https://mm-v1.example"})
	require.ErrorContains(t, err, "WEBCHAT_API_KEY")
}

// The shop in a browser, on a desktop and on a phone.
func TestShopInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	base, _ := serve(t)
	run := func(actions ...chromedp.Action) {
		t.Helper()
		require.NoError(t, chromedp.Run(browsertest.Timeout(t, ctx, 20*time.Second), actions...))
	}
	wait := func(js string) {
		t.Helper()
		run(chromedp.Poll(js, nil, chromedp.WithPollingTimeout(15*time.Second)))
	}
	run(chromedp.Navigate(base), chromedp.WaitReady(".ask", chromedp.ByQuery))
	wait(`document.getElementById("agents").textContent === "Agents ready: Support"`)
	run(chromedp.Click(`button[data-skill="Support"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#xc-name", chromedp.ByQuery),
		chromedp.SendKeys("#xc-name", "Dana Demo", chromedp.ByQuery),
		chromedp.SendKeys("#xc-email", "dana@example.com", chromedp.ByQuery),
		chromedp.Click(".xc-form button[type=submit]", chromedp.ByQuery))
	wait(`document.querySelector(".xc-log").textContent.includes("Hello Dana Demo")`)
	run(chromedp.SendKeys("#xc-text", "Do you have spare lids?", chromedp.ByQuery), chromedp.SendKeys("#xc-text", "\r", chromedp.ByQuery))
	wait(`document.querySelector(".xc-log").textContent.includes("You wrote: Do you have spare lids?")`)
	browsertest.Screenshot(t, ctx, "desktop")
	run(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	browsertest.Screenshot(t, ctx, "phone")
	run(chromedp.Click(".xc-close", chromedp.ByQuery), chromedp.WaitVisible(".xc-launcher", chromedp.ByQuery))
	browsertest.Screenshot(t, ctx, "phone-minimised")
	run(chromedp.EmulateViewport(1280, 900))
}
