package wallboard_test

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/wallboard"
)

// firstCount is where the benchmark's pushed counts start, above any the
// fake holds to begin with.
const firstCount = 1_000_000

// audience is a crowd of SSE viewers on raw loopback connections, each
// with one goroutine reading the chunked stream through two 4 KiB buffers
// (longer than any line it reads), noting when each count arrives.
type audience struct {
	n       int
	conns   []net.Conn
	arrived []atomic.Int32 // viewers that have seen count firstCount+i
	done    chan int       // i, once every viewer has seen it
	lastAt  []atomic.Int64 // when the last viewer saw it
	seen    []atomic.Int64 // the last count index each viewer saw
	lines   []atomic.Value // the last data line each viewer read
	ready   sync.WaitGroup // every viewer has its snapshot
	wg      sync.WaitGroup
}

func newAudience(n, maxUpdates int) *audience {
	return &audience{n: n, seen: make([]atomic.Int64, n), lines: make([]atomic.Value, n), arrived: make([]atomic.Int32, maxUpdates), lastAt: make([]atomic.Int64, maxUpdates), done: make(chan int, maxUpdates)}
}

// connect opens the audience's n streams and waits for their snapshots.
func (a *audience) connect(b *testing.B, rawURL string) {
	b.Helper()
	n := a.n
	u, _ := url.Parse(rawURL)
	req := "GET /events?metrics=" + avayatest.MetricCallsInQueue + " HTTP/1.1\r\nHost: " + u.Host + "\r\nAccept: text/event-stream\r\n\r\n"
	a.ready.Add(n)
	for range n {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write([]byte(req)); err != nil {
			b.Fatal(err)
		}
		a.conns = append(a.conns, c)
		vi := len(a.conns) - 1
		a.wg.Go(func() { a.read(c, &a.seen[vi], &a.lines[vi]) })
	}
	a.ready.Wait()
}

var countField = []byte(`"count":`)

func (a *audience) read(c net.Conn, last *atomic.Int64, lastLine *atomic.Value) {
	seen := -1
	snap := false
	// The stream is chunked: a chunk may end inside a line (the server's
	// write buffer fills mid-batch), so lines are read from the decoded body.
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 4096), nil)
	if err != nil {
		a.ready.Done()
		return
	}
	r := bufio.NewReaderSize(resp.Body, 4096)
	var long []byte // a line longer than the buffer (a resync snapshot), gathered
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if err != nil {
			if !snap {
				a.ready.Done()
			}
			return
		}
		if long != nil {
			line, long = append(long, line...), nil
		}
		if !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		if !snap {
			snap = true
			a.ready.Done()
		}
		lastLine.Store(string(line))
		// The highest pushed count on the line: an update has one; a
		// snapshot (sent to a viewer that fell behind) has one per value.
		n := -1
		for rest := line; ; {
			i := bytes.Index(rest, countField)
			if i < 0 {
				break
			}
			rest = rest[i+len(countField):]
			k := 0
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			if v, err := strconv.Atoi(string(rest[:k])); err == nil && v >= firstCount {
				n = max(n, v)
			}
		}
		if n < 0 {
			continue
		}
		for idx := seen + 1; idx <= n-firstCount && idx < len(a.arrived); idx++ {
			if a.arrived[idx].Add(1) == int32(a.n) {
				a.lastAt[idx].Store(time.Now().UnixNano())
				a.done <- idx
			}
		}
		seen = max(seen, n-firstCount)
		last.Store(int64(seen))
	}
}

// await waits until every viewer has seen update i; it fails the
// benchmark after 30 s, saying how far the viewers got.
func (a *audience) await(b *testing.B, e *env, i int) {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for a.arrived[i].Load() < int32(a.n) {
		select {
		case <-a.done:
		case <-timeout:
			hist := map[int64]int{}
			for j := range a.seen {
				hist[a.seen[j].Load()]++
			}
			for j := range a.seen {
				if a.seen[j].Load() < int64(i) {
					b.Logf("viewer %d last line %v", j, a.lines[j].Load())
					break
				}
			}
			b.Fatalf("update %d reached %d of %d viewers in 30 s (handler: %s, %d viewers); last seen by viewers: %v", i, a.arrived[i].Load(), a.n, e.h.State(), e.h.Viewers(), hist)
		}
	}
}

func (a *audience) close() {
	for _, c := range a.conns {
		_ = c.Close()
	}
	a.wg.Wait()
}

// stall opens n viewers that never read, and fills their connections.
func stall(b *testing.B, rawURL string, n int) []net.Conn {
	b.Helper()
	u, _ := url.Parse(rawURL)
	var out []net.Conn
	// A small receive buffer before connecting: a small window, so the
	// server's side fills after a few KiB, not megabytes.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	for range n {
		c, err := d.Dial("tcp", u.Host)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = c.Write([]byte("GET /events HTTP/1.1\r\nHost: " + u.Host + "\r\n\r\n"))
		out = append(out, c)
	}
	return out
}

// cpuTime is the CPU time this process has used (user and system): the
// cost of an update to every viewer, whatever else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkFanOut serves one upstream subscription (the fake, pushing
// through the websocket and avaya.Subscribe) to 1,000 SSE viewers on
// loopback. latency: one update at a time, from the fake's push to the
// last viewer's read (p50/p99); in "latency-stalled" with 10 more viewers
// beside them that never read, their connections filled with megabytes
// first so that the handler's writes to them block (until WriteTimeout
// drops them: "viewers" says how many were left at the end). throughput: updates
// pushed back to back, updates/s and viewer deliveries/s until every
// viewer has the last. idle-KiB/viewer: heap and stacks per connected idle
// viewer (measured as they connect, before any update), both ends of the
// loopback connection counted. cpu-ms/update is the CPU time (this
// process: the handler, the upstream and the 1,000 readers) per update
// delivered to every viewer, which the machine's other load does not
// change; the latencies it does.
func BenchmarkFanOut(b *testing.B) {
	const viewers = 1000
	e := setupWith(b, wallboard.Config{Metrics: []wallboard.Metric{{ID: avayatest.MetricCallsInQueue}, {ID: avayatest.MetricAgentState}}}, false)
	e.waitConnected(b)
	key := avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue}
	base := time.Now().Add(time.Second).Truncate(time.Millisecond)
	count := 0  // pushed so far, over every sub-benchmark
	filler := 0 // values pushed to fill stalled viewers
	push := func() int {
		i := count
		count++
		e.fake.PushMetricValue(key, avaya.MetricValue{Type: avaya.CountValue, LastUpdateTime: base.Add(time.Duration(i) * time.Millisecond), Count: int64(firstCount + i)})
		return i
	}
	const maxUpdates = 1 << 20

	latency := func(b *testing.B, stalled int) {
		a := newAudience(viewers, maxUpdates)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		a.connect(b, e.srv.URL)
		defer a.close()
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
		if stalled > 0 {
			conns := stall(b, e.srv.URL, stalled)
			defer func() {
				for _, c := range conns {
					_ = c.Close()
				}
			}()
			// Fill the stalled viewers' connections (and the kernel's
			// buffers under them, megabytes) with 60 KB values of a metric
			// the audience did not ask for; then they are stuck in a write.
			for range 120 {
				filler++
				e.fake.PushMetricValue(avaya.MetricKey{MetricID: avayatest.MetricAgentState, CategoryValue: "John Doe(481)"},
					avaya.MetricValue{Type: avaya.StringValue, LastUpdateTime: base.Add(time.Duration(filler) * time.Millisecond), String: strings.Repeat("x", 60_000)})
			}
			a.await(b, e, push()) // in order after the filler
		}
		var lat []time.Duration
		b.ResetTimer()
		cpu0 := cpuTime()
		for range b.N {
			start := time.Now()
			i := push()
			a.await(b, e, i)
			lat = append(lat, time.Unix(0, a.lastAt[i].Load()).Sub(start))
		}
		b.StopTimer()
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/update")
		b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(e.h.Viewers()), "viewers")
		b.ReportMetric(float64(used)/viewers/1024, "idle-KiB/viewer")
	}
	b.Run("latency", func(b *testing.B) { latency(b, 0) })
	b.Run("latency-stalled", func(b *testing.B) { latency(b, 10) })

	b.Run("throughput", func(b *testing.B) {
		a := newAudience(viewers, maxUpdates)
		a.connect(b, e.srv.URL)
		defer a.close()
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			push()
		}
		last := count - 1
		a.await(b, e, last)
		el := time.Since(start)
		b.ReportMetric(float64(b.N)/el.Seconds(), "updates/s")
		b.ReportMetric(float64(b.N)*viewers/el.Seconds(), "deliveries/s")
	})
}
