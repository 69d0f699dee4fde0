package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactkit/contactkit/internal/testtool"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/chatexport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testID, testSecret = "jtel", "s3cret-$-value"

func testConfig(t testing.TB) config {
	cfg := defaultConfig()
	cfg.addr, cfg.dir = "127.0.0.1:0", t.TempDir()
	cfg.clientID, cfg.clientSecret = testID, testSecret
	return cfg
}

// start runs the back end until the test ends; stop ends it early.
func start(t testing.TB, cfg config) (base string, out *testtool.SyncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	out = &testtool.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, out, cfg, ready) }()
	select {
	case base = <-ready:
	case err := <-done:
		cancel()
		t.Fatal(err)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = fmt.Errorf("server did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return base, out, stop
}

func exporterFor(t *testing.T, base string) *chatexport.Exporter {
	t.Helper()
	exp, err := chatexport.NewExporter(chatexport.Config{
		TokenPost: &chatexport.Post{URL: base + "/oauth/token", Headers: "Content-Type: application/json",
			Body: `{"grant_type":"client_credentials","client_id":"` + testID + `","client_secret":"` + strings.ReplaceAll(testSecret, "$", "$$") + `"}`},
		ReportPost: chatexport.Post{URL: base + "/chat-reports",
			Headers: "Content-Type: application/json\nAuthorization: Bearer $tokenResponse.body.JSON.access_token",
			Body:    chatexport.DefaultReportBody},
	}, chatexport.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
	require.NoError(t, err)
	return exp
}

var chat = &chatexport.Session{ID: "c1", ChatConnectorID: "7", ChatConnectorName: "Shop", Messages: []chatexport.Message{{Sender: "a", Role: chatexport.Customer, Text: "hej"}}}

// The back end stores what a real exporter sends it.
func TestBackendStoresExports(t *testing.T) {
	cfg := testConfig(t)
	base, out, stop := start(t, cfg)
	res, err := exporterFor(t, base).Export(context.Background(), chat)
	require.NoError(t, err)
	assert.Equal(t, 200, res.ReportStatus)

	files, err := filepath.Glob(filepath.Join(cfg.dir, "*.pdf"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	stored, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.Equal(t, res.PDF, stored)
	assert.Contains(t, files[0], "-7-001.pdf")

	bad, err := chatexport.NewExporter(chatexport.Config{ReportPost: chatexport.Post{URL: base + "/chat-reports",
		Headers: "Content-Type: application/json\nAuthorization: Bearer guessed", Body: chatexport.DefaultReportBody}})
	require.NoError(t, err)
	_, err = bad.Export(context.Background(), chat)
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)

	require.NoError(t, stop())
	assert.Contains(t, out.String(), "stored ")
	temps, _ := filepath.Glob(filepath.Join(cfg.dir, tempPrefix+"*"))
	assert.Empty(t, temps)
}

func TestRefusesToStartWithoutClientCredentials(t *testing.T) {
	cfg := testConfig(t)
	cfg.clientSecret = ""
	err := serve(context.Background(), io.Discard, cfg, nil)
	assert.ErrorContains(t, err, "CHATEXPORT_CLIENT_SECRET")
}

// Only the configured client gets a token.
func TestTokenEndpointAuthenticatesItsClient(t *testing.T) {
	base, _, _ := start(t, testConfig(t))
	post := func(body string, basic ...string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(body))
		if len(basic) == 2 {
			req.SetBasicAuth(basic[0], basic[1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 401, post(`{}`), "anyone")
	assert.Equal(t, 401, post(`{"client_id":"jtel","client_secret":"guess"}`))
	assert.Equal(t, 401, post(``, testID, "guess"))
	assert.Equal(t, 200, post(`{"client_id":"jtel","client_secret":"`+testSecret+`"}`))
	assert.Equal(t, 200, post(`client_id=jtel&client_secret=`+strings.ReplaceAll(testSecret, "$", "%24")))
	assert.Equal(t, 200, post(``, testID, testSecret))
	http.DefaultClient.CloseIdleConnections()
}

func tokenRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/", nil)
	r.SetBasicAuth(testID, testSecret)
	return r
}

// Tokens expire, expired ones are pruned, and the map is bounded.
func TestTokensExpireAndArePruned(t *testing.T) {
	cfg := testConfig(t)
	cfg.tokenTTL, cfg.maxTokens = 30*time.Millisecond, 5
	b := &backend{cfg: cfg, tokens: map[string]time.Time{}}
	var toks []string
	for range 8 {
		tok, err := b.issue(tokenRequest())
		require.NoError(t, err)
		toks = append(toks, tok)
	}
	assert.Len(t, b.tokens, 5, "bounded")
	use := func(tok string) error {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return b.authorize(r)
	}
	require.NoError(t, use(toks[7]))
	time.Sleep(40 * time.Millisecond)
	assert.ErrorIs(t, use(toks[7]), errBadToken, "expired")
	_, err := b.issue(tokenRequest())
	require.NoError(t, err)
	assert.Len(t, b.tokens, 1, "expired tokens pruned")
}

// A failed rename (or any failure) leaves no temporary file behind, and
// the files of a crashed run are removed at start.
func TestTemporaryFilesAlwaysCleanedUp(t *testing.T) {
	cfg := testConfig(t)
	stale := filepath.Join(cfg.dir, tempPrefix+"crashed.part")
	require.NoError(t, os.WriteFile(stale, []byte("half a report"), 0o600))
	b := &backend{cfg: cfg, out: io.Discard, tokens: map[string]time.Time{},
		rename: func(string, string) error { return fmt.Errorf("cross-device link") }}
	require.NoError(t, removeStale(cfg.dir))
	h := chatexport.StreamReportHandler(chatexport.DefaultBodyFields, nil, b.open)
	srv := newServer(t, h)
	for i := range 20 {
		body, _ := reportBody(3 << 16)
		resp, err := http.Post(srv+"/", "application/json", body)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, 500, resp.StatusCode, i)
		// and a report cut off half way
		resp, err = http.Post(srv+"/", "application/json", io.LimitReader(must(reportBody(3<<16)), 1000))
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, 400, resp.StatusCode)
	}
	left, err := os.ReadDir(cfg.dir)
	require.NoError(t, err)
	assert.Empty(t, left, "nothing left behind")
}

func must(r io.Reader, _ int64) io.Reader { return r }

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, io.Discard, cfg, h, ready) }()
	t.Cleanup(func() {
		cancel()
		<-done
		http.DefaultClient.CloseIdleConnections()
	})
	return <-ready
}

// reportBody streams a report post of a PDF of n bytes without holding
// it: a valid PDF header, then filler, base64 encoded on the fly.
func reportBody(n int) (io.Reader, int64) {
	const block = 3 << 16 // a multiple of 3: blocks encode without padding
	head := make([]byte, block)
	copy(head, "%PDF-1.4\n")
	for i := 9; i < block; i++ {
		head[i] = byte('a' + i%26)
	}
	encHead := base64.StdEncoding.EncodeToString(head)
	blocks := n / block
	var parts []io.Reader
	prefix := fmt.Sprintf(`{"connectorId":"7","connector":"load","bytes":"%d","report":"`, blocks*block)
	parts = append(parts, strings.NewReader(prefix))
	for range blocks {
		parts = append(parts, strings.NewReader(encHead))
	}
	parts = append(parts, strings.NewReader(`"}`))
	return io.MultiReader(parts...), int64(len(prefix) + blocks*len(encHead) + 2)
}

// tokenFor fetches a token from the back end.
func tokenFor(t testing.TB, base string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/oauth/token", nil)
	req.SetBasicAuth(testID, testSecret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, string(b))
	tok, _, _ := strings.Cut(strings.TrimPrefix(string(b), `{"access_token":"`), `"`)
	return tok
}

// postReport posts a streamed report of n bytes of PDF.
func postReport(base, tok string, n int) (int, error) {
	body, size := reportBody(n)
	req, _ := http.NewRequest(http.MethodPost, base+"/chat-reports", body)
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// heapPeak samples the live heap until stop is called and returns the
// highest value seen above the value at the start.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		if p := peak.Load(); p > base {
			return p - base
		}
		return 0
	}
}

// Eight concurrent reports cost buffers, not their size: the heap peak
// of this back end is a fraction of chatexport.ReportHandler's, which
// holds each PDF (the figures at full size: BenchmarkMaxReports).
func TestConcurrentReportsStreamToDisk(t *testing.T) {
	const n, size = 8, 2 << 20
	peaks := map[string]uint64{}
	for _, mode := range []string{"stream-to-file", "in-memory"} {
		cfg := testConfig(t)
		cfg.bodyGrace = time.Minute // a CPU-starved CI run reads slowly; not the point here
		base := startMode(t, cfg, mode)
		tok := tokenFor(t, base)
		stop := heapPeak()
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() {
				code, err := postReport(base, tok, size)
				assert.NoError(t, err)
				codes[i] = code
			})
		}
		wg.Wait()
		peaks[mode] = stop()
		http.DefaultClient.CloseIdleConnections()
		for i, c := range codes {
			assert.Equal(t, 200, c, "%s %d", mode, i)
		}
		if mode == "stream-to-file" {
			files, _ := filepath.Glob(filepath.Join(cfg.dir, "*.pdf"))
			assert.Len(t, files, n)
		}
	}
	t.Logf("heap peak above start, %d concurrent reports of %d MiB: streamed to files %.1f MiB, in memory %.1f MiB",
		n, size>>20, float64(peaks["stream-to-file"])/(1<<20), float64(peaks["in-memory"])/(1<<20))
	assert.Less(t, peaks["stream-to-file"], peaks["in-memory"]/2)
}

// startMode runs this back end, or (mode "in-memory") the same one with
// chatexport.ReportHandler, which holds each PDF in memory.
func startMode(t testing.TB, cfg config, mode string) string {
	t.Helper()
	if mode == "stream-to-file" {
		base, _, _ := start(t, cfg)
		return base
	}
	bk := &backend{cfg: cfg, tokens: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.Handle("/oauth/token", chatexport.TokenHandler(bk.issue))
	mux.Handle("/chat-reports", chatexport.ReportHandler(chatexport.DefaultBodyFields, bk.authorize,
		func(*http.Request, *chatexport.Report) error { return nil }))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, io.Discard, cfg, mux, ready) }()
	t.Cleanup(func() { cancel(); <-done })
	return <-ready
}

// BenchmarkMaxReports posts 8 concurrent reports of the maximum size
// (63 MiB of base64 body, 47 MiB of PDF) and reports the peak heap above
// the start: streamed to temporary files by this back end, and held in
// memory by chatexport.ReportHandler ("in-memory") for comparison.
//
//	go test -run '^$' -bench MaxReports -benchtime 1x ./examples/chatexport-backend
func BenchmarkMaxReports(b *testing.B) {
	const n = 8
	size := (chatexport.MaxReportBody - (1 << 20)) / 4 * 3 // 63 MiB of base64
	for _, mode := range []string{"stream-to-file", "in-memory"} {
		b.Run(mode, func(b *testing.B) {
			cfg := testConfig(b)
			cfg.maxReports = n
			base := startMode(b, cfg, mode)
			tok := tokenFor(b, base)
			var peak uint64
			for b.Loop() {
				stop := heapPeak()
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						if code, err := postReport(base, tok, size); err != nil || code != 200 {
							b.Errorf("status %d: %v", code, err)
						}
					})
				}
				wg.Wait()
				peak = max(peak, stop())
			}
			http.DefaultClient.CloseIdleConnections()
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(size)/(1<<20), "PDF-MiB/report")
		})
	}
}

// Idle, slow-header and slow-body clients are cut off by the timeouts and
// the minimum rate: the connections they hold fall to zero.
func TestSlowAndIdleClientsAreDropped(t *testing.T) {
	const each = 50
	var open atomic.Int64
	cfg := testConfig(t)
	cfg.readHeaderTimeout, cfg.readTimeout, cfg.idleTimeout = 200*time.Millisecond, 2*time.Second, 200*time.Millisecond
	cfg.bodyGrace, cfg.minRate = 200*time.Millisecond, 64<<10
	cfg.connState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	base, _, _ := start(t, cfg)
	tok := tokenFor(t, base)
	http.DefaultClient.CloseIdleConnections()
	addr := strings.TrimPrefix(base, "http://")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	dribble := func(first string, then string) {
		defer wg.Done()
		c, err := net.Dial("tcp", addr)
		if !assert.NoError(t, err) {
			return
		}
		defer c.Close()
		if _, err := io.WriteString(c, first); err != nil {
			return
		}
		for then != "" {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := io.WriteString(c, then); err != nil {
				return // cut off
			}
		}
		_, _ = io.Copy(io.Discard, c) // idle: until the server closes
	}
	for range each {
		wg.Add(3)
		go dribble("", "")                                 // connects and says nothing
		go dribble("POST /chat-reports HTTP/1.1\r\n", "X") // headers that never end
		go dribble("POST /chat-reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+
			"\r\nContent-Length: 1000000\r\n\r\n{\"report\":\"", "A") // a body at 20 B/s
	}
	startAt := time.Now()
	var timeline []string
	deadline := startAt.Add(3 * time.Second)
	for {
		n := open.Load()
		timeline = append(timeline, fmt.Sprintf("%v:%d", time.Since(startAt).Round(50*time.Millisecond), n))
		if (n == 0 && time.Since(startAt) > 100*time.Millisecond) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("open connections over time (of %d hostile clients): %s", 3*each, strings.Join(timeline, " "))
	assert.Zero(t, open.Load(), "every hostile connection is closed within 3 s")
	cancel()
	wg.Wait()
}

// Report posts beyond the concurrency bound wait for a slot, then get 503.
func TestReportsBeyondTheBoundGet503(t *testing.T) {
	cfg := testConfig(t)
	cfg.maxReports, cfg.slotWait = 1, 50*time.Millisecond
	base, _, _ := start(t, cfg)
	tok := tokenFor(t, base)
	pr, pw := io.Pipe()
	defer pw.Close()
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/chat-reports", pr)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		_ = resp.Body.Close()
		first <- resp.StatusCode
	}()
	_, _ = io.WriteString(pw, `{"report":"`) // holds the one slot
	time.Sleep(20 * time.Millisecond)
	code, err := postReport(base, tok, 3<<16)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	_, _ = io.WriteString(pw, base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n"))+`"}`)
	_ = pw.Close()
	assert.Equal(t, 200, <-first)
	http.DefaultClient.CloseIdleConnections()
}

// Shutdown lets a report in flight finish, then returns.
func TestGracefulShutdown(t *testing.T) {
	cfg := testConfig(t)
	base, _, stop := start(t, cfg)
	tok := tokenFor(t, base)
	pr, pw := io.Pipe()
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/chat-reports", pr)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- 0
			return
		}
		_ = resp.Body.Close()
		result <- resp.StatusCode
	}()
	_, _ = io.WriteString(pw, `{"connectorId":"9","report":"`)
	time.Sleep(50 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(50 * time.Millisecond)
	_, _ = io.WriteString(pw, base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n"))+`"}`)
	_ = pw.Close()
	assert.Equal(t, 200, <-result, "the report in flight is stored")
	require.NoError(t, <-stopped)
	files, _ := filepath.Glob(filepath.Join(cfg.dir, "*-9-001.pdf"))
	assert.Len(t, files, 1)
	http.DefaultClient.CloseIdleConnections()
}
