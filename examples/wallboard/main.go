// Command wallboard serves Avaya Call Reporting realtime metrics to
// browsers: a wallboard page, and a one-line widget embedded with one
// <script> tag in a page of another origin (a demo "web site" on a second
// port), fed by one upstream subscription over Server-Sent Events.
//
//	go run ./examples/wallboard
//	wallboard:     http://127.0.0.1:8080/
//	widget demo:   http://127.0.0.1:8081/
//	...
//
// Without -base-url it runs against an in-process fake Call Reporting
// server whose simulated call centre changes every few hundred
// milliseconds. With -base-url it uses the service user key in
// AVAYA_TOKEN (it stays on this server; browsers never see it) and the
// metrics in -metrics, each "ID" or "ID:amber:red" (thresholds: a count,
// or seconds for durations).
//
// Every server it runs bounds slow and idle clients (ReadHeaderTimeout,
// IdleTimeout, MaxHeaderBytes); the event streams have no write timeout
// but end as soon as their browser goes, and the handler drops a viewer
// whose connection takes nothing for 10 s. SIGINT or SIGTERM shut it
// down cleanly, open streams included.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/wallboard"
)

func main() { os.Exit(mainCode(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)) }

// mainCode is main without the exit: flags, environment, SIGINT and
// SIGTERM; it returns the exit code.
func mainCode(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("wallboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.baseURL, "base-url", "", "Call Reporting server (empty: in-process fake)")
	fs.StringVar(&cfg.metrics, "metrics", "", `metrics to show, comma-separated "ID" or "ID:amber:red" (default with the fake: all of its metrics)`)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "address of the wallboard")
	fs.StringVar(&cfg.widgetAddr, "widget-addr", cfg.widgetAddr, `address of the widget demo page, another origin ("" for none)`)
	fs.StringVar(&cfg.title, "title", cfg.title, "wallboard title")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: wallboard [-base-url URL -metrics ID[:amber:red],...] [-addr host:port]\n\n"+
			"environment (with -base-url):\n  AVAYA_TOKEN  service user key (stays on this server)\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.token = getenv("AVAYA_TOKEN")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, stdout, cfg); err != nil {
		fmt.Fprintln(stderr, "wallboard:", err)
		return 1
	}
	return 0
}

// config is what run serves.
type config struct {
	baseURL, token, metrics string
	addr, widgetAddr, title string

	readHeaderTimeout, readTimeout, idleTimeout time.Duration
	heartbeat                                   time.Duration // 0: the handler's default
	logger                                      *slog.Logger
}

func defaultConfig() config {
	return config{
		addr: "127.0.0.1:8080", widgetAddr: "127.0.0.1:8081", title: "Support line",
		readHeaderTimeout: 5 * time.Second, readTimeout: 10 * time.Second, idleTimeout: 60 * time.Second,
	}
}

// fakeMetrics is what the wallboard shows of the fake's call centre.
var fakeMetrics = []wallboard.Metric{
	{ID: avayatest.MetricCallsInQueue, Amber: 4, Red: 6, Widget: "{value} calls in queue"},
	{ID: avayatest.MetricLongestWait, Label: "Current Wait", Amber: 60, Red: 180, Widget: "Current wait {value}"},
	{ID: avayatest.MetricAgentsTalking},
	{ID: avayatest.MetricAgentState},
	{ID: avayatest.MetricAgentAvailable},
	{ID: avayatest.MetricAgentTalkTime},
	{ID: avayatest.MetricAvgTalkTime, Amber: 180, Red: 300},
}

// parseMetrics reads "ID" and "ID:amber:red" items.
func parseMetrics(list string) ([]wallboard.Metric, error) {
	var out []wallboard.Metric
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		m := wallboard.Metric{ID: parts[0]}
		switch len(parts) {
		case 1:
		case 3:
			var err1, err2 error
			m.Amber, err1 = strconv.ParseFloat(parts[1], 64)
			m.Red, err2 = strconv.ParseFloat(parts[2], 64)
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("-metrics %q: %w", item, err)
			}
		default:
			return nil, fmt.Errorf(`-metrics %q: want "ID" or "ID:amber:red"`, item)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, errors.New("-metrics: name at least one metric id")
	}
	return out, nil
}

// newServer bounds what a client may hold: a slow header, a request that
// trickles in, or an idle keep-alive connection is closed. ReadTimeout
// bounds reading the request only (net/http lifts the read deadline once a
// handler runs), so event streams outlive it. No WriteTimeout: it would
// cut every event stream; the handler's own per-write deadline drops
// stalled ones.
func newServer(h http.Handler, cfg config) *http.Server {
	return &http.Server{
		Handler: h, ReadHeaderTimeout: cfg.readHeaderTimeout, ReadTimeout: cfg.readTimeout,
		IdleTimeout: cfg.idleTimeout, MaxHeaderBytes: 16 << 10,
	}
}

func run(ctx context.Context, out io.Writer, cfg config) error {
	metrics := fakeMetrics
	fake := cfg.baseURL == ""
	if fake {
		srv := avayatest.NewServer()
		defer srv.Close()
		cfg.baseURL, cfg.token = srv.URL(), srv.Token
		if cfg.metrics != "" {
			var err error
			if metrics, err = parseMetrics(cfg.metrics); err != nil {
				return err
			}
		}
	} else {
		if cfg.token == "" {
			return errors.New("set AVAYA_TOKEN to the service user key")
		}
		var err error
		if metrics, err = parseMetrics(cfg.metrics); err != nil {
			return err
		}
	}
	c, err := avaya.NewClient(cfg.baseURL, contactkit.StaticToken(cfg.token))
	if err != nil {
		return err
	}

	board, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	var site net.Listener
	if cfg.widgetAddr != "" {
		if site, err = net.Listen("tcp", cfg.widgetAddr); err != nil {
			board.Close()
			return err
		}
	}
	boardURL := "http://" + board.Addr().String()
	wcfg := wallboard.Config{Title: cfg.title, Metrics: metrics, Heartbeat: cfg.heartbeat, Logger: cfg.logger}
	if site != nil {
		wcfg.AllowOrigins = []string{"http://" + site.Addr().String()}
	}
	h, err := wallboard.New(c, wcfg)
	if err != nil {
		board.Close()
		if site != nil {
			site.Close()
		}
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- h.Run(ctx) }()

	boardSrv := newServer(h, cfg)
	servers := []*http.Server{boardSrv}
	serveErr := make(chan error, 2)
	go func() { serveErr <- boardSrv.Serve(board) }()
	fmt.Fprintf(out, "wallboard:     %s/\n", boardURL)
	if site != nil {
		siteSrv := newServer(demoSite(boardURL+"/widget.js", metrics), cfg)
		servers = append(servers, siteSrv)
		go func() { serveErr <- siteSrv.Serve(site) }()
		fmt.Fprintf(out, "widget demo:   http://%s/ (another origin: one <script src=%q> tag)\n", site.Addr(), boardURL+"/widget.js")
	}
	fmt.Fprintf(out, "snapshot JSON: %s/snapshot.json\n", boardURL)
	fmt.Fprintf(out, "event stream:  %s/events\n", boardURL)
	if fake {
		fmt.Fprintln(out, "source:        in-process fake call centre (use -base-url for a real server)")
	} else {
		fmt.Fprintf(out, "source:        %s (the key stays on this server)\n", cfg.baseURL)
	}
	fmt.Fprintln(out, "press Ctrl-C to stop")

	var result error
	select {
	case <-ctx.Done():
	case err := <-runErr: // the subscription was refused
		result = err
		runErr <- err
	case err := <-serveErr:
		result = err
	}
	cancel() // ends the subscription, and with it every open stream
	if err := <-runErr; result == nil && err != nil && !errors.Is(err, context.Canceled) {
		result = err
	}
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	for _, s := range servers {
		if err := s.Shutdown(shutdown); err != nil && result == nil {
			result = err
		}
	}
	if result == nil {
		fmt.Fprintln(out, "stopped")
	}
	return result
}

// demoSite is "a customer's web site" on another origin, embedding the
// widget with one script tag.
func demoSite(widgetSrc string, metrics []wallboard.Metric) http.Handler {
	var ids []string
	for _, m := range metrics {
		if m.Widget != "" {
			ids = append(ids, m.ID)
		}
	}
	page := template.Must(template.New("site").Parse(demoPage))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src "+originOf(widgetSrc)+"; connect-src "+originOf(widgetSrc))
		_ = page.Execute(w, struct{ Src, Metrics string }{widgetSrc, strings.Join(ids, ",")})
	})
}

func originOf(u string) string {
	rest, _ := strings.CutPrefix(u, "http://")
	host, _, _ := strings.Cut(rest, "/")
	return "http://" + host
}

const demoPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Support</title>
<style>
body{font-family:system-ui,"DejaVu Sans",sans-serif;margin:0;background:#f8fafc;color:#0f172a}
header{background:#1d4ed8;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.6rem}
main{max-width:46rem;margin:2rem auto;padding:0 1.5rem;line-height:1.6}
.hotline{background:#fff;border:1px solid #cbd5e1;border-radius:.6rem;padding:1.2rem 1.5rem}
.hotline h2{margin:0 0 .3rem;font-size:1.2rem}.phone{font-size:1.5rem;font-weight:700;margin:.2rem 0 .6rem}
.contactkit-widget{display:inline-block;padding:.35rem .8rem;border-radius:999px;background:#dcfce7;color:#14532d;font-weight:600}
.contactkit-widget[data-state="reconnecting"],.contactkit-widget[data-state="stopped"]{background:#fee2e2;color:#7f1d1d}
</style></head>
<body><header><h1>Acme Support</h1></header><main>
<p>Questions about your order? Our team is here for you Monday to Friday, 8:00 to 18:00.</p>
<section class="hotline" aria-label="Phone support"><h2>Call us</h2><p class="phone">+1 555 0100</p>
<p>Right now: <script src="{{.Src}}" data-metrics="{{.Metrics}}" async></script></p></section>
</main></body></html>
`
