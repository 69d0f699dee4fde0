// Command avaya downloads a recording, makes an external listen link, runs
// the "Agent Talking Summary" report and prints it as a table, and pauses
// and resumes an agent's recording.
//
// Without -base-url it runs against an in-process fake Call Reporting
// server, so it needs no account. With -base-url it uses the service user
// key in AVAYA_TOKEN, and -recording, -report and -agent name what to use.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

type options struct {
	baseURL, token, recording, report, agent, outDir string
}

func main() {
	var o options
	flag.StringVar(&o.baseURL, "base-url", "", "Call Reporting server, e.g. http://10.0.0.101:9080 (empty: in-process fake)")
	flag.StringVar(&o.recording, "recording", "", "recording key to download (default: the fake's documented recording)")
	flag.StringVar(&o.report, "report", "", "historicDataKey of an API-enabled Agent Talking Summary report")
	flag.StringVar(&o.agent, "agent", "Nate Thatcher(123)", "AgentId to pause and resume: extension, Name(ext) or alias")
	flag.StringVar(&o.outDir, "out", os.TempDir(), "directory for the downloaded audio")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: avaya [-base-url URL] [-recording KEY] [-report UUID] [-agent ID]\n\nenvironment (with -base-url):\n  AVAYA_TOKEN  service user key\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.token = os.Getenv("AVAYA_TOKEN")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avaya:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, o options) error {
	if o.baseURL == "" {
		srv := avayatest.NewServer()
		defer srv.Close()
		o.baseURL, o.token = srv.URL(), srv.Token
		o.recording, o.report = string(avayatest.DocumentedRecording1), avayatest.AgentTalkingSummary
		fmt.Fprintf(out, "using the in-process fake Call Reporting server at %s\n", o.baseURL)
	}
	c, err := avaya.NewClient(o.baseURL, contactkit.StaticToken(o.token))
	if err != nil {
		return err
	}
	if o.recording != "" {
		if err := download(ctx, out, c, avaya.Key(o.recording), o.outDir); err != nil {
			return err
		}
		link, err := c.RecordingListenLink(ctx, avaya.Key(o.recording))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "listen link: %s\n", link)
	}
	if o.report != "" {
		if err := report(ctx, out, c, o.report); err != nil {
			return err
		}
	}
	state, err := c.PauseRecording(ctx, o.agent)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "paused %s: %s\n", o.agent, state)
	state, err = c.ResumeRecording(ctx, o.agent)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "resumed %s: %s\n", o.agent, state)
	return nil
}

func download(ctx context.Context, out io.Writer, c *avaya.Client, key avaya.Key, dir string) error {
	audio, err := c.RecordingAudio(ctx, key, avaya.WAV)
	if err != nil {
		return err
	}
	defer audio.Body.Close()
	path := filepath.Join(dir, string(key)+".wav")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, audio.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "downloaded %s (%d bytes, %s, recorded %s)\n", path, n, audio.ContentType, key.StartTime().Format(time.RFC3339))
	return nil
}

func report(ctx context.Context, out io.Writer, c *avaya.Client, key string) error {
	now := time.Now()
	from := time.Date(now.Year(), now.Month(), now.Day()-1, 0, 0, 0, 0, now.Location())
	rep, err := c.RunReport(ctx, key, avaya.TimeframeParam("Report Timeframe", from, from.Add(48*time.Hour-time.Second)))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s (%s):\n", rep.Title, rep.ExecutionID)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, line := range rep.Table() {
		fmt.Fprintln(tw, "  "+strings.Join(line, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range rep.SummaryItems {
		fmt.Fprintf(out, "  %s: %s\n", s.Title, s.FormattedValue)
	}
	return nil
}
