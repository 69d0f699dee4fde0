package avaya

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
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
// temporary name (.{recording-key}.{format}.part) and renamed only when
// it is verified whole; a second run skips a file that passes the same
// check and downloads again one that does not, so it resumes where the
// first stopped. The check depends on the format:
//
//   - SPX, the stored file: its size must be the listing's size (and the
//     answer's length, Content-Length or the Content-Range total, when
//     there is one).
//   - WAV, converted by the server: the listing's size is the stored
//     SPX file's, not the WAV's (the document's 48,974 ms recording is
//     42,443 bytes, about 7 kbit/s), so it is not used. The file must
//     have the answer's length when there is one, and its own RIFF
//     header must agree: the RIFF chunk size is the file size − 8 (plus
//     a pad byte when odd). A header whose RIFF size is 0 or 0xFFFFFFFF
//     (a streaming writer's "unknown") is checked by its "data" chunk's
//     size instead; a WAV whose header gives neither, or that is not a
//     RIFF/WAVE file, fails (it cannot be told from a cut-short one).
//     A body cut short without Content-Length is thus caught by its
//     header, and a file of an earlier run is "already there" only when
//     its header passes the same check (its RIFF size matches its length).
//
// A download broken off midway is resumed
// with a Range request (If-Range with the server's ETag or Last-Modified)
// when the server offers one, else started over, up to the client's
// RetryPolicy.MaxAttempts tries spaced by its waits. Temporary files of
// earlier runs are removed first: run one Archive per directory at a
// time. Recordings fail one by one (their errors are in the result); a
// bad key (401) or the cloud egress cap (509) stops the run, and so does
// ctx.
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
	if err := removeStaleParts(dir); err != nil {
		return nil, fmt.Errorf("contactkit: avaya: archive directory: %w", err)
	}
	recs, err := c.Recordings(ctx, start, end)
	if err != nil {
		return nil, err
	}
	var todo []Recording
	for _, r := range recs {
		if r.Status.HasAudio() {
			todo = append(todo, r)
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	res := &ArchiveResult{Errors: map[Key]error{}}
	res.Total = len(todo)
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

	work := make(chan Recording)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				n, skipped, err := c.archiveOne(ctx, r, dir, opts.Format)
				if err != nil && ctx.Err() != nil {
					return // stopping: not this recording's failure
				}
				if errors.Is(err, contactkit.ErrUnauthorized) || errors.Is(err, contactkit.ErrEgressLimit) {
					cancel(err)
				}
				report(r.Key, n, skipped, err)
			}
		}()
	}
feed:
	for _, r := range todo {
		select {
		case work <- r:
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

// partSuffix ends the name of a download in progress.
const partSuffix = ".part"

// removeStaleParts removes the temporary files earlier runs left behind
// (killed, or out of disk): .{key}.{format}.part, and .{key}.part-* of
// older versions. Only names holding a valid key are touched.
func removeStaleParts(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, ".") {
			continue
		}
		var key string
		if i := strings.Index(name, ".part-"); i > 0 {
			key = name[1:i]
		} else if base, ok := strings.CutSuffix(name, partSuffix); ok {
			key = strings.TrimSuffix(strings.TrimSuffix(base[1:], "."+string(SPX)), "."+string(WAV))
		}
		if key == "" || Key(key).Validate() != nil {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// archiveOne downloads one recording unless its file is already there
// and whole (see complete).
func (c *Client) archiveOne(ctx context.Context, r Recording, dir string, format AudioFormat) (n int64, skipped bool, err error) {
	k := r.Key
	final := filepath.Join(dir, string(k)+"."+string(format))
	if complete(final, r, format) {
		return 0, true, nil
	}
	part := filepath.Join(dir, "."+string(k)+"."+string(format)+partSuffix)
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o640)
	if err != nil {
		return 0, false, fmt.Errorf("contactkit: avaya: archiving %s: %w", k, err)
	}
	d := download{c: c, key: k, format: format, f: f, want: -1}
	if format == SPX {
		d.want = r.Size // the listing's size is the stored SPX file's
	}
	err = d.run(ctx)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, final)
	}
	if err != nil {
		_ = os.Remove(part)
		return 0, false, fmt.Errorf("contactkit: avaya: archiving %s: %w", k, err)
	}
	return d.have, false, nil
}

// complete reports whether name, a file of an earlier run, is r's whole
// file: for SPX, of the listing's size (any size when the listing has
// none); for WAV, a file its own RIFF header says is whole.
func complete(name string, r Recording, format AudioFormat) bool {
	fi, err := os.Stat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if format != WAV {
		return r.Size <= 0 || fi.Size() == r.Size
	}
	f, err := os.Open(name) //nolint:gosec // a name made of dir and a validated key
	if err != nil {
		return false
	}
	defer f.Close()
	return checkWAV(f, fi.Size()) == nil
}

// riffUnknown is the size a streaming WAV writer puts in a header before
// it knows the length (0 is the other such mark).
const riffUnknown = 0xFFFFFFFF

// checkWAV verifies by its own header that the size bytes of f are a
// whole WAV file: the RIFF chunk's size is size − 8 (plus a pad byte when
// odd). When the RIFF size is unknown (0 or 0xFFFFFFFF), the "data"
// chunk's size, when it has one, must fit in the file. A file too short
// for what its header says is errShort; one with no RIFF/WAVE header, or
// whose header gives no size, is errBadFile; one longer than its header
// says is errSizeMismatch.
func checkWAV(f io.ReaderAt, size int64) error {
	var hdr [12]byte
	if size < int64(len(hdr)) {
		return fmt.Errorf("%w: %d bytes, not even a WAV header", errShort, size)
	}
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return err
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return fmt.Errorf("%w: not a WAV file (no RIFF/WAVE header)", errBadFile)
	}
	riff := int64(binary.LittleEndian.Uint32(hdr[4:8]))
	if riff != 0 && riff != riffUnknown {
		end := 8 + riff
		switch {
		case size < end:
			return fmt.Errorf("%w: got %d of the %d bytes its WAV header gives", errShort, size, end)
		case size > end+(riff&1):
			return fmt.Errorf("%w: %d bytes, its WAV header gives %d", errSizeMismatch, size, end)
		}
		return nil
	}
	// The RIFF size is unknown: walk the chunks to "data" (a few at most:
	// "fmt ", "fact", "LIST").
	for off, i := int64(len(hdr)), 0; i < 64; i++ {
		var ch [8]byte
		if off+int64(len(ch)) > size {
			return fmt.Errorf("%w: the WAV header breaks off after %d bytes", errShort, size)
		}
		if _, err := f.ReadAt(ch[:], off); err != nil {
			return err
		}
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		if n == riffUnknown || (n == 0 && string(ch[:4]) == "data") {
			break
		}
		off += int64(len(ch)) + n
		if string(ch[:4]) == "data" {
			if size < off {
				return fmt.Errorf("%w: got %d bytes, its WAV data chunk ends at %d", errShort, size, off)
			}
			return nil
		}
		off += n & 1
	}
	return fmt.Errorf("%w: its WAV header gives no size (RIFF size %#x), so it cannot be told from a cut-short file", errBadFile, riff)
}

// errShort is a body that ended before the size the listing or the
// server gave: it is resumed or fetched again, never kept.
var errShort = errors.New("body ended early")

// download is one recording's transfer into f, resumed across tries.
type download struct {
	c         *Client
	key       Key
	format    AudioFormat
	f         *os.File
	want      int64  // SPX: the listing's size; 0 or less: unknown or WAV
	have      int64  // bytes in f
	validator string // the server's strong ETag or Last-Modified, for If-Range
}

// run tries up to the client's MaxAttempts times; each try after the
// first resumes (Range) when it can.
func (d *download) run(ctx context.Context) error {
	tries := max(d.c.t.Retry().MaxAttempts, 1)
	for attempt := 0; ; attempt++ {
		err := d.try(ctx)
		if err == nil {
			return nil
		}
		var apiErr *contactkit.APIError
		if ctx.Err() != nil || errors.As(err, &apiErr) || attempt+1 >= tries || !resumable(err) {
			return err
		}
		if err := d.c.t.Wait(ctx, attempt); err != nil {
			return err
		}
	}
}

// resumable reports a failure worth another try: the body broke off or
// came short. Size disagreements, files that are not what was asked for
// and local write errors are not.
func resumable(err error) bool {
	var pathErr *fs.PathError
	return !errors.As(err, &pathErr) && !errors.Is(err, errSizeMismatch) && !errors.Is(err, errBadFile)
}

var (
	errSizeMismatch = errors.New("size mismatch")
	errBadFile      = errors.New("unusable file")
)

func (d *download) try(ctx context.Context) error {
	hdr := http.Header{"Accept": {"*/*"}}
	if d.have > 0 && d.validator != "" {
		hdr.Set("Range", "bytes="+strconv.FormatInt(d.have, 10)+"-")
		hdr.Set("If-Range", d.validator)
	}
	resp, err := d.c.t.Send(ctx, &transport.Request{ //nolint:bodyclose // closed by CloseBody below
		Method: http.MethodGet, Path: transport.Path("rest", "api", "v1", "recordings", string(d.key), "audio"),
		Query: audioQuery(d.format), Idempotent: true, Endpoint: endpointAudio, Header: hdr,
	})
	if err != nil {
		return err
	}
	defer transport.CloseBody(resp.Body)
	var total int64 // the whole recording's size as the server gives it (-1: unknown)
	if resp.StatusCode == http.StatusPartialContent {
		from, size, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || from != d.have || hdr.Get("Range") == "" {
			d.validator = ""
			return fmt.Errorf("%w: unusable 206 answer (Content-Range %q) at byte %d", errShort, resp.Header.Get("Content-Range"), d.have)
		}
		total = size
	} else {
		// The whole body: a first try, a server without ranges, or a
		// recording that changed (If-Range did not match). Start over.
		if err := d.restart(); err != nil {
			return err
		}
		total = resp.ContentLength
	}
	d.validator = validatorOf(resp.Header)
	if total >= 0 && d.want > 0 && total != d.want {
		return fmt.Errorf("%w: the server sends %d bytes, the listing says %d", errSizeMismatch, total, d.want)
	}
	expect := d.want // SPX: the listing's size
	if expect <= 0 {
		expect = total // WAV, or no size listed: the answer's, when it gives one
	}
	n, err := io.Copy(d.f, resp.Body)
	d.have += n
	switch {
	case err != nil:
		return fmt.Errorf("%w after %d bytes: %w", errShort, d.have, err)
	case expect >= 0 && d.have < expect:
		return fmt.Errorf("%w: got %d of %d bytes", errShort, d.have, expect)
	case expect >= 0 && d.have > expect:
		return fmt.Errorf("%w: got %d bytes, expected %d", errSizeMismatch, d.have, expect)
	}
	if d.format != WAV {
		return nil
	}
	err = checkWAV(d.f, d.have)
	if expect >= 0 && errors.Is(err, errShort) {
		// The answer came whole by its length, but its header says more:
		// fetching it again would not mend that.
		return fmt.Errorf("%w: %w", errSizeMismatch, err)
	}
	return err
}

// restart empties the file for a download from the first byte.
func (d *download) restart() error {
	d.have = 0
	if err := d.f.Truncate(0); err != nil {
		return err
	}
	_, err := d.f.Seek(0, io.SeekStart)
	return err
}

// validatorOf is what If-Range may carry: a strong ETag, else
// Last-Modified (RFC 9110 §13.1.5: a weak ETag must not be used).
func validatorOf(h http.Header) string {
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		return et
	}
	return h.Get("Last-Modified")
}

// contentRange reads "bytes first-last/size".
func contentRange(v string) (first, size int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, total, found := strings.Cut(spec, "/")
	a, b, found2 := strings.Cut(rng, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	size, err3 := strconv.ParseInt(total, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || first > last || last >= size {
		return 0, 0, false
	}
	return first, size, true
}
