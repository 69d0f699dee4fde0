// Command acd lists jtel ACD events, creates a callback request and a
// ticket, and fetches one back.
//
// Without -base-url it runs against an in-process fake jtel server, so it
// needs no account. With -base-url (the account base URL, including
// /rest/v1.0/{ClientsID}) it uses the token in JTEL_TOKEN.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
)

func main() {
	baseURL := flag.String("base-url", "", "jtel account base URL, https://host:port/rest/v1.0/{ClientsID} (empty: in-process fake)")
	group := flag.Int64("group", 235, "AcdGroupsID that receives the created events")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: acd [-base-url URL] [-group ID]\n\nenvironment:\n  JTEL_TOKEN  jtel API token (with -base-url)\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, *baseURL, os.Getenv("JTEL_TOKEN"), *group)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "acd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, baseURL, token string, group int64) error {
	if baseURL == "" {
		srv := acdtest.NewServer()
		defer srv.Close()
		baseURL, token = srv.URL(), srv.Token
		fmt.Fprintf(out, "using the in-process fake jtel server at %s\n", baseURL)
	}
	c, err := acd.NewClient(baseURL, contactkit.StaticToken(token))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()

	n := 0
	for ev, err := range c.AllEvents(ctx) {
		if err != nil {
			return err
		}
		if n < 5 {
			fmt.Fprintf(out, "event %d  %-9s  %s  %s\n", ev.ID, ev.Type, ev.Created.Format("2006-01-02 15:04"), ev.Subject)
		}
		n++
	}
	fmt.Fprintf(out, "%d events listed\n", n)

	callback, err := c.CreateEvent(ctx, &acd.NewEvent{
		Type: acd.Callback, GroupID: group, Sender: "49199123456789", Receiver: "4919900112233",
		Subject: "Callback request from 49199123456789", Body: "Customer asks for a call back after 9.",
		CrmURL: "https://crm.example.com/customers/987654", UserData: "987654",
	})
	if err != nil {
		return fmt.Errorf("creating callback: %w", err)
	}
	fmt.Fprintf(out, "created callback %d for group %d\n", callback.ID, callback.GroupID)

	ticket, err := c.CreateEvent(ctx, &acd.NewEvent{
		Type: acd.Ticket, GroupID: group, Sender: "info@example.com", Receiver: "support@example.com",
		Subject: "Ticket 123456 opened in the helpdesk", CrmURL: "https://helpdesk.example.com/tickets/123456", UserData: "123456",
	})
	if err != nil {
		return fmt.Errorf("creating ticket: %w", err)
	}
	fmt.Fprintf(out, "created ticket %d (foreign number %q)\n", ticket.ID, ticket.ForeignSystemNumber)

	back, err := c.GetEvent(ctx, ticket.ID)
	if err != nil {
		return err
	}
	data, err := back.ParseEventData()
	if err != nil {
		return err
	}
	for _, u := range data.URLs {
		fmt.Fprintf(out, "fetched %d back: link %q -> %s\n", back.ID, u.DisplayName, u.Path)
	}
	return nil
}
