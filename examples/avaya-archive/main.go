// Command avaya-archive copies every recording of a time frame into a
// directory: a few downloads at a time, each file written whole or not at
// all, and a second run resumes where the first stopped.
//
// Without -base-url it archives from an in-process fake server holding a
// day of generated recordings. With -base-url it uses AVAYA_TOKEN. It
// exits with status 1 when any recording failed, after archiving the
// others; a rerun fetches only what is missing.
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
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

func main() {
	baseURL := flag.String("base-url", "", "Call Reporting server (empty: in-process fake)")
	dir := flag.String("dir", "recordings", "directory to archive into")
	from := flag.String("from", "", "start of the time frame, RFC 3339 (default: 24 hours ago)")
	to := flag.String("to", "", "end of the time frame, RFC 3339 (default: now)")
	format := flag.String("format", "wav", "audio format: wav or spx")
	workers := flag.Int("concurrency", 2, "downloads at a time")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: avaya-archive [-base-url URL] [-dir DIR] [-from T] [-to T]\n\nenvironment (with -base-url):\n  AVAYA_TOKEN  service user key\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, *baseURL, os.Getenv("AVAYA_TOKEN"), *dir, *from, *to, avaya.AudioFormat(*format), *workers)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "\navaya-archive:", err)
		os.Exit(1)
	}
}

func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	return time.Parse(time.RFC3339, s)
}

func run(ctx context.Context, out io.Writer, baseURL, token, dir, fromText, toText string, format avaya.AudioFormat, workers int) error {
	now := time.Now()
	from, err := parseTime(fromText, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	to, err := parseTime(toText, now)
	if err != nil {
		return err
	}
	if baseURL == "" {
		srv := avayatest.NewServer()
		defer srv.Close()
		for i := range 12 { // a recording every two hours, 200 to 900 KiB
			srv.AddRecording("", from.Add(time.Duration(i)*2*time.Hour+time.Minute), int64(200+i*60)<<10, avaya.StatusSaved)
		}
		srv.AddRecording("", from.Add(90*time.Minute), 64<<10, avaya.StatusDeletedTime)
		baseURL, token = srv.URL(), srv.Token
		fmt.Fprintf(out, "archiving from the in-process fake Call Reporting server at %s\n", baseURL)
	}
	c, err := avaya.NewClient(baseURL, contactkit.StaticToken(token))
	if err != nil {
		return err
	}
	res, err := c.Archive(ctx, from, to, dir, avaya.ArchiveOptions{
		Format: format, Concurrency: workers,
		Progress: func(p avaya.ArchiveProgress) { fmt.Fprintf(out, "\r%s", p.Line()) },
	})
	if res != nil {
		fmt.Fprintln(out)
		for k, e := range res.Errors {
			fmt.Fprintf(out, "failed %s: %v\n", k, e)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "archived into %s: %d downloaded, %d already there\n", dir, res.Downloaded, res.Skipped)
	if res.Failed > 0 {
		// main exits non-zero: a cron job or script must see that some
		// recordings are missing (a rerun fetches only those).
		return fmt.Errorf("%d of %d recordings failed", res.Failed, res.Total)
	}
	return nil
}
