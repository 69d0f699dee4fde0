// Command avaya-export exports an Avaya Call Reporting historic report
// into a database every -every interval (avaya/reportstore): each run
// stores every whole window (-window, a day by default) since the last
// one stored, each window exactly once, and says what it stored.
//
// Without -base-url it starts the fake Call Reporting server in-process
// and exports its documented Agent Talking Summary for the last three
// days. With -base-url it talks to a real server, with the service user
// key in AVAYA_TOKEN and the report's Report UUID in -report.
//
// The database is a SQLite file by default (-dsn avaya-export.db, created
// on first use); -dsn postgres://user@host/db exports into PostgreSQL.
// Run it again later and it continues where it stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/reportstore"
)

type config struct {
	baseURL, token, report, dsn, start string
	window, every                      time.Duration
	now                                func() time.Time
}

func main() {
	cfg := config{now: time.Now}
	flag.StringVar(&cfg.baseURL, "base-url", "", "Call Reporting server URL (default: the in-process fake)")
	flag.StringVar(&cfg.report, "report", "", "the report's Report UUID (default: the fake's Agent Talking Summary)")
	flag.StringVar(&cfg.dsn, "dsn", "avaya-export.db", "SQLite file, or postgres://user@host/db")
	flag.StringVar(&cfg.start, "start", "", "first window's start, 2006-01-02 (local midnight; default: three days ago), used on the first run only")
	flag.DurationVar(&cfg.window, "window", 24*time.Hour, "window length")
	flag.DurationVar(&cfg.every, "every", 0, "export again at this interval until interrupted (0: once)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: avaya-export [-base-url URL -report UUID] [-dsn DSN] [-every 1h]\n\n"+
			"environment:\n  AVAYA_TOKEN  service user key (required with -base-url)\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.token = os.Getenv("AVAYA_TOKEN")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avaya-export:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, cfg config) error {
	if cfg.baseURL == "" {
		srv := avayatest.NewServer()
		defer srv.Close()
		srv.CacheNextReports(1) // the cloud edition's 202: the export asks again
		cfg.baseURL, cfg.token, cfg.report = srv.URL(), srv.Token, avayatest.AgentTalkingSummary
		fmt.Fprintf(out, "fake Call Reporting server at %s\n", cfg.baseURL)
	}
	switch {
	case cfg.token == "":
		return errors.New("AVAYA_TOKEN is required with -base-url")
	case cfg.report == "":
		return errors.New("-report is required with -base-url")
	}
	start := time.Date(cfg.now().Year(), cfg.now().Month(), cfg.now().Day()-3, 0, 0, 0, 0, time.Local)
	if cfg.start != "" {
		var err error
		if start, err = time.ParseInLocation("2006-01-02", cfg.start, time.Local); err != nil {
			return fmt.Errorf("-start: %w", err)
		}
	}
	client, err := avaya.NewClient(cfg.baseURL, contactkit.StaticToken(cfg.token))
	if err != nil {
		return err
	}
	db, err := reportstore.Open(ctx, cfg.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	exp, err := reportstore.New(ctx, db, client, reportstore.Config{ReportKey: cfg.report, Start: start, Window: cfg.window})
	if err != nil {
		return err
	}
	for {
		p, err := exp.Run(ctx, cfg.now())
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		var rows int
		if qerr := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+exp.Table()).Scan(&rows); qerr != nil {
			rows = 0 // no window stored yet: no table yet
		}
		fmt.Fprintf(out, "exported %d windows; %s holds %d rows; next window starts %s\n",
			p.Windows, exp.Table(), rows, p.Next.Format("2006-01-02 15:04 MST"))
		if cfg.every <= 0 || err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(cfg.every):
		}
	}
}
