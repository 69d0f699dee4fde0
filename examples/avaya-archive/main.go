// Command avaya-archive copies every recording of a time frame into a
// directory or into S3-compatible object storage: a few downloads at a
// time, each recording stored whole or not at all, a manifest
// (manifest.jsonl: key, call key, start, duration, size, SHA-256, URL)
// beside them for the system that imports them, and a second run resumes
// where the first stopped. On a terminal it shows a progress bar (bytes,
// rate, time left); otherwise one plain line per recording. It ends with
// a summary table.
//
//	avaya-archive -to recordings/              # a directory
//	avaya-archive -to s3://bucket/avaya/2024   # a bucket and a prefix
//
// Without -base-url it archives from an in-process fake server holding a
// day of generated recordings. With -base-url it uses AVAYA_TOKEN; -rate
// 3s paces audio requests for the cloud edition (one per 3 seconds). For
// s3:// it takes the endpoint and keys from AWS_ENDPOINT_URL_S3 (empty:
// AWS itself), AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN. It exits with status 1 when any recording failed,
// after archiving the others; a rerun fetches only what is missing.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/s3archive"
)

// config is what the flags and the environment say.
type config struct {
	baseURL, token string
	to             string // a directory or s3://bucket/prefix
	since, until   string // RFC 3339; empty: the last 24 hours
	format         avaya.AudioFormat
	workers        int
	every          time.Duration // audio pacing; 0: none
	env            func(string) string
}

func main() {
	cfg := config{env: os.Getenv}
	flag.StringVar(&cfg.baseURL, "base-url", "", "Call Reporting server (empty: in-process fake)")
	flag.StringVar(&cfg.to, "to", "recordings", "where to archive: a directory, or s3://bucket/prefix")
	flag.StringVar(&cfg.since, "since", "", "start of the time frame, RFC 3339 (default: 24 hours ago)")
	flag.StringVar(&cfg.until, "until", "", "end of the time frame, RFC 3339 (default: now)")
	format := flag.String("format", "wav", "audio format: wav or spx")
	flag.IntVar(&cfg.workers, "concurrency", 2, "downloads at a time")
	flag.DurationVar(&cfg.every, "rate", 0, "at most one audio request per this interval (3s for the cloud edition; 0: no pacing)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `usage: avaya-archive [-base-url URL] [-to DIR|s3://bucket/prefix] [-since T] [-until T]

environment:
  AVAYA_TOKEN            service user key (with -base-url)
  AWS_ENDPOINT_URL_S3    S3 endpoint for s3:// (empty: AWS), e.g. http://127.0.0.1:4568
  AWS_REGION             signing region (us-east-1)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN

flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.format = avaya.AudioFormat(*format)
	cfg.token = os.Getenv("AVAYA_TOKEN")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout, isTerminal(os.Stdout), cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avaya-archive:", err)
		os.Exit(1)
	}
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	return time.Parse(time.RFC3339, s)
}

// destination opens -to: s3://bucket/prefix, or a directory.
func destination(to string, env func(string) string) (avaya.Destination, error) {
	if !strings.HasPrefix(to, "s3://") {
		if to == "" {
			return nil, fmt.Errorf("-to: a directory or s3://bucket/prefix is required")
		}
		return avaya.Dir(to), nil
	}
	bucket, prefix, err := s3archive.ParseURL(to)
	if err != nil {
		return nil, err
	}
	if env("AWS_ACCESS_KEY_ID") == "" || env("AWS_SECRET_ACCESS_KEY") == "" {
		return nil, fmt.Errorf("-to %s: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL_S3 for storage other than AWS)", to)
	}
	return s3archive.New(bucket,
		s3archive.WithEndpoint(env("AWS_ENDPOINT_URL_S3")),
		s3archive.WithRegion(env("AWS_REGION")),
		s3archive.WithPrefix(prefix),
		s3archive.WithStaticCredentials(env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")),
		s3archive.WithUserAgent("avaya-archive"))
}

func run(ctx context.Context, out io.Writer, terminal bool, cfg config) error {
	now := time.Now()
	from, err := parseTime(cfg.since, now.Add(-24*time.Hour))
	if err != nil {
		return fmt.Errorf("-since: %w", err)
	}
	until, err := parseTime(cfg.until, now)
	if err != nil {
		return fmt.Errorf("-until: %w", err)
	}
	dest, err := destination(cfg.to, cfg.env)
	if err != nil {
		return err
	}
	baseURL, token := cfg.baseURL, cfg.token
	if baseURL == "" {
		srv := avayatest.NewServer()
		defer srv.Close()
		for i := range 12 { // a recording every two hours, 200 to 860 KiB
			srv.AddRecording("", from.Add(time.Duration(i)*2*time.Hour+time.Minute), int64(200+i*60)<<10, avaya.StatusSaved)
		}
		srv.AddRecording("", from.Add(90*time.Minute), 64<<10, avaya.StatusDeletedTime)
		if cfg.every > 0 {
			srv.LimitAudio(cfg.every)
		}
		baseURL, token = srv.URL(), srv.Token
		fmt.Fprintf(out, "archiving from the in-process fake Call Reporting server at %s\n", baseURL)
	}
	opts := []avaya.Option{avaya.WithUserAgent("avaya-archive")}
	if cfg.every > 0 {
		opts = append(opts, avaya.WithAudioRateLimit(rate.NewLimiter(rate.Every(cfg.every), 1)))
	}
	c, err := avaya.NewClient(baseURL, contactkit.StaticToken(token), opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "archiving %s to %s into %s\n", from.Format(time.RFC3339), until.Format(time.RFC3339), cfg.to)
	p := newProgress(out, terminal)
	start := time.Now()
	res, err := c.ArchiveTo(ctx, from, until, dest, avaya.ArchiveOptions{
		Format: cfg.format, Concurrency: cfg.workers,
		Listed: p.listed, Written: p.written, Progress: p.recording,
	})
	p.finish()
	if res != nil {
		summary(out, cfg.to, res, time.Since(start))
	}
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		// main exits non-zero: a cron job or script must see that some
		// recordings are missing (a rerun fetches only those).
		return fmt.Errorf("%d of %d recordings failed", res.Failed, res.Total)
	}
	return nil
}

// progress shows an archive run: a bar of bytes (with rate and time
// left) on a terminal, one line per recording elsewhere.
type progress struct {
	out io.Writer
	bar *progressbar.ProgressBar // nil when not a terminal

	mu         sync.Mutex
	sizes      map[avaya.Key]int64 // the listing's sizes
	listedAll  int64               // of all recordings
	listedDone int64               // of those handled
	bytes      int64               // stored so far
}

func newProgress(out io.Writer, terminal bool) *progress {
	p := &progress{out: out, sizes: map[avaya.Key]int64{}}
	if terminal {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(out), progressbar.OptionShowBytes(true), progressbar.OptionShowCount(), progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetWidth(30), progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetDescription("listing"))
	}
	return p
}

func (p *progress) listed(recs []avaya.Recording) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range recs {
		p.sizes[r.Key] = r.Size
		p.listedAll += r.Size
	}
	if p.bar != nil {
		p.bar.ChangeMax64(max(p.listedAll, 1))
		p.bar.Describe(fmt.Sprintf("[0/%d]", len(recs)))
	} else {
		fmt.Fprintf(p.out, "%d recordings with audio, %s listed\n", len(recs), mib(p.listedAll))
	}
}

func (p *progress) written(n int64) {
	p.mu.Lock()
	p.bytes += n
	p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Add64(n)
	}
}

// recording is called after each recording. The listing's sizes are the
// stored SPX files'; a WAV is larger, so the bar's total is the bytes so
// far plus the rest of the listing scaled by what the done ones grew by.
func (p *progress) recording(s avaya.ArchiveProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listedDone += p.sizes[s.Key]
	if p.bar == nil {
		line := s.Line() + " " + string(s.Key)
		if s.Err != nil {
			line += ": " + s.Err.Error()
		}
		fmt.Fprintln(p.out, line)
		return
	}
	if p.listedDone > 0 && s.Bytes > 0 {
		est := s.Bytes + int64(float64(p.listedAll-p.listedDone)*float64(s.Bytes)/float64(p.listedDone))
		p.bar.ChangeMax64(max(est, p.bytes, 1))
	}
	p.bar.Describe(fmt.Sprintf("[%d/%d]", s.Downloaded+s.Skipped+s.Failed, s.Total))
	if s.Err != nil {
		_ = p.bar.Clear()
		fmt.Fprintf(p.out, "\rfailed %s: %v\n", s.Key, s.Err)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.mu.Lock()
		p.bar.ChangeMax64(max(p.bytes, 1))
		p.mu.Unlock()
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// summary prints the table at the end of a run.
func summary(out io.Writer, to string, res *avaya.ArchiveResult, took time.Duration) {
	rateText := "-"
	if secs := took.Seconds(); secs > 0 && res.Bytes > 0 {
		rateText = fmt.Sprintf("%.1f MiB/s", float64(res.Bytes)/(1<<20)/secs)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORDINGS\tCOUNT\tBYTES")
	fmt.Fprintf(tw, "downloaded\t%d\t%s\n", res.Downloaded, mib(res.Bytes))
	fmt.Fprintf(tw, "already there\t%d\t\n", res.Skipped)
	fmt.Fprintf(tw, "failed\t%d\t\n", res.Failed)
	fmt.Fprintf(tw, "total\t%d\t%s in %s\n", res.Total, rateText, took.Round(time.Millisecond))
	_ = tw.Flush()
	fmt.Fprintf(out, "destination: %s\n", to)
	if res.ManifestURL != "" {
		fmt.Fprintf(out, "manifest:    %s\n", res.ManifestURL)
	}
	for k, e := range res.Errors {
		fmt.Fprintf(out, "failed %s: %v\n", k, e)
	}
}
