// Command callstats-store runs jtel's writeCallStatistics receiver storing
// every record exactly once in a database (salesforce/sqlstore), and
// prints the stored calls.
//
// Without -listen it runs the receiver on localhost, sends it the five
// records of the example call in jtel's document twice each (as jtel
// does when an answer is lost), and prints the calls stored: five
// records, not ten.
//
// With -listen it serves jtel until SIGINT or SIGTERM, answering on -path
// with the bearer token in WCS_TOKEN, then prints the calls stored.
//
// The database is a SQLite file by default (-dsn callstats.db, created on
// first use); -dsn postgres://user@host/db stores into PostgreSQL.
package main

import (
	"context"
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
	"syscall"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
	"github.com/contactkit/contactkit/salesforce/sqlstore"
)

type config struct {
	dsn, listen, path, token string
	quarantine               bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.dsn, "dsn", "callstats.db", "SQLite file, or postgres://user@host/db")
	flag.StringVar(&cfg.listen, "listen", "", "serve jtel on this address (host:port) until interrupted")
	flag.StringVar(&cfg.path, "path", "/writeCallStatistics", "the endpoint's path")
	flag.BoolVar(&cfg.quarantine, "quarantine", false, "keep records the database refuses in wcs_rejected and answer 200 (default: log them and answer 423)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: callstats-store [-dsn DSN] [-listen ADDR]\n\n"+
			"environment:\n  WCS_TOKEN  bearer token jtel sends (required with -listen)\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.token = os.Getenv("WCS_TOKEN")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, slog.New(slog.NewTextHandler(os.Stderr, nil)), cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "callstats-store:", err)
		os.Exit(1)
	}
}

// run opens the store, serves the receiver (until ctx ends with -listen,
// or for the demo), and prints the stored calls.
func run(ctx context.Context, out io.Writer, log *slog.Logger, cfg config) error {
	if cfg.listen != "" && cfg.token == "" {
		return errors.New("WCS_TOKEN is required with -listen: the bearer token jtel is configured to send")
	}
	if cfg.token == "" {
		cfg.token = "demo-token"
	}
	db, err := sqlstore.Open(ctx, cfg.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var opts []sqlstore.Option
	if cfg.quarantine {
		opts = append(opts, sqlstore.WithQuarantine())
	}
	store, err := sqlstore.New(ctx, db, opts...)
	if err != nil {
		return err
	}
	h, err := salesforce.NewHandler(store.Write, salesforce.RequireBearer(cfg.token),
		salesforce.HandlerUnreadable(store.Unreadable), salesforce.HandlerLogger(log))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(cfg.path, h)
	addr := cfg.listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	url := "http://" + l.Addr().String() + cfg.path
	fmt.Fprintf(out, "receiver on %s, storing into %s\n", url, describe(cfg.dsn))

	if cfg.listen != "" {
		<-ctx.Done()
	} else if err := demo(ctx, out, url, cfg.token); err != nil {
		_ = srv.Close()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			return errors.Join(err, serr)
		}
		return err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return printCalls(context.Background(), out, store)
}

// demo sends the documented call's records twice each, as jtel does when
// an answer is lost.
func demo(ctx context.Context, out io.Writer, url, token string) error {
	s, err := salesforce.NewSender(url, contactkit.StaticToken(token),
		salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: 5, MinWait: 10 * time.Millisecond, MaxWait: 100 * time.Millisecond}))
	if err != nil {
		return err
	}
	recs := salesforcetest.DocumentedCall(4711, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC))
	for round := range 2 {
		for i := range recs {
			if err := s.Send(ctx, &recs[i]); err != nil {
				return fmt.Errorf("sending record %d: %w", i+1, err)
			}
		}
		if round == 0 {
			fmt.Fprintf(out, "sent the %d records of call 4711\n", len(recs))
		} else {
			fmt.Fprintf(out, "sent them all again (answered 200, stored nothing twice)\n")
		}
	}
	return nil
}

func printCalls(ctx context.Context, out io.Writer, store *sqlstore.Store) error {
	n, err := store.Count(ctx)
	if err != nil {
		return err
	}
	calls, err := store.Calls(ctx, sqlstore.CallQuery{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stored: %d records, %d calls\n", n, len(calls))
	for _, c := range calls {
		answered := c.AnsweredBy
		if answered == "" {
			answered = "nobody"
		}
		fmt.Fprintf(out, "call %d from %s (%d records): tried %s; answered by %s; talk %s; codes %s\n",
			c.StatisticsPartAID, c.CallerID, c.Records, strings.Join(c.AgentsTried, ", "), answered,
			c.TalkDuration, strings.Join(c.TransactionCodes, ", "))
	}
	rejected, err := store.Rejected(ctx)
	if err != nil {
		return err
	}
	if len(rejected) > 0 {
		fmt.Fprintf(out, "rejected: %d (see wcs_rejected)\n", len(rejected))
	}
	return nil
}

// describe names the database without a password.
func describe(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			return dsn[:i+3] + "…" + dsn[at:]
		}
	}
	return dsn
}
