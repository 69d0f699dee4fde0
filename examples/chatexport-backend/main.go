// Command chatexport-backend is what a customer implements for jtel's
// chat report export, shaped for production: a token endpoint that
// authenticates its client and issues expiring tokens, and a report
// endpoint that checks the token and streams the base64 PDF to a
// temporary file (a few buffers of memory per report, whatever its size)
// before renaming it into place.
//
//	CHATEXPORT_CLIENT_ID=jtel CHATEXPORT_CLIENT_SECRET=... \
//	  go run ./examples/chatexport-backend -addr 127.0.0.1:8089 -dir reports
//	CHATEXPORT_CLIENT_ID=jtel CHATEXPORT_CLIENT_SECRET=... \
//	  go run ./examples/chatexport -base-url http://127.0.0.1:8089
//
// On the jtel Chat Connector's REST tab, point the token post at
// /oauth/token with the body
// {"grant_type":"client_credentials","client_id":"...","client_secret":"..."}
// (or an "Authorization: Basic" header), and the report post at
// /chat-reports with the header
// "Authorization: Bearer $tokenResponse.body.JSON.access_token" and the
// body chatexport.DefaultReportBody.
//
// What protects it: read-header, read, write and idle timeouts; a minimum
// upload rate after a grace period (a client dribbling its body is cut
// off, answered 408); a cap on open connections and on reports processed
// at once (others wait briefly, then get 503 with Retry-After); the
// request body cap of chatexport.MaxReportBody; tokens that expire after
// chatexport.TokenLifetime and are pruned; temporary files removed on
// every failure and at start; graceful shutdown on SIGINT and SIGTERM.
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/contactkit/contactkit/chatexport"
)

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.addr, "addr", cfg.addr, "address to listen on")
	flag.StringVar(&cfg.dir, "dir", cfg.dir, "directory the PDFs are stored in (one back end per directory)")
	flag.IntVar(&cfg.maxReports, "max-reports", cfg.maxReports, "report posts processed at once")
	flag.IntVar(&cfg.maxConns, "max-conns", cfg.maxConns, "open connections at most")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: chatexport-backend [flags]\n\n"+
			"environment:\n  CHATEXPORT_CLIENT_ID      client id the token post must present (required)\n"+
			"  CHATEXPORT_CLIENT_SECRET  its secret (required)\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.clientID, cfg.clientSecret = os.Getenv("CHATEXPORT_CLIENT_ID"), os.Getenv("CHATEXPORT_CLIENT_SECRET")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := serve(ctx, os.Stdout, cfg, nil)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatexport-backend:", err)
		os.Exit(1)
	}
}

// config is everything that bounds the back end.
type config struct {
	addr, dir              string
	clientID, clientSecret string

	maxConns   int           // open connections
	maxReports int           // report posts processed at once
	slotWait   time.Duration // how long a report waits for a slot before 503

	readHeaderTimeout time.Duration // to read a request's headers
	readTimeout       time.Duration // to read a whole request, body included
	writeTimeout      time.Duration // from the end of the headers to the end of the answer
	idleTimeout       time.Duration // a kept-alive connection waiting for its next request
	bodyGrace         time.Duration // before minRate applies
	minRate           int64         // body bytes per second, on average, after bodyGrace
	shutdownGrace     time.Duration // for requests in flight at shutdown

	tokenTTL  time.Duration
	maxTokens int

	connState func(net.Conn, http.ConnState) // tests watch connections
}

func defaultConfig() config {
	return config{
		addr: "127.0.0.1:8089", dir: "chat-reports",
		maxConns: 256, maxReports: 8, slotWait: 10 * time.Second,
		// A client that dribbles its body is cut off after bodyGrace; a
		// 64 MiB post at the minimum rate (2 Mbit/s) takes 256 s, within
		// the read timeout. jtel sends its two posts back to back: a
		// kept-alive connection need not idle long.
		readHeaderTimeout: 5 * time.Second, readTimeout: 5 * time.Minute,
		writeTimeout: 5*time.Minute + 10*time.Second, idleTimeout: 10 * time.Second,
		bodyGrace: 10 * time.Second, minRate: 256 << 10,
		shutdownGrace: 30 * time.Second,
		tokenTTL:      chatexport.TokenLifetime, maxTokens: 10000,
	}
}

// backend keeps the issued tokens and stores reports as files.
type backend struct {
	cfg    config
	out    io.Writer
	rename func(oldpath, newpath string) error // os.Rename; tests make it fail

	mu        sync.Mutex
	tokens    map[string]time.Time // token → expiry
	lastPrune time.Time
	stored    int
}

var errBadClient = errors.New("unknown client or wrong secret")

// issue answers an authenticated token post with a fresh token.
func (b *backend) issue(r *http.Request) (string, error) {
	id, secret, ok := chatexport.ClientCredentials(r)
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(b.cfg.clientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(b.cfg.clientSecret)) == 1
	if !ok || !idOK || !secretOK {
		return "", errBadClient
	}
	tok := chatexport.NewToken()
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.lastPrune) > b.cfg.tokenTTL/10 || len(b.tokens) >= b.cfg.maxTokens {
		b.pruneLocked(now)
	}
	for t := range b.tokens { // still full of live tokens: drop any one
		if len(b.tokens) < b.cfg.maxTokens {
			break
		}
		delete(b.tokens, t)
	}
	b.tokens[tok] = now.Add(b.cfg.tokenTTL)
	return tok, nil
}

func (b *backend) pruneLocked(now time.Time) {
	for t, exp := range b.tokens {
		if now.After(exp) {
			delete(b.tokens, t)
		}
	}
	b.lastPrune = now
}

var errBadToken = errors.New("unknown or expired token")

func (b *backend) authorize(r *http.Request) error {
	tok, ok := chatexport.BearerToken(r)
	b.mu.Lock()
	defer b.mu.Unlock()
	exp, known := b.tokens[tok]
	if !ok || !known {
		return errBadToken
	}
	if time.Now().After(exp) {
		delete(b.tokens, tok)
		return errBadToken
	}
	return nil
}

// tempPrefix names the temporary files of reports being received.
const tempPrefix = ".report-"

// open starts a temporary file in the report directory.
func (b *backend) open(*http.Request) (chatexport.ReportSink, error) {
	f, err := os.CreateTemp(b.cfg.dir, tempPrefix+"*.part")
	if err != nil {
		return nil, err
	}
	return &fileSink{f: f, b: b}, nil
}

// fileSink writes one report to a temporary file and renames it into
// place once it checked out; every failure removes the file.
type fileSink struct {
	f *os.File
	b *backend
}

func (s *fileSink) Write(p []byte) (int, error) { return s.f.Write(p) }

func (s *fileSink) Abort() {
	_ = s.f.Close()
	_ = os.Remove(s.f.Name())
}

func (s *fileSink) Commit(_ *http.Request, rep *chatexport.Report) (err error) {
	defer func() {
		if err != nil {
			s.Abort()
		}
	}()
	if err := s.f.Sync(); err != nil {
		return err
	}
	if err := s.f.Close(); err != nil {
		return err
	}
	b := s.b
	b.mu.Lock()
	b.stored++
	n := b.stored
	b.mu.Unlock()
	connector := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, fmt.Sprint(rep.Fields["connectorId"]))
	name := filepath.Join(b.cfg.dir, fmt.Sprintf("%s-%.40s-%03d.pdf", time.Now().UTC().Format("20060102T150405"), connector, n))
	if err := b.rename(s.f.Name(), name); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "stored %s (%d bytes, connector %v, created %v)\n", name, rep.Size, rep.Fields["connector"], rep.Fields["created"])
	return nil
}

// removeStale removes the temporary files a crashed run left behind.
func removeStale(dir string) error {
	stale, err := filepath.Glob(filepath.Join(dir, tempPrefix+"*.part"))
	for _, f := range stale {
		_ = os.Remove(f)
	}
	return err
}

// limitReports lets at most n report posts in at once; the others wait up
// to wait for a slot and then get 503 with Retry-After.
func limitReports(n int, wait time.Duration, next http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		case <-t.C:
			w.Header().Set("Retry-After", "5")
			// The body was not read: close, or net/http may keep the
			// connection and parse what the client sends next as a request.
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusServiceUnavailable, "busy, try again")
		case <-r.Context().Done():
		}
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"status\":%d,\"error\":%q}\n", status, msg)
}

// minRate cuts off a request body that arrives slower than rate bytes per
// second on average once grace has passed, within the server's read
// timeout: each read gets a deadline that the bytes so far have earned.
func minRate(rate int64, grace, readTimeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			start := time.Now()
			r.Body = &rateBody{ReadCloser: r.Body, rc: http.NewResponseController(w),
				start: start, hard: start.Add(readTimeout), rate: rate, grace: grace}
		}
		next.ServeHTTP(w, r)
	})
}

type rateBody struct {
	io.ReadCloser
	rc          *http.ResponseController
	start, hard time.Time
	n, rate     int64
	grace       time.Duration
}

func (b *rateBody) Read(p []byte) (int, error) {
	earned := b.start.Add(b.grace + time.Duration(float64(b.n)/float64(b.rate)*float64(time.Second)))
	if earned.After(b.hard) {
		earned = b.hard
	}
	_ = b.rc.SetReadDeadline(earned)
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// limitListener accepts at most n connections at a time; the others wait
// in the kernel's backlog.
type limitListener struct {
	net.Listener
	slots  chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// serve runs the back end until ctx ends, then shuts down gracefully.
// ready, if not nil, receives the base URL once listening.
func serve(ctx context.Context, out io.Writer, cfg config, ready chan<- string) error {
	if cfg.clientID == "" || cfg.clientSecret == "" {
		return errors.New("set CHATEXPORT_CLIENT_ID and CHATEXPORT_CLIENT_SECRET: the token endpoint authenticates its client")
	}
	if err := os.MkdirAll(cfg.dir, 0o750); err != nil {
		return err
	}
	if err := removeStale(cfg.dir); err != nil {
		return err
	}
	b := &backend{cfg: cfg, out: out, rename: os.Rename, tokens: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.Handle("/oauth/token", chatexport.TokenHandler(b.issue))
	mux.Handle("/chat-reports", limitReports(cfg.maxReports, cfg.slotWait,
		chatexport.StreamReportHandler(chatexport.DefaultBodyFields, b.authorize, b.open)))
	return run(ctx, out, cfg, minRate(cfg.minRate, cfg.bodyGrace, cfg.readTimeout, mux), ready)
}

func run(ctx context.Context, out io.Writer, cfg config, h http.Handler, ready chan<- string) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.readHeaderTimeout,
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      cfg.writeTimeout,
		IdleTimeout:       cfg.idleTimeout,
		MaxHeaderBytes:    16 << 10,
		ConnState:         cfg.connState,
	}
	fmt.Fprintf(out, "listening on http://%s, storing reports in %s\n", ln.Addr(), cfg.dir)
	if ready != nil {
		ready <- "http://" + ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(newLimitListener(ln, cfg.maxConns)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
	defer cancel()
	err = srv.Shutdown(shutdown)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close() // requests still running past the grace period
	}
	if serr := <-errc; err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}
