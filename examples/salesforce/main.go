// Command salesforce shows both sides of jtel's writeCallStatistics.
//
// Without flags it runs the receiver on localhost, sends it the five
// records of the example call in jtel's document through the Sender, and
// prints the call as the receiver saw it.
//
// With -listen it is a receiver to put behind your load balancer: it
// answers jtel on -path with the bearer token in WCS_TOKEN, logs every
// record it is sent as a JSON line (replace write with your own store),
// and bounds every connection and request in time and memory (see the
// timeout and size flags). SIGINT or SIGTERM stops it gracefully.
//
// With -endpoint it sends the documented records to that endpoint, with
// the bearer token in SALESFORCE_TOKEN.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
)

func main() {
	endpoint := flag.String("endpoint", "", "send the documented records to this writeCallStatistics endpoint URL")
	listen := flag.String("listen", "", "run only the receiver on this address (host:port)")
	cfg := defaultReceiverConfig()
	cfg.register(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: salesforce [-listen ADDR | -endpoint URL] [flags]\n\n"+
			"environment:\n  WCS_TOKEN         bearer token jtel sends to the receiver (with -listen)\n"+
			"  SALESFORCE_TOKEN  bearer token for the endpoint (with -endpoint)\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var err error
	if *listen != "" {
		err = listenAndServe(ctx, os.Stdout, log, *listen, os.Getenv("WCS_TOKEN"), cfg)
	} else {
		err = run(ctx, os.Stdout, *endpoint, os.Getenv("SALESFORCE_TOKEN"), cfg)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "salesforce:", err)
		os.Exit(1)
	}
}

// listenAndServe runs the receiver until ctx ends; each record is written
// to out as one JSON line.
func listenAndServe(ctx context.Context, out io.Writer, log *slog.Logger, addr, token string, cfg receiverConfig) error {
	if token == "" {
		return errors.New("WCS_TOKEN is required: the bearer token jtel is configured to send")
	}
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	write := func(_ context.Context, r *salesforce.Record) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(r) // your store here; its error answers 423 and jtel sends again
	}
	rc, err := newReceiver(cfg, token, write, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("writeCallStatistics receiver listening", "addr", ln.Addr().String(), "path", cfg.Path)
	err = rc.serve(ctx, ln)
	log.Info("receiver stopped", "peak_connections", rc.peak.Load())
	return err
}

// store is what the demo receiver does with the records: it keeps them,
// and refuses the first write with 423 to show that jtel-style resending
// loses nothing.
type store struct {
	mu      sync.Mutex
	records []salesforce.Record
	refused bool
}

func (s *store) write(_ context.Context, r *salesforce.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.refused {
		s.refused = true
		return fmt.Errorf("database busy: %w", contactkit.ErrLocked)
	}
	s.records = append(s.records, *r)
	return nil
}

func run(ctx context.Context, out io.Writer, endpoint, token string, cfg receiverConfig) error {
	st := &store{}
	if endpoint == "" {
		token = "local-example-token"
		rc, err := newReceiver(cfg, token, st.write, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		sctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- rc.serve(sctx, ln) }()
		defer func() {
			stop()
			if err := <-done; err != nil {
				fmt.Fprintln(out, "receiver:", err)
			}
		}()
		endpoint = "http://" + ln.Addr().String() + cfg.Path
		fmt.Fprintf(out, "receiver listening on %s\n", endpoint)
	}
	sender, err := salesforce.NewSender(endpoint, contactkit.StaticToken(token),
		salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: 10, MinWait: 50 * time.Millisecond, MaxWait: 2 * time.Second}))
	if err != nil {
		return err
	}
	records := salesforcetest.DocumentedCall(4711, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC))
	for i := range records {
		r := &records[i]
		if err := sender.Send(ctx, r); err != nil {
			if errors.Is(err, contactkit.ErrConflict) || errors.Is(err, contactkit.ErrNotFound) {
				fmt.Fprintf(out, "record %d refused for good: %v\n", i+1, err)
				continue
			}
			return err
		}
		fmt.Fprintf(out, "sent record %d: %-8s %-11s %-18s %s\n", i+1, r.AgentUID, r.AgentGroupName, r.Result, r.TransactionCodeExportKey)
	}
	st.mu.Lock()
	if len(st.records) == 0 {
		st.mu.Unlock()
		return nil // a remote endpoint: nothing to show here
	}
	fmt.Fprintln(out, "(the receiver answered the first record 423 once; the sender sent it again)")
	calls := salesforce.GroupCalls(st.records)
	st.mu.Unlock()
	for _, c := range calls {
		fmt.Fprintf(out, "call %d from %s (%d records)\n", c.StatisticsPartAID, c.CallerID, c.Records)
		fmt.Fprintf(out, "  agents tried:      %s\n", strings.Join(c.AgentsTried, ", "))
		fmt.Fprintf(out, "  answered by:       %s at %s\n", c.AnsweredBy, c.Connected.Format("15:04:05"))
		fmt.Fprintf(out, "  groups:            %s\n", strings.Join(c.Groups, " -> "))
		fmt.Fprintf(out, "  transaction codes: %s\n", strings.Join(c.TransactionCodes, ", "))
		fmt.Fprintf(out, "  talk time:         %s\n", c.TalkDuration)
	}
	return nil
}
