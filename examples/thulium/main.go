// Command thulium prints a daily chat summary of the last 30 days for the
// given users, as an aligned table.
//
// Without -base-url it runs against an in-process fake Thulium system, so
// it needs no account. With -base-url (https://<system>.thulium.com/api/)
// it uses the API user in THULIUM_USER and THULIUM_PASSWORD.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
)

func main() {
	baseURL := flag.String("base-url", "", "Thulium API base URL, https://<system>.thulium.com/api/ (empty: in-process fake)")
	logins := flag.String("logins", "jkowalski,anowak", "comma-separated user logins")
	days := flag.Int("days", 30, "how many days back")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: thulium [-base-url URL] [-logins a,b] [-days N]\n\nenvironment (with -base-url):\n  THULIUM_USER      API user\n  THULIUM_PASSWORD  API user's password\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, *baseURL, os.Getenv("THULIUM_USER"), os.Getenv("THULIUM_PASSWORD"), splitLogins(*logins), *days, time.Now())
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "thulium:", err)
		os.Exit(1)
	}
}

func splitLogins(s string) []string {
	var out []string
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func run(ctx context.Context, out io.Writer, baseURL, user, password string, logins []string, days int, now time.Time) error {
	opts := []thulium.Option{}
	if baseURL == "" {
		srv := thuliumtest.NewServer()
		defer srv.Close()
		baseURL, user, password = srv.URL(), srv.User, srv.Password
		opts = append(opts, thulium.WithLocation(time.UTC))
		fmt.Fprintf(out, "using the in-process fake Thulium system at %s\n", baseURL)
	}
	c, err := thulium.NewClient(baseURL, contactkit.BasicAuth{User: user, Password: password}, opts...)
	if err != nil {
		return err
	}
	today := now.In(c.Location())
	to := time.Date(today.Year(), today.Month(), today.Day(), 23, 59, 59, 0, c.Location())
	from := time.Date(today.Year(), today.Month(), today.Day()-days+1, 0, 0, 0, 0, c.Location())
	q := thulium.SummaryQuery{From: from, To: to, AggregateBy: thulium.ByDay, UserLogins: logins}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "day\tuser\tincoming\tanswered\tabandoned\tavg chat\tavg wait\tSLA %\t")
	rows := 0
	for r, err := range c.AllChatReportSummary(ctx, q) {
		if err != nil {
			return err
		}
		day, err := r.SeriesStart(thulium.ByDay, c.Location())
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t\n", day.Format("Mon 02 Jan"), r.UserName,
			r.Incoming, r.Answered, r.Abandoned, r.ChatTime.Avg, r.WaitTime.Avg, percent(r.SLAPercent))
		rows++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d rows for %d users over %d days\n", rows, len(logins), days)
	return nil
}

func percent(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *p)
}
