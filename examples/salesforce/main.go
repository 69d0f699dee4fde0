// Command salesforce runs a writeCallStatistics receiver on localhost and
// sends it the five records of the example call in jtel's document
// through the Sender, then prints the call as the receiver saw it.
//
// With -endpoint it sends the records to that endpoint instead, with the
// bearer token in SALESFORCE_TOKEN.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
)

func main() {
	endpoint := flag.String("endpoint", "", "writeCallStatistics endpoint URL (empty: a receiver on localhost)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: salesforce [-endpoint URL]\n\nenvironment (with -endpoint):\n  SALESFORCE_TOKEN  bearer token for the endpoint\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, *endpoint, os.Getenv("SALESFORCE_TOKEN"))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "salesforce:", err)
		os.Exit(1)
	}
}

// store is what a customer's receiver would do with the records: here, it
// keeps them, and refuses the first write of a call with 423 to show that
// jtel-style resending loses nothing.
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
		return fmt.Errorf("database busy: %w", salesforce.ErrLocked)
	}
	s.records = append(s.records, *r)
	return nil
}

func run(ctx context.Context, out io.Writer, endpoint, token string) error {
	st := &store{}
	if endpoint == "" {
		token = "local-example-token"
		h, err := salesforce.NewHandler(st.write, salesforce.RequireBearer(token))
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle(salesforcetest.EndpointPath, h)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() { _ = srv.Close() }()
		endpoint = "http://" + ln.Addr().String() + salesforcetest.EndpointPath
		fmt.Fprintf(out, "receiver listening on %s\n", endpoint)
	}
	sender, err := salesforce.NewSender(endpoint, salesforce.WithToken(token),
		salesforce.WithRetry(salesforce.RetryPolicy{MaxAttempts: 10, MinWait: 50 * time.Millisecond, MaxWait: 2 * time.Second}))
	if err != nil {
		return err
	}
	records := salesforcetest.DocumentedCall(4711, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC))
	for i := range records {
		r := &records[i]
		if err := sender.Send(ctx, r); err != nil {
			if errors.Is(err, salesforce.ErrConflict) || errors.Is(err, salesforce.ErrNotFound) {
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
