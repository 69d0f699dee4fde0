// Command avaya-webservice is the Web Service Integration use case of the
// Call Reporting document (section 7.0): "notify another system (like a
// CRM) to create a record each time a phone call finishes", with the
// call's external listen link in the record.
//
// Avaya's Web Service Integration profile sends a request to this
// program's receiver when a call finishes; the receiver answers at once
// and, on its worker pool, makes the call's external listen link
// (POST /rest/api/v1/calls/{call-key}/external-listen-link) and posts it
// to the CRM.
//
// Without flags it needs no account: it starts an in-process fake Call
// Reporting server, a CRM stand-in (a local HTTP server that prints what
// it got) and the receiver, lets the fake's profile send -calls finished
// calls, prints what the CRM received and stops. Add -serve to keep
// everything running until SIGINT or SIGTERM.
//
// With -base-url it is the real thing: it listens on -listen for the Call
// Reporting server, checks the shared secret in AVAYA_WS_SECRET (set the
// same value as a custom HTTP header in the profile), makes links with the
// service user key in AVAYA_TOKEN and posts to -crm-url (the stand-in when
// empty), until SIGINT or SIGTERM.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/webservice"
)

// receiverPath is where the profile's Target URL points.
const receiverPath = "/avaya/call-finished"

type options struct {
	baseURL, token   string // Call Reporting server and service user key
	listen           string // receiver address
	header, secret   string // the profile's custom header and its value
	crmURL           string // where records go ("" → the stand-in)
	calls            int    // finished calls the fake's profile sends
	serve            bool   // keep running until ctx ends
	shutdownGrace    time.Duration
	crmClientTimeout time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.baseURL, "base-url", "", "Call Reporting server, e.g. http://10.0.0.101:9080 (empty: in-process fake)")
	flag.StringVar(&o.listen, "listen", "", "receiver address, e.g. :8080 (default 127.0.0.1 on a free port)")
	flag.StringVar(&o.header, "header", webservice.DefaultHeaderName, "custom HTTP header of the profile that carries the shared secret")
	flag.StringVar(&o.crmURL, "crm-url", "", "URL that records are POSTed to as JSON (empty: a local CRM stand-in)")
	flag.IntVar(&o.calls, "calls", 3, "finished calls the fake's profile sends (without -base-url)")
	flag.BoolVar(&o.serve, "serve", false, "keep running until SIGINT/SIGTERM (always with -base-url)")
	flag.DurationVar(&o.shutdownGrace, "shutdown-grace", 20*time.Second, "time to finish queued calls on SIGINT/SIGTERM")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: avaya-webservice [-base-url URL -listen ADDR] [-crm-url URL] [flags]\n\n"+
			"environment (with -base-url):\n  AVAYA_TOKEN      service user key (for the external listen links)\n"+
			"  AVAYA_WS_SECRET  the shared secret the profile sends in -header\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.token, o.secret = os.Getenv("AVAYA_TOKEN"), os.Getenv("AVAYA_WS_SECRET")
	o.crmClientTimeout = 10 * time.Second
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err := run(ctx, os.Stdout, log, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avaya-webservice:", err)
		os.Exit(1)
	}
}

// crmRecord is what the CRM gets for a finished call.
type crmRecord struct {
	CallKey    string    `json:"callKey"`
	ListenLink string    `json:"listenLink"`
	Start      time.Time `json:"start,omitzero"`
	Seconds    float64   `json:"durationSeconds,omitempty"`
	Agent      string    `json:"agent,omitempty"`
	Extension  string    `json:"extension,omitempty"`
	Caller     string    `json:"caller,omitempty"`
}

func run(ctx context.Context, out io.Writer, log *slog.Logger, o options) error {
	demo := o.baseURL == ""
	var fake *avayatest.Server
	if demo {
		fake = avayatest.NewServer()
		defer fake.Close()
		o.baseURL, o.token = fake.URL(), fake.Token
		fmt.Fprintf(out, "Call Reporting: in-process fake at %s\n", o.baseURL)
		if o.secret == "" {
			o.secret = rand.Text() // the value an admin puts in the profile's header
		}
		if o.listen == "" {
			o.listen = "127.0.0.1:0"
		}
	}
	switch {
	case o.token == "":
		return errors.New("AVAYA_TOKEN is required with -base-url: the service user key")
	case o.secret == "":
		return errors.New("AVAYA_WS_SECRET is required with -base-url: the shared secret the profile sends in " + o.header)
	case o.listen == "":
		return errors.New("-listen is required with -base-url: the address the Call Reporting server reaches")
	}
	client, err := avaya.NewClient(o.baseURL, contactkit.StaticToken(o.token), avaya.WithUserAgent("avaya-webservice-example/1"))
	if err != nil {
		return err
	}

	var printMu sync.Mutex
	printf := func(format string, args ...any) {
		printMu.Lock()
		defer printMu.Unlock()
		fmt.Fprintf(out, format, args...)
	}
	var crm *standIn
	if o.crmURL == "" {
		if crm, err = startStandIn(printf, log); err != nil {
			return err
		}
		defer crm.close()
		o.crmURL = crm.url
		printf("CRM stand-in: %s\n", o.crmURL)
	}

	crmClient := &http.Client{Timeout: o.crmClientTimeout}
	rc, err := webservice.New(o.header, o.secret, func(ctx context.Context, r *webservice.Request) error {
		return onCallFinished(ctx, client, crmClient, o.crmURL, r)
	}, webservice.WithLogger(log))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		_ = rc.Shutdown(ctx)
		return err
	}
	srv := webservice.NewServer(o.listen, rc, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	target := "http://" + ln.Addr().String() + receiverPath
	printf("receiver: %s (secret in header %s)\n", target, o.header)

	if demo {
		if err := sendFinishedCalls(ctx, fake, o, target, printf); err != nil {
			_ = stopAll(srv, rc, served, o.shutdownGrace)
			return err
		}
	}
	if o.serve || !demo {
		printf("serving until SIGINT or SIGTERM\n")
		<-ctx.Done()
	}
	err = stopAll(srv, rc, served, o.shutdownGrace)
	st := rc.Stats()
	printf("receiver: %d accepted, %d handled, %d failed, %d refused (401), %d rejected, %d answered 503\n",
		st.Accepted, st.Handled, st.Failed+st.Panicked+st.Dropped, st.Unauthorized, st.Rejected, st.Busy)
	if crm != nil {
		printf("CRM stand-in got %d record(s)\n", crm.count())
	}
	return err
}

// onCallFinished is the work for one finished call: the call's external
// listen link, posted to the CRM. An error is retried by the receiver.
func onCallFinished(ctx context.Context, client *avaya.Client, hc *http.Client, crmURL string, r *webservice.Request) error {
	key, err := r.CallKey()
	if err != nil {
		return err // not retried: the profile sends no usable call key
	}
	link, err := client.CallListenLink(ctx, key)
	if err != nil {
		if errors.Is(err, contactkit.ErrNotFound) || errors.Is(err, contactkit.ErrForbidden) {
			return webservice.Permanent(err)
		}
		return err
	}
	rec := crmRecord{CallKey: string(key), ListenLink: link.String(), Agent: r.Agent(), Extension: r.Extension(), Caller: r.Caller()}
	if t, err := r.StartTime(); err == nil {
		rec.Start = t.UTC()
	}
	if d, err := r.Duration(); err == nil {
		rec.Seconds = d.Seconds()
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, crmURL, bytes.NewReader(body))
	if err != nil {
		return webservice.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", string(key)) // the receiver may retry: let the CRM see the same record once
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("CRM answered %s", resp.Status)
	}
	return nil
}

// sendFinishedCalls plays Avaya: its profile sends o.calls finished calls
// to the receiver, the document's call first.
func sendFinishedCalls(ctx context.Context, fake *avayatest.Server, o options, target string, printf func(string, ...any)) error {
	profile := &avayatest.WebServiceProfile{
		Name: "CRM on call finished", TargetURL: target, Method: http.MethodPost,
		Params:  avayatest.DefaultWebServiceParams(),
		Headers: http.Header{o.header: {o.secret}},
		Client:  &http.Client{Timeout: 10 * time.Second},
	}
	keys := []avaya.Key{avayatest.DocumentedCall}
	for i := 1; i < o.calls; i++ {
		start := time.Date(2019, 9, 18, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 17 * time.Minute)
		keys = append(keys, fake.AddRecording("", start, int64(8000*(60+i*45)), avaya.StatusSaved).Key)
	}
	for i, key := range keys[:min(len(keys), max(o.calls, 0))] {
		call, _ := fake.FinishedCall(key)
		t0 := time.Now()
		res, err := profile.Send(ctx, call)
		if err != nil {
			return fmt.Errorf("sending call %d: %w", i+1, err)
		}
		printf("call %d/%d finished: Avaya's profile sent %s, answered %d in %v\n",
			i+1, o.calls, key, res.Status, time.Since(t0).Round(100*time.Microsecond))
	}
	return nil
}

// stopAll stops the receiver's server (no new requests), then the
// receiver (finishes the queued calls).
func stopAll(srv *http.Server, rc *webservice.Receiver, served <-chan error, grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if rerr := rc.Shutdown(ctx); err == nil {
		err = rerr
	}
	return err
}

// standIn is a small CRM: it prints each record it is posted and keeps one
// record per Idempotency-Key.
type standIn struct {
	url  string
	log  *slog.Logger
	srv  *http.Server
	done chan error
	mu   sync.Mutex
	seen map[string]bool
}

func startStandIn(printf func(string, ...any), log *slog.Logger) (*standIn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &standIn{url: "http://" + ln.Addr().String() + "/records", log: log, done: make(chan error, 1), seen: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /records", func(w http.ResponseWriter, r *http.Request) {
		var rec crmRecord
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&rec); err != nil {
			http.Error(w, "bad record", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		dup := s.seen[r.Header.Get("Idempotency-Key")]
		s.seen[r.Header.Get("Idempotency-Key")] = true
		s.mu.Unlock()
		if !dup {
			who := strings.TrimSpace(fmt.Sprintf("%s (%s)", rec.Agent, rec.Extension))
			printf("CRM got: call %s at %s, %v, %s, from %s\n         listen: %s\n", printable(rec.CallKey),
				rec.Start.Format("2006-01-02 15:04:05 MST"), time.Duration(rec.Seconds*float64(time.Second)).Round(time.Second),
				printable(who), printable(rec.Caller), printable(rec.ListenLink))
		}
		w.WriteHeader(http.StatusCreated)
	})
	s.srv = &http.Server{
		Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// printable replaces what a terminal would act on (escape sequences,
// carriage returns, bidi overrides) with U+FFFD: caller numbers and names
// come from the telephone network, where anyone can set them.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsGraphic(r) {
			return r
		}
		return unicode.ReplacementChar
	}, s)
}

func (s *standIn) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func (s *standIn) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	if err := <-s.done; !errors.Is(err, http.ErrServerClosed) {
		s.log.Warn("CRM stand-in stopped", "error", err)
	}
}
