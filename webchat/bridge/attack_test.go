package bridge_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/testtool"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/bridge"
)

// Attacks of a hostile browser, network or operator. Each test names what
// it tries; the ones that found a bug say so.

// A fresh cookie per chat does not reset the start limit: the browsers of
// one address share a budget (found: every new cookie had its own).
func TestAttackStartLimitNotResetByNewCookies(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.StartBurst = 1 })
	started := 0
	for i := range 30 {
		b := newBrowser(t, e.srv.URL) // a new cookie jar: a "new browser"
		b.state()
		code, body := b.post("/start", map[string]string{"name": fmt.Sprint("Spam ", i), "email": "spam@example.com"})
		switch code {
		case http.StatusOK:
			started++
		case http.StatusTooManyRequests:
			assert.Contains(t, body, "too many chats")
		default:
			t.Fatalf("start: %d %s", code, body)
		}
	}
	assert.Equal(t, bridge.StartsPerAddress, started, "one address starts at most StartBurst×StartsPerAddress chats at once")
}

// IPv6 clients are limited per /64, the least a host gets: one attacker
// does not get a fresh budget from every address of its network (found:
// every address had its own).
func TestAttackIPv6AddressesShareOneBudget(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.RateLimit, c.RateBurst = 0.001, 2 })
	codes := map[int]int{}
	for i := range 6 {
		req := httptest.NewRequest(http.MethodGet, "/state", nil)
		req.RemoteAddr = fmt.Sprintf("[2001:db8:1:2::%x]:4711", i+1)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 2, http.StatusTooManyRequests: 4}, codes)

	// Another /64 is another client; IPv4 addresses stay apart.
	for _, addr := range []string{"[2001:db8:1:3::1]:1", "192.0.2.1:1", "192.0.2.2:1"} {
		req := httptest.NewRequest(http.MethodGet, "/state", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code, addr)
	}
}

// X-Forwarded-For is not trusted by default: spoofing it gives no new
// budget. Behind a proxy, Config.ClientAddr names the client.
func TestAttackForwardedForNotTrusted(t *testing.T) {
	e := newEnv(t, func(c *bridge.Config) { c.RateLimit, c.RateBurst = 0.001, 1 })
	do := func(h http.Handler, xff string) int {
		req := httptest.NewRequest(http.MethodGet, "/state", nil)
		req.RemoteAddr = "198.51.100.7:1234"
		req.Header.Set("X-Forwarded-For", xff)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusOK, do(e.h, "203.0.113.1"))
	assert.Equal(t, http.StatusTooManyRequests, do(e.h, "203.0.113.2"), "a spoofed header is no new client")

	proxied := newEnv(t, func(c *bridge.Config) {
		c.RateLimit, c.RateBurst = 0.001, 1
		c.ClientAddr = func(r *http.Request) string { return r.Header.Get("X-Forwarded-For") }
	})
	assert.Equal(t, http.StatusOK, do(proxied.h, "203.0.113.1"))
	assert.Equal(t, http.StatusOK, do(proxied.h, "203.0.113.2"), "behind a proxy, the client the proxy names")
	assert.Equal(t, http.StatusTooManyRequests, do(proxied.h, "203.0.113.2"))
}

// echoService is a hostile chat service: every error it answers quotes
// the request — headers and body, the API key among them — and its SQS
// endpoint quotes the signed request (access key id in Authorization).
func echoService(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var hdr bytes.Buffer
		_ = r.Header.Write(&hdr)
		echo := "you sent: " + hdr.String() + string(body)
		switch {
		case r.URL.Path == "/chat/apiqueue" && bytes.Contains(body, []byte(`"name":"ok"`)):
			_ = json.NewEncoder(w).Encode(map[string]any{"sessionDetails": map[string]any{
				"id": "s-1", "serverToClientQueue": map[string]any{"url": srv.URL + "/sqs/queue-1", "arn": "arn:aws:sqs:us-east-1:1:queue-1"},
			}})
		case r.Header.Get("X-Amz-Target") != "":
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#InvalidSecurity", "message": echo})
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": echo})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The API key and the SQS credentials reach no response and no log line,
// even from a service that quotes them back.
func TestAttackSecretsNeverSurface(t *testing.T) {
	const apiKey = "ak-9c108bb3-8924-4234-a53c-be9ab284d4e3"
	const akid, secret = "AKIAEXAMPLEKEYID0001", "s3cr3t/AWS+key/never-shown"
	svc := echoService(t)
	var logs testtool.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := webchat.NewClient(svc.URL, webchat.WithLogger(logger), webchat.WithoutRetry())
	require.NoError(t, err)
	h, err := bridge.New(bridge.Config{
		Client: client, InstallationID: "inst", APIKey: apiKey, CookieKeys: [][]byte{testKey}, Logger: logger,
		SQS: webchat.SQSOptions{Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, nil
		})},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(site(h))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); _ = h.Close() })

	var seen strings.Builder
	b := newBrowser(t, srv.URL)
	b.state()
	code, body := b.post("/start", map[string]string{"name": "echo", "email": "e@example.com"})
	assert.Equal(t, http.StatusBadGateway, code)
	seen.WriteString(body)
	code, body = b.post("/start", map[string]string{"name": "ok", "email": "e@example.com"})
	require.Equal(t, http.StatusOK, code, body)
	seen.WriteString(body)
	for _, p := range []string{"/send", "/typing", "/focus", "/screenshot/reject", "/end"} {
		_, body = b.post(p, map[string]any{"text": "hi"}[p[1:]])
		seen.WriteString(body)
	}
	// The stream: the queue's error is logged and a generic event sent.
	b2 := newBrowser(t, srv.URL)
	b2.state()
	code, body = b2.post("/start", map[string]string{"name": "ok", "email": "e@example.com"})
	require.Equal(t, http.StatusOK, code, body)
	req, _ := http.NewRequest(http.MethodGet, b2.base+"/events", nil)
	resp, err := b2.c.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	seen.Write(raw)
	assert.Contains(t, string(raw), "bridge-error")

	all := seen.String() + logs.String()
	assert.Contains(t, logs.String(), "you sent", "the service's answers were logged")
	for _, s := range []string{apiKey, akid, secret, base64.StdEncoding.EncodeToString([]byte(apiKey))} {
		assert.NotContains(t, all, s)
	}
}

// Another browser's acknowledgement tokens, as Last-Event-ID or posted,
// delete nothing of this browser's chat.
func TestAttackForgedLastEventID(t *testing.T) {
	e := newEnv(t, nil)
	victim := newBrowser(t, e.srv.URL)
	victim.start("Victim")
	st := victim.openStream("", false)
	first := st.next(t)
	st.close()
	require.NotEmpty(t, first.ID)

	eve := newBrowser(t, e.srv.URL)
	eve.start("Eve")
	es := eve.openStream(first.ID, false) // the victim's token as Last-Event-ID
	es.next(t)
	es.close()
	code, _ := eve.post("/ack", map[string][]string{"acks": {first.ID}})
	assert.Equal(t, http.StatusBadRequest, code)
	// A victim's token with one byte changed, or cut short, is no token.
	code, _ = victim.post("/ack", map[string][]string{"acks": {first.ID[:len(first.ID)-3]}})
	assert.Equal(t, http.StatusBadRequest, code)

	// The victim's message was not deleted: it comes again (after the
	// queue's visibility timeout).
	st = victim.openStream("", false)
	for ev := st.next(t); ev.Data.ID != first.Data.ID; ev = st.next(t) {
	}
	st.close()
}

// An agent picture that is no image (script, SVG, HTML, a javascript:
// URL) never reaches the browser; the name is data, sent as is.
func TestAttackAgentImageAndName(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	id := b.start("Img")
	b64 := base64.StdEncoding.EncodeToString
	for _, img := range []string{
		"javascript:alert(1)",
		b64([]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)),
		"data:text/html;base64," + b64([]byte("<script>alert(1)</script>")),
		b64([]byte("<html><script>alert(1)</script>")),
	} {
		m, _ := json.Marshal(map[string]string{"type": "CHAT_TRANSFERRED", "newAgent": `<img src=x onerror=alert(1)>`, "newAgentImage": img})
		e.fake.Enqueue(id, string(m))
	}
	st := b.stream("")
	n := 0
	for n < 4 {
		ev := st.next(t)
		if ev.Data.Type != "CHAT_TRANSFERRED" {
			continue
		}
		n++
		assert.Empty(t, ev.Data.Image)
		assert.Equal(t, `<img src=x onerror=alert(1)>`, ev.Data.Agent)
	}
}

// Cookies that were tampered with, cut short, moved to another cookie
// name or sealed by another site's key are no cookie.
func TestAttackCookieTampering(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	b.start("Cookie")
	raw := cookieValue(t, b, e.srv.URL)
	dec, err := base64.RawURLEncoding.DecodeString(raw)
	require.NoError(t, err)
	flip := append([]byte(nil), dec...)
	flip[len(flip)/2] ^= 1

	other := newEnv(t, func(c *bridge.Config) { c.CookieKeys = [][]byte{[]byte(strings.Repeat("z", 32))} })
	ob := newBrowser(t, other.srv.URL)
	ob.start("Other")
	foreign := cookieValue(t, ob, other.srv.URL)

	for name, v := range map[string]string{
		"flipped": base64.RawURLEncoding.EncodeToString(flip),
		"cut":     raw[:len(raw)/2],
		"tiny":    "AAAA",
		"foreign": foreign,
		"padded":  raw + "==",
	} {
		req, _ := http.NewRequest(http.MethodPost, b.base+"/send", strings.NewReader(`{"text":"x"}`))
		req.Header.Set("Origin", b.origin)
		req.Header.Set("X-Ximachat-Csrf", b.csrf)
		req.AddCookie(&http.Cookie{Name: "ximachat", Value: v})
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, name)
	}
	// The sealed value under another name does not open either.
	req, _ := http.NewRequest(http.MethodPost, b.base+"/send", strings.NewReader(`{"text":"x"}`))
	req.Header.Set("Origin", b.origin)
	req.Header.Set("X-Ximachat-Csrf", b.csrf)
	req.AddCookie(&http.Cookie{Name: "ximachat2", Value: raw})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// Cross-site reads and Origin "null" are refused before anything changes.
func TestAttackCrossSite(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	b.start("Cross")
	for _, p := range []string{"/events", "/state"} {
		req, _ := http.NewRequest(http.MethodGet, b.base+p, nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := b.c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, p)
	}
	code, _ := b.postRaw("/end", "application/json", nil, http.Header{"Origin": {"null"}})
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = b.postRaw("/end", "text/plain", nil, http.Header{"Origin": {"http://" + strings.TrimPrefix(e.srv.URL, "http://") + ".evil.example"}})
	assert.Equal(t, http.StatusForbidden, code)
	code, body := b.post("/send", map[string]string{"text": "still on"})
	assert.Equal(t, http.StatusNoContent, code, body)
}

// 2,000 requests at once: every one answered (200 or 429), nothing left
// running afterwards (goleak in TestMain).
func TestAttackTwoThousandRequests(t *testing.T) {
	e := newEnv(t, nil)
	b := newBrowser(t, e.srv.URL)
	b.state()
	u, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/chat/", nil)
	cookies := b.c.Jar.Cookies(u.URL)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 2000 {
		wg.Go(func() {
			var req *http.Request
			switch i % 3 {
			case 0:
				req = httptest.NewRequest(http.MethodGet, "/state", nil)
			case 1:
				req = httptest.NewRequest(http.MethodGet, "/queue-status", nil)
			default:
				req = httptest.NewRequest(http.MethodPost, "/typing", strings.NewReader(`{"typing":true}`))
				req.Header.Set("Origin", "http://example.com")
				req.Header.Set("X-Ximachat-Csrf", b.csrf)
				for _, c := range cookies {
					req.AddCookie(c)
				}
			}
			req.RemoteAddr = fmt.Sprintf("192.0.2.%d:1", i%200)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			mu.Lock()
			codes[rec.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	total := 0
	for code, n := range codes {
		assert.Contains(t, []int{http.StatusOK, http.StatusTooManyRequests, http.StatusConflict}, code, "%d × %d", n, code)
		total += n
	}
	assert.Equal(t, 2000, total)
	assert.Positive(t, codes[http.StatusTooManyRequests], "one browser's 667 posts hit its limit")
}

// A browser that goes away mid-start cancels the call to the service;
// Close stops a queue-status fetch that stalls (found: it went on for
// its own 10 s timeout, holding the request and Close's callers).
func TestAttackCancelledMidCall(t *testing.T) {
	release := make(chan struct{})
	var startCancelled = make(chan struct{}, 1)
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices a client that leaves
		select {
		case <-r.Context().Done():
			startCancelled <- struct{}{}
		case <-release:
		}
	}))
	t.Cleanup(stall.Close)
	t.Cleanup(func() { close(release) })
	client, err := webchat.NewClient(stall.URL, webchat.WithoutRetry())
	require.NoError(t, err)
	h, err := bridge.New(bridge.Config{Client: client, InstallationID: "i", APIKey: "k", CookieKeys: [][]byte{testKey},
		QueueStatus: webchat.QueueStatusFunc(func(ctx context.Context) (webchat.QueueStates, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-release:
				return webchat.QueueStates{}, nil
			}
		})})
	require.NoError(t, err)
	srv := httptest.NewServer(site(h))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); _ = h.Close() })

	b := newBrowser(t, srv.URL)
	b.state()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/start", strings.NewReader(`{"name":"A","email":"a@example.com"}`))
	req.Header.Set("Origin", b.origin)
	req.Header.Set("X-Ximachat-Csrf", b.csrf)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := b.c.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	select {
	case <-startCancelled:
	case <-time.After(3 * time.Second):
		t.Error("the call to the service went on after the browser left")
	}

	statusDone := make(chan int, 1)
	go func() {
		resp, err := http.Get(b.base + "/queue-status")
		if err != nil {
			statusDone <- 0
			return
		}
		resp.Body.Close()
		statusDone <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	require.NoError(t, h.Close())
	select {
	case code := <-statusDone:
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Less(t, time.Since(start), 2*time.Second)
	case <-time.After(3 * time.Second):
		t.Fatal("the queue-status request outlived Close")
	}
}

// A queue-status source that panics fails that fetch only: the next
// viewers get an answer, not a wait for a fetch that never ends (found:
// the panic left the fetch "in flight" for good).
func TestAttackQueueStatusSourcePanics(t *testing.T) {
	calls := 0
	e := newEnv(t, func(c *bridge.Config) {
		c.QueueStatusInterval = time.Millisecond
		c.QueueStatus = webchat.QueueStatusFunc(func(context.Context) (webchat.QueueStates, error) {
			calls++
			if calls == 1 {
				panic("source bug")
			}
			return webchat.QueueStates{"Sales": {ThereAreAgentsReady: true}}, nil
		})
	})
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(e.srv.URL + "/chat/queue-status")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, err = c.Get(e.srv.URL + "/chat/queue-status")
	require.NoError(t, err, "the second viewer is answered")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"thereAreAgentsReady":true`)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// One acknowledgement posted fifty times in one request is one delete:
// a browser cannot turn its rate limit into fifty SQS calls a request
// (found: each copy was deleted again).
func TestAttackAckRepeatsAreOneDelete(t *testing.T) {
	var mu sync.Mutex
	deletes := 0
	e := newEnv(t, func(c *bridge.Config) {
		client, err := webchat.NewClient(c.Client.BaseURL().String(), webchat.WithTransportWrapper(func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if contactkit.OperationName(r.Context()) == "SQS DeleteMessage" {
					mu.Lock()
					deletes++
					mu.Unlock()
				}
				return next.RoundTrip(r)
			})
		}))
		require.NoError(t, err)
		c.Client = client
	})
	b := newBrowser(t, e.srv.URL)
	b.start("Acks")
	st := b.openStream("", false)
	ev := st.next(t)
	st.close()
	acks := make([]string, 50)
	for i := range acks {
		acks[i] = ev.ID
	}
	code, body := b.post("/ack", map[string][]string{"acks": acks})
	require.Equal(t, http.StatusNoContent, code, body)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, deletes)
}
