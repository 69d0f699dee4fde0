// Command avaya-realtime is a live terminal board of realtime metrics:
// agents talking, calls in queue, the longest wait counting up. It
// subscribes over the websocket, keeps the latest value per key, and
// redraws every second, computing durations "now" between updates.
//
// Without -base-url it runs against an in-process fake Call Reporting
// server whose simulated call centre changes every few hundred
// milliseconds. With -base-url it uses AVAYA_TOKEN and the metric ids in
// -metrics.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

func main() {
	baseURL := flag.String("base-url", "", "Call Reporting server (empty: in-process fake)")
	metrics := flag.String("metrics", "", "comma-separated metric ids (default: every metric of the fake)")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	plain := flag.Bool("plain", false, "append frames instead of redrawing the screen")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: avaya-realtime [-base-url URL -metrics A,B] [-duration D]\n\nenvironment (with -base-url):\n  AVAYA_TOKEN  service user key\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, *baseURL, os.Getenv("AVAYA_TOKEN"), *metrics, *duration, !*plain)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avaya-realtime:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, baseURL, token, metricList string, duration time.Duration, redraw bool) error {
	ids := strings.Split(metricList, ",")
	if baseURL == "" {
		srv := avayatest.NewServer()
		defer srv.Close()
		baseURL, token = srv.URL(), srv.Token
		ids = []string{avayatest.MetricAgentsTalking, avayatest.MetricCallsInQueue, avayatest.MetricLongestWait,
			avayatest.MetricAgentState, avayatest.MetricAgentTalkTime, avayatest.MetricAvgTalkTime}
	}
	c, err := avaya.NewClient(baseURL, contactkit.StaticToken(token))
	if err != nil {
		return err
	}
	names := map[string]string{}
	if ms, err := c.Metrics(ctx); err == nil {
		for _, m := range ms {
			names[m.ID] = m.Name
		}
	}
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()

	board := avaya.NewBoard()
	var status atomic.Value // the connection state, set by the subscription
	status.Store("connecting")
	opts := avaya.SubscribeOptions{OnState: func(s avaya.ConnState, err error) {
		text := s.String()
		if err != nil {
			text += ": " + err.Error()
		}
		status.Store(text)
	}}
	done := make(chan error, 1)
	go func() {
		done <- c.SubscribeFunc(ctx, ids, opts, func(u avaya.Update) error {
			board.Apply(u.MetricResult)
			return nil
		})
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	frames := 0
	for {
		select {
		case err := <-done:
			draw(out, board, names, status.Load().(string), redraw)
			if ctx.Err() != nil {
				fmt.Fprintf(out, "stopped after %s, %d frames, %d values on the board\n", duration, frames+1, board.Len())
				return nil
			}
			return err
		case <-tick.C:
			draw(out, board, names, status.Load().(string), redraw)
			frames++
		}
	}
}

// draw prints one frame of the board; durations are computed now.
func draw(out io.Writer, board *avaya.Board, names map[string]string, status string, redraw bool) {
	now := time.Now()
	if redraw {
		fmt.Fprint(out, "\033[H\033[2J")
	}
	fmt.Fprintf(out, "Avaya Call Reporting realtime  %s  (%s)\n\n", now.Format("15:04:05"), status)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tcategory\tvalue\tupdated")
	durations := board.DurationsAt(now)
	for _, r := range board.Results() {
		name := names[r.Key.MetricID]
		if name == "" {
			name = r.Key.MetricID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, r.Key.CategoryValue, show(r.Value, durations[r.Key]), r.Value.LastUpdateTime.Format("15:04:05.000"))
	}
	_ = tw.Flush()
	fmt.Fprintln(out)
}

func show(v avaya.MetricValue, d time.Duration) string {
	switch v.Type {
	case avaya.CountValue:
		return fmt.Sprint(v.Count)
	case avaya.BooleanValue:
		return fmt.Sprint(v.Bool)
	case avaya.StringValue:
		return v.String
	case avaya.DurationValue:
		return d.Round(time.Second).String() + counting(v)
	case avaya.AverageDurationValue:
		if v.Count == 0 {
			return "–"
		}
		return d.Round(time.Second).String() + counting(v)
	}
	return "–"
}

func counting(v avaya.MetricValue) string {
	if n := v.NumCountingUp - v.NumCountingDown; n > 0 {
		return fmt.Sprintf(" (%d counting)", n)
	}
	return ""
}
