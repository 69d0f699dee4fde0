package avaya

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ArchiveOptions tune Archive.
type ArchiveOptions struct {
	// Format of the files; SPX when empty.
	Format AudioFormat
	// Concurrency bounds the downloads under way; 2 when zero. The cloud
	// edition allows one audio request per 3 seconds per tenant: the 429s
	// beyond that are waited out (Retry-After), so more does not help there.
	Concurrency int
	// Progress, if set, is called after every recording, from one
	// goroutine at a time.
	Progress func(ArchiveProgress)
}

// ArchiveProgress is the state of an archive run after one recording.
type ArchiveProgress struct {
	Total, Downloaded, Skipped, Failed int
	Bytes                              int64 // downloaded so far
	Key                                Key   // the recording just handled
	Err                                error // its error, if it failed
}

// Line is a one-line progress report.
func (p ArchiveProgress) Line() string {
	return fmt.Sprintf("[%d/%d] %d downloaded, %d skipped, %d failed, %.1f MiB",
		p.Downloaded+p.Skipped+p.Failed, p.Total, p.Downloaded, p.Skipped, p.Failed, float64(p.Bytes)/(1<<20))
}

// ArchiveResult sums up an archive run.
type ArchiveResult struct {
	ArchiveProgress
	// Errors holds the failure of each recording that failed.
	Errors map[Key]error
}

// Archive downloads every recording that started in [start, end] and has
// audio into dir as {recording-key}.{format}. Each file is written to a
// temporary name and renamed when complete, so a file that exists is
// whole: a second run skips it and resumes where the first stopped.
// Recordings fail one by one (their errors are in the result); a bad key
// (401) or the cloud egress cap (509) stops the run, and so does ctx.
func (c *Client) Archive(ctx context.Context, start, end time.Time, dir string, opts ArchiveOptions) (*ArchiveResult, error) {
	if opts.Format == "" {
		opts.Format = SPX
	}
	if err := opts.Format.validate(); err != nil {
		return nil, err
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("contactkit: avaya: archive directory: %w", err)
	}
	recs, err := c.Recordings(ctx, start, end)
	if err != nil {
		return nil, err
	}
	var keys []Key
	for _, r := range recs {
		if r.Status.HasAudio() {
			keys = append(keys, r.Key)
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	res := &ArchiveResult{Errors: map[Key]error{}}
	res.Total = len(keys)
	var mu sync.Mutex
	report := func(k Key, n int64, skipped bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			res.Failed++
			res.Errors[k] = err
		case skipped:
			res.Skipped++
		default:
			res.Downloaded++
			res.Bytes += n
		}
		p := res.ArchiveProgress
		p.Key, p.Err = k, err
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}

	work := make(chan Key)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				n, skipped, err := c.archiveOne(ctx, k, dir, opts.Format)
				if err != nil && ctx.Err() != nil {
					return // stopping: not this recording's failure
				}
				if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrEgressLimit) {
					cancel(err)
				}
				report(k, n, skipped, err)
			}
		}()
	}
feed:
	for _, k := range keys {
		select {
		case work <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return res, cause
	}
	return res, nil
}

// archiveOne downloads one recording unless its file is already there.
func (c *Client) archiveOne(ctx context.Context, k Key, dir string, format AudioFormat) (n int64, skipped bool, err error) {
	final := filepath.Join(dir, string(k)+"."+string(format))
	if _, err := os.Stat(final); err == nil {
		return 0, true, nil
	}
	audio, err := c.RecordingAudio(ctx, k, format)
	if err != nil {
		return 0, false, err
	}
	defer audio.Body.Close()
	tmp, err := os.CreateTemp(dir, "."+string(k)+".part-*")
	if err != nil {
		return 0, false, err
	}
	n, err = io.Copy(tmp, audio.Body)
	if err == nil && audio.Length >= 0 && n != audio.Length {
		err = fmt.Errorf("got %d of %d bytes", n, audio.Length)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return 0, false, fmt.Errorf("contactkit: avaya: archiving %s: %w", k, err)
	}
	return n, false, nil
}
