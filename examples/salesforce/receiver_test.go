package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/salesforce"
)

const testToken = "receiver-test-token"

const recordJSON = `{"SalesForceID":"0035g00000ABCDeAAF","jtelStatisticsPartAID":4711,"AgentUID":"agent.y","bOutbound":0,` +
	`"dtCallStart":"2024-05-06T09:30:00","nDuration":180,"CONNRES":1,"Cause":16}`

// startReceiver serves a receiver on a loopback port until the test ends.
func startReceiver(t *testing.T, cfg receiverConfig, write salesforce.RecordFunc) (*receiver, string) {
	t.Helper()
	rc, err := newReceiver(cfg, testToken, write, quiet)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rc.serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	return rc, ln.Addr().String()
}

func request(path string, keepAlive bool) string {
	conn := "close"
	if keepAlive {
		conn = "keep-alive"
	}
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: jtel\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
		"Connection: %s\r\nContent-Length: %d\r\n\r\n%s", path, testToken, conn, len(recordJSON), recordJSON)
}

// shortTimeouts are the test's stand-ins for the production defaults.
func shortTimeouts() receiverConfig {
	cfg := defaultReceiverConfig()
	cfg.ReadHeaderTimeout = 300 * time.Millisecond
	cfg.ReadTimeout = 500 * time.Millisecond
	cfg.WriteTimeout = time.Second
	cfg.HandlerTimeout = 700 * time.Millisecond
	cfg.IdleTimeout = 300 * time.Millisecond
	// Above what net/http needs to let go of a connection it refused
	// (413, 431: it lingers 500 ms before closing, so that the client
	// reads the answer) plus Shutdown's poll step (up to 500 ms): with 1 s
	// a loaded machine made the cleanup's Shutdown miss its deadline.
	cfg.ShutdownGrace = 3 * time.Second
	return cfg
}

// Issue 12: slow-body, silent and idle kept-alive connections are closed
// within the timeouts (before, with only ReadHeaderTimeout set, 200 of
// them stayed open for 70 s).
func TestReceiverClosesSlowAndIdleConnections(t *testing.T) {
	cfg := shortTimeouts()
	rc, addr := startReceiver(t, cfg, func(context.Context, *salesforce.Record) error { return nil })
	const slow, silent, idle = 200, 100, 100
	start := time.Now()
	type result struct {
		kind   string
		closed time.Duration // since the connection was set up
		status int
	}
	results := make(chan result, slow+silent+idle)
	var wg sync.WaitGroup
	var answered atomic.Int32
	client := func(kind string) {
		defer wg.Done()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			results <- result{kind: kind, status: -1}
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		status := 0
		switch kind {
		case "slow-body":
			// Headers, then one byte of a 4 KiB body every 100 ms (the
			// server's ReadTimeout bounds the whole body, whatever the
			// pace; a faster trickle from 200 clients only starves the
			// process under -race).
			_, _ = io.WriteString(c, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: jtel\r\nAuthorization: Bearer %s\r\nContent-Length: 4096\r\n\r\n{", cfg.Path, testToken))
		case "idle":
			_, _ = io.WriteString(c, request(cfg.Path, true))
			resp, err := http.ReadResponse(br, nil)
			if err == nil {
				status = resp.StatusCode
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			answered.Add(1)
		}
		since := time.Now()
		buf := make([]byte, 512)
		for time.Since(since) < 10*time.Second {
			if kind == "slow-body" {
				_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			}
			_, err := br.Read(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if _, err := c.Write([]byte(" ")); err != nil {
					break // the server closed the connection
				}
				continue
			}
			if err != nil {
				break
			}
			if kind == "slow-body" && status == 0 && strings.HasPrefix(string(buf), "HTTP/1.1 ") {
				fmt.Sscanf(string(buf[9:12]), "%d", &status)
			}
		}
		results <- result{kind: kind, closed: time.Since(since), status: status}
	}
	// The kept-alive connections get their answer first, then idle while
	// the slow and silent ones arrive.
	for range idle {
		wg.Add(1)
		go client("idle")
	}
	require.Eventually(t, func() bool { return answered.Load() == idle }, 5*time.Second, 5*time.Millisecond)
	for kind, n := range map[string]int{"slow-body": slow, "silent": silent} {
		for range n {
			wg.Add(1)
			go client(kind)
		}
	}

	// Connections the server holds, every 100 ms. How late each sample
	// wakes up measures how starved this process is (a loaded CI machine
	// running -race): the server cannot close faster than it gets the CPU.
	var timeline []string
	var lag time.Duration
	for i := 0; i < 50; i++ {
		before := time.Now()
		time.Sleep(100 * time.Millisecond)
		lag = max(lag, time.Since(before)-100*time.Millisecond)
		timeline = append(timeline, fmt.Sprintf("%dms:%d", time.Since(start).Milliseconds(), rc.open.Load()))
		if i > 3 && rc.open.Load() == 0 {
			break
		}
	}
	wg.Wait()
	close(results)
	t.Logf("connections held by the server over time: %s (peak %d)", strings.Join(timeline, " "), rc.peak.Load())

	worst := map[string]time.Duration{}
	counts := map[string]int{}
	for r := range results {
		require.NotEqual(t, -1, r.status, "dial failed")
		counts[r.kind]++
		worst[r.kind] = max(worst[r.kind], r.closed)
		if r.kind == "idle" {
			assert.Equal(t, 200, r.status)
		}
		if r.kind == "slow-body" && r.status != 0 {
			assert.Equal(t, 423, r.status, "a body that never arrives is answered 423 (send again)")
		}
	}
	t.Logf("closed after at most: slow-body %s (ReadTimeout %s), silent %s (ReadHeaderTimeout %s), idle %s (IdleTimeout %s)",
		worst["slow-body"], cfg.ReadTimeout, worst["silent"], cfg.ReadHeaderTimeout, worst["idle"], cfg.IdleTimeout)
	assert.Equal(t, map[string]int{"slow-body": slow, "silent": silent, "idle": idle}, counts)
	// Before the fix they stayed 70 s (here: the clients' 10 s cap). The
	// slack covers a loaded machine: a fixed part, plus how long this
	// process was kept from running. The fixed part is the larger one: the
	// sampler, woken by a timer, is run ahead of the queue, while the
	// goroutines that close and see a connection closed are woken by the
	// network poller and wait behind the other 400 (a run of -count=20 next
	// to another package's tests saw closes 1.9 s late with a lag of 170 ms).
	slack := 3*time.Second + lag
	t.Logf("scheduling lag seen by the sampler: %s", lag)
	assert.Less(t, worst["slow-body"], cfg.ReadTimeout+slack)
	assert.Less(t, worst["silent"], cfg.ReadHeaderTimeout+slack)
	assert.Less(t, worst["idle"], cfg.IdleTimeout+slack)
	// A connection answered and then closed may still be held 500 ms by
	// net/http (it lingers before closing so that the answer is read).
	assert.Eventually(t, func() bool { return rc.open.Load() == 0 }, time.Second+slack, 10*time.Millisecond, "the server holds no connection")
}

// Issue 12: 2,000 concurrent requests are all answered, 200 or 423 (busy:
// jtel sends again), none dropped; memory stays bounded. A dial that fails
// is tried again (see post): 2,000 connects at once on a loaded machine can
// overflow the listen backlog, whose dropped SYNs never reach the server;
// every request that got a connection must be answered.
func TestReceiverAnswersEveryConcurrentRequest(t *testing.T) {
	cfg := defaultReceiverConfig() // the production timeouts: this test is about the concurrency bound
	cfg.MaxConcurrent = 32
	cfg.QueueWait = 100 * time.Millisecond
	var written atomic.Int64
	rc, addr := startReceiver(t, cfg, func(context.Context, *salesforce.Record) error {
		time.Sleep(2 * time.Millisecond) // a store round trip
		written.Add(1)
		return nil
	})
	const n = 2000
	var peakHeap, peakSys uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap := ms.HeapInuse
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peakHeap, peakSys = max(peakHeap, ms.HeapInuse), max(peakSys, ms.Sys)
			}
		}
	}()

	var statuses sync.Map
	var failures, redials atomic.Int64
	var firstErr atomic.Value
	begin := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			status, err := post(addr, cfg.Path, &redials)
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			v, _ := statuses.LoadOrStore(status, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		}()
	}
	start := time.Now()
	close(begin)
	wg.Wait()
	elapsed := time.Since(start)
	close(stopSampling)
	<-sampled

	got := map[int]int64{}
	statuses.Range(func(k, v any) bool { got[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("%d concurrent requests in %s: statuses %v, written %d, transport failures %d, dials tried again %d; peak connections %d; "+
		"peak heap in use %.1f MiB (+%.1f MiB over idle), peak Sys %.1f MiB (client and server in one process)",
		n, elapsed.Round(time.Millisecond), got, written.Load(), failures.Load(), redials.Load(), rc.peak.Load(),
		float64(peakHeap)/(1<<20), float64(peakHeap-min(peakHeap, baseHeap))/(1<<20), float64(peakSys)/(1<<20))
	require.Zero(t, failures.Load(), "none dropped: %v", firstErr.Load())
	assert.Equal(t, int64(n), got[200]+got[423], "every request answered 200 or 423: %v", got)
	assert.Equal(t, got[200], written.Load())
	assert.Positive(t, got[200])
}

// post sends one record on its own connection and returns the status.
// A dial that fails is tried again, up to 4 times, counted in redials: a
// connection never set up carried no request, so it is not a request the
// server dropped (a dropped SYN, when many connect at once on a loaded
// machine, times the dial out). Any failure once connected is returned.
func post(addr, path string, redials *atomic.Int64) (int, error) {
	var c net.Conn
	var err error
	for try := 0; try < 4; try++ {
		if try > 0 {
			redials.Add(1)
		}
		if c, err = net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
			break
		}
	}
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request(path, false)); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// SIGTERM stops the receiver gracefully: a record being written when the
// signal arrives is still answered 200, then serve returns.
func TestReceiverGracefulShutdownOnSIGTERM(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	entered := make(chan struct{})
	rc, err := newReceiver(shortTimeouts(), testToken, func(context.Context, *salesforce.Record) error {
		close(entered)
		time.Sleep(150 * time.Millisecond)
		return nil
	}, quiet)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- rc.serve(ctx, ln) }()

	answered := make(chan int, 1)
	go func() {
		status, err := post(ln.Addr().String(), defaultReceiverConfig().Path, new(atomic.Int64))
		if err != nil {
			status = -1
		}
		answered <- status
	}()
	<-entered
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	assert.Equal(t, 200, <-answered, "the request in flight finishes")
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(2 * time.Second):
		t.Fatal("serve did not return after SIGTERM")
	}
	_, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	require.Error(t, err, "no new connections after shutdown")
}

// A request beyond the body or header cap is refused without buffering it.
func TestReceiverBoundsMemoryPerRequest(t *testing.T) {
	cfg := shortTimeouts()
	cfg.MaxBodyBytes = 1 << 10
	cfg.MaxHeaderBytes = 4 << 10
	rc, addr := startReceiver(t, cfg, func(context.Context, *salesforce.Record) error { return nil })

	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, _ = io.WriteString(c, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: jtel\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		cfg.Path, testToken, 1<<30))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "a 1 GiB body is refused from its Content-Length")

	c2, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c2.Close()
	_, _ = io.WriteString(c2, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: jtel\r\nX-Big: %s\r\n\r\n", cfg.Path, strings.Repeat("x", 64<<10)))
	resp, err = http.ReadResponse(bufio.NewReader(c2), nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)

	// The server lets go of both refused connections by itself (net/http
	// lingers 500 ms after such an answer; this was what the cleanup's
	// Shutdown waited for): none is left held by a running handler.
	require.Eventually(t, func() bool { return rc.open.Load() == 0 }, 10*time.Second, 10*time.Millisecond,
		"the refused connections are closed by the server")
	assert.LessOrEqual(t, rc.peak.Load(), int64(2))
}
