package wallboard_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/wallboard"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// allowList is the test wallboard: every metric of the fake but the agent
// state, and only John Doe's talk time.
var allowList = []wallboard.Metric{
	{ID: avayatest.MetricCallsInQueue, Amber: 5, Red: 10, Widget: "{value} calls in queue"},
	{ID: avayatest.MetricLongestWait, Label: "Current Wait", Amber: 60, Red: 180, Widget: "Current wait {value}"},
	{ID: avayatest.MetricAgentsTalking},
	{ID: avayatest.MetricAgentAvailable},
	{ID: avayatest.MetricAgentTalkTime, Categories: []string{"John Doe(481)"}},
	{ID: avayatest.MetricAvgTalkTime},
}

// env is a fake Call Reporting server, a handler running against it, and
// the handler served on loopback.
type env struct {
	fake *avayatest.Server
	h    *wallboard.Handler
	srv  *httptest.Server
	rec  *recorder
	stop func()
	want int // values the handler holds when ready
}

// setup starts everything; the fake's call centre is frozen so what the
// test sees is what it set. cfg.Metrics defaults to allowList.
func setup(t testing.TB, cfg wallboard.Config) *env { return setupWith(t, cfg, true) }

// setupWith is setup with the recorder left out (record false), for
// benchmarks: it would hold every byte sent to every viewer.
func setupWith(t testing.TB, cfg wallboard.Config, record bool) *env {
	t.Helper()
	fake := avayatest.NewServer()
	fake.InitDelay(0)
	fake.FreezeRealtime()
	c, err := avaya.NewClient(fake.URL(), contactkit.StaticToken(fake.Token),
		avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: 20 * time.Millisecond, MaxWait: 100 * time.Millisecond}))
	require.NoError(t, err)
	want := 1
	if cfg.Metrics == nil {
		cfg.Metrics, want = allowList, 9 // 1 + 1 + 2 + 2 + 1 (John only) + 2
	}
	if cfg.Logger == nil {
		cfg.Logger = discard()
	}
	if cfg.Reconnect == 0 {
		cfg.Reconnect = 100 * time.Millisecond
	}
	h, err := wallboard.New(c, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.Run(ctx)
	}()
	rec := &recorder{next: h}
	var served http.Handler = rec
	if !record {
		served = h
	}
	srv := httptest.NewServer(served)
	e := &env{fake: fake, h: h, srv: srv, rec: rec, want: want}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			srv.Close()
			fake.Close()
		})
	}
	t.Cleanup(e.stop)
	return e
}

// waitConnected waits until the handler is connected and holds the
// values of every allowed metric (9 for allowList).
func (e *env) waitConnected(t testing.TB) {
	t.Helper()
	require.Eventually(t, func() bool {
		if e.h.State() != wallboard.StateConnected {
			return false
		}
		resp, err := http.Get(e.srv.URL + "/snapshot.json")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var d snapshotDoc
		return json.NewDecoder(resp.Body).Decode(&d) == nil && len(d.Values) >= e.want
	}, 5*time.Second, 5*time.Millisecond)
}

// sseEvent is one event read from a stream.
type sseEvent struct {
	Name string
	ID   string
	Data string
}

// stream opens the event stream at path and returns its events; closing
// the returned function ends it.
func stream(t testing.TB, url string, hdr http.Header) (*http.Response, <-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	ch := make(chan sseEvent, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" {
					select {
					case ch <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[7:]
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
	}()
	closeFn := func() {
		cancel()
		resp.Body.Close()
		<-done
	}
	t.Cleanup(closeFn)
	return resp, ch, closeFn
}

// next returns the next event named name, skipping others.
func next(t testing.TB, ch <-chan sseEvent, name string) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			require.True(t, ok, "stream ended before a %s event", name)
			if ev.Name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 5 s", name)
		}
	}
}

// snapshotDoc is the snapshot event and /snapshot.json as a test reads it.
type snapshotDoc struct {
	Now     int64  `json:"now"`
	Version uint64 `json:"version"`
	State   string `json:"state"`
	Title   string `json:"title"`
	Metrics []struct {
		ID         string   `json:"id"`
		Label      string   `json:"label"`
		Categories []string `json:"categories"`
		Amber, Red float64
	} `json:"metrics"`
	Values []avaya.MetricResult `json:"values"`
}

func decodeSnapshot(t testing.TB, data string) snapshotDoc {
	t.Helper()
	var d snapshotDoc
	require.NoError(t, json.Unmarshal([]byte(data), &d))
	return d
}

// recorder keeps every request and response that passes through it
// (headers and bodies, the event streams included), so a test can search
// everything a browser sent and got.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	log  bytes.Buffer
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.log.WriteString(req.Method + " " + req.URL.String() + "\n")
	_ = req.Header.Write(&r.log)
	r.log.Write(body)
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(&recordingWriter{ResponseWriter: w, r: r}, req)
}

// String is everything recorded so far.
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

type recordingWriter struct {
	http.ResponseWriter
	r           *recorder
	wroteHeader bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		w.r.mu.Lock()
		_ = w.Header().Write(&w.r.log)
		w.r.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.r.mu.Lock()
	w.r.log.Write(p)
	w.r.mu.Unlock()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController flush and set deadlines.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
