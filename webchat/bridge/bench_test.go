package bridge_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/bridge"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// loadChat is one browser of the load benchmark, in Go.
type loadChat struct {
	c      *http.Client
	base   string
	origin string
	csrf   string
	id     string
	body   io.ReadCloser
	r      *bufio.Reader
	cancel context.CancelFunc
	lat    []time.Duration
}

func (lc *loadChat) do(method, path, body string) (*http.Response, error) {
	req, err := http.NewRequest(method, lc.base+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", lc.origin)
		req.Header.Set("X-Ximachat-Csrf", lc.csrf)
	}
	return lc.c.Do(req)
}

func (lc *loadChat) open(i int) error {
	resp, err := lc.do(http.MethodGet, "/state", "")
	if err != nil {
		return err
	}
	var st struct{ CSRF string }
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		return err
	}
	lc.csrf = st.CSRF
	resp, err = lc.do(http.MethodPost, "/start", fmt.Sprintf(`{"name":"Load %d","email":"load%d@example.com","skill":"Sales"}`, i, i))
	if err != nil {
		return err
	}
	var out struct{ Chat struct{ ID string } }
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("start: %d %w", resp.StatusCode, err)
	}
	lc.id = out.Chat.ID
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, lc.base+"/events", nil)
	resp, err = lc.c.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		cancel()
		return fmt.Errorf("events: %w", err)
	}
	lc.body, lc.cancel = resp.Body, cancel
	lc.r = bufio.NewReader(resp.Body)
	// The fake's opening script (wait, join, typing, greeting, typing):
	// read and acknowledged before the measured messages.
	for n := 0; n < 5; {
		line, err := lc.r.ReadBytes('\n')
		if err != nil {
			return err
		}
		if data, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			var ev struct{ Ack string }
			if err := json.Unmarshal(data, &ev); err != nil {
				return err
			}
			if err := lc.ack(ev.Ack); err != nil {
				return err
			}
			n++
		}
	}
	return nil
}

// read reads the stream until want CHAT_TEXT events whose text is a
// send time have arrived, recording their latency from queue to stream.
func (lc *loadChat) read(want int) error {
	r := lc.r
	got := 0
	for got < want {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return err
		}
		data, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		var ev struct{ Type, Text, Ack string }
		if err := json.Unmarshal(data, &ev); err != nil {
			return err
		}
		if ev.Type != "CHAT_TEXT" {
			if err := lc.ack(ev.Ack); err != nil {
				return err
			}
			continue
		}
		if sent, err := strconv.ParseInt(ev.Text, 10, 64); err == nil {
			lc.lat = append(lc.lat, time.Since(time.Unix(0, sent)))
			got++
		}
		if err := lc.ack(ev.Ack); err != nil {
			return err
		}
	}
	return nil
}

// ack acknowledges an event, as the JS client does once it has shown it.
func (lc *loadChat) ack(token string) error {
	resp, err := lc.do(http.MethodPost, "/ack", `{"acks":["`+token+`"]}`)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("ack: %d", resp.StatusCode)
	}
	return nil
}

func (lc *loadChat) end() error {
	resp, err := lc.do(http.MethodPost, "/end", `{}`)
	if err != nil {
		return err
	}
	resp.Body.Close()
	lc.cancel()
	lc.body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("end: %d", resp.StatusCode)
	}
	return nil
}

// bridgeGoroutines counts the goroutines running the bridge's code.
func bridgeGoroutines() int {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 2)
	n := 0
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, "webchat/bridge.(*Handler)") {
			n++
		}
	}
	return n
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkBridge500Chats runs 500 concurrent chats through one bridge
// against the fake (its queues served over SQS's protocol): each opens
// its stream, gets 4 agent messages (500 a second in all, spread
// evenly) and acknowledges each, and ends. It reports the live heap
// and goroutines per open chat (the whole process: bridge, fake and the
// load's own clients; bridge-goroutines/chat counts only the bridge's
// handlers), the latency from queue to browser stream, and fails if any
// goroutine is left once the chats have ended.
func BenchmarkBridge500Chats(b *testing.B) {
	const chats, msgs = 500, 4
	// SQS's default visibility timeout, not the fake's 50 ms test value:
	// under load a delete can come later than 50 ms, and the repeats that
	// would follow are not what a real queue does.
	defer func(d time.Duration) { webchattest.RedeliverAfter = d }(webchattest.RedeliverAfter)
	webchattest.RedeliverAfter = 30 * time.Second
	fake := webchattest.NewServer()
	defer fake.Close()
	svcTransport := &http.Transport{MaxIdleConnsPerHost: chats, IdleConnTimeout: time.Minute}
	client, err := webchat.NewClient(fake.URL(), webchat.WithHTTPClient(&http.Client{Transport: svcTransport}),
		webchat.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: 10 * time.Millisecond, MaxWait: 100 * time.Millisecond}))
	if err != nil {
		b.Fatal(err)
	}
	h, err := bridge.New(bridge.Config{
		Client: client, InstallationID: fake.InstallationID, APIKey: fake.APIKey, CookieKeys: [][]byte{testKey},
		SQS:       webchat.SQSOptions{WaitTime: 10 * time.Second},
		RateLimit: rate.Inf, StartLimit: rate.Inf, LeaveAfter: -1, // 500 chats from one address
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(site(h))
	defer srv.Close()
	defer h.Close()
	loadTransport := &http.Transport{MaxIdleConnsPerHost: chats * 2}
	defer loadTransport.CloseIdleConnections()
	defer svcTransport.CloseIdleConnections()

	var all []time.Duration
	var memPerChat, gPerChat, bridgeGPerChat float64
	for b.Loop() {
		runtime.GC()
		baseG := runtime.NumGoroutine()
		baseHeap := heapInUse()
		cs := make([]*loadChat, chats)
		var wg sync.WaitGroup
		errs := make(chan error, chats)
		sem := make(chan struct{}, 50)
		for i := range cs {
			jar, _ := cookiejar.New(nil)
			cs[i] = &loadChat{c: &http.Client{Jar: jar, Transport: loadTransport}, base: srv.URL + "/chat", origin: srv.URL}
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				if err := cs[i].open(i); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		for h.Active() < chats {
			time.Sleep(10 * time.Millisecond)
		}
		// Agent messages, each stamped with its send time.
		for _, lc := range cs {
			wg.Go(func() {
				if err := lc.read(msgs); err != nil {
					b.Error(err)
				}
			})
		}
		// Each round gives every chat one message, spread over a second:
		// 500 agent messages a second through the one bridge.
		tick := time.NewTicker(time.Second / chats)
		for range msgs {
			for _, lc := range cs {
				<-tick.C
				fake.Enqueue(lc.id, fmt.Sprintf(`{"type":"CHAT_TEXT","text":"%d"}`, time.Now().UnixNano()))
			}
		}
		tick.Stop()
		wg.Wait()
		// Steady state: every chat open and idle.
		memPerChat = float64(heapInUse()-min(baseHeap, heapInUse())) / chats
		gPerChat = float64(runtime.NumGoroutine()-baseG) / chats
		bridgeGPerChat = float64(bridgeGoroutines()) / chats
		for _, lc := range cs {
			if err := lc.end(); err != nil {
				b.Fatal(err)
			}
			all = append(all, lc.lat...)
		}
		deadline := time.Now().Add(10 * time.Second)
		for h.Active() > 0 || bridgeGoroutines() > 0 || runtime.NumGoroutine() > baseG {
			loadTransport.CloseIdleConnections()
			svcTransport.CloseIdleConnections()
			if time.Now().After(deadline) {
				b.Fatalf("left after the chats ended: %d active, %d bridge goroutines, %d goroutines over the baseline",
					h.Active(), bridgeGoroutines(), runtime.NumGoroutine()-baseG)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(memPerChat/1024, "KiB/chat")
	b.ReportMetric(gPerChat, "goroutines/chat")
	b.ReportMetric(bridgeGPerChat, "bridge-goroutines/chat")
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "goroutines-left")
}
