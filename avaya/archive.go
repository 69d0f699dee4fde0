package avaya

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
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

// ArchiveOptions tune Archive and ArchiveTo.
type ArchiveOptions struct {
	// Format of the files; SPX when empty.
	Format AudioFormat
	// Concurrency bounds the downloads under way; 2 when zero. The cloud
	// edition allows one audio request per 3 seconds per tenant: set
	// WithAudioRateLimit(CloudAudioLimit()) on the client to pace the
	// requests instead of running into 429s; the bodies still download
	// side by side.
	Concurrency int
	// Progress, if set, is called after every recording, from one
	// goroutine at a time.
	Progress func(ArchiveProgress)
	// Listed, if set, is called once with the recordings about to be
	// archived (those with audio), before any download: a progress
	// display can size itself.
	Listed func([]Recording)
	// Written, if set, is called with the number of bytes stored each
	// time a download stores some, from the downloading goroutines at
	// once (keep it quick: an atomic add). Bytes of a try that failed
	// and was started over are counted again.
	Written func(n int64)
	// CallKey, if set, names the call of a recording, for the objects'
	// metadata and the manifest: the time-frame listing does not say
	// which call a recording belongs to (CallRecordings does, per call).
	CallKey func(Recording) Key
	// Manifest is the name of the manifest in the destination,
	// DefaultManifest when empty. NoManifest keeps none.
	Manifest   string
	NoManifest bool
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
	// Entries are the manifest entries of the recordings of this run
	// that are in the destination, downloaded or already there (with
	// NoManifest, only those downloaded: objects already there are not
	// read back to hash them).
	Entries []ManifestEntry
	// ManifestURL is where the manifest was written ("" when none was).
	ManifestURL string
}

// Archive downloads every recording that started in [start, end] and has
// audio into the directory dir: ArchiveTo(ctx, start, end, Dir(dir), opts).
func (c *Client) Archive(ctx context.Context, start, end time.Time, dir string, opts ArchiveOptions) (*ArchiveResult, error) {
	return c.ArchiveTo(ctx, start, end, Dir(dir), opts)
}

// ArchiveTo downloads every recording that started in [start, end] and
// has audio into dest as {recording-key}.{format}, streaming: a recording
// is never held whole in memory. Each object is written through
// dest.Create and committed only when it is verified whole, so a name
// holds a whole recording or nothing; a second run skips an object that
// passes the same check and downloads again one that does not, so it
// resumes where the first stopped. The check depends on the format:
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
//     header, and an object of an earlier run is "already there" only
//     when its header (read back from dest) passes the same check.
//
// A download broken off midway is resumed with a Range request (If-Range
// with the server's ETag or Last-Modified) when the server offers one,
// appending to the same object, else the object is aborted and started
// over, up to the client's RetryPolicy.MaxAttempts tries spaced by its
// waits. Every audio request obeys the client's WithAudioRateLimit.
//
// Unless opts.NoManifest, the run ends by writing the destination's
// manifest (opts.Manifest, DefaultManifest by default) as one object:
// a JSON line per archived recording (ManifestEntry: key, call key,
// start, duration, size, SHA-256, URL), those of earlier runs kept (and
// those another run saved meanwhile: the manifest is read again just
// before it is written), so that another system can import from it. A
// damaged line is skipped, the lines after it kept; a manifest that
// cannot be read whole stops the run before any download. An object met
// "already there" with no entry is read back once to hash it. No
// manifest is written when nothing changed, nor when ctx ends (the next
// run completes it).
//
// Into a Dir, temporary files of earlier runs (.{key}.{format}.*.part) are
// removed first: run one archive per destination at a time (two at once
// never mix their bytes or lose each other's manifest entries, but the
// one that starts later removes the other's downloads in progress, which
// then fail). A listed recording whose key is not {uuid}-{epochMillis}
// fails with a ValidationError before any request: a key never becomes a
// path. Recordings
// fail one by one (their errors are in the result); a bad key (401) or
// the cloud egress cap (509) stops the run, and so does ctx.
func (c *Client) ArchiveTo(ctx context.Context, start, end time.Time, dest Destination, opts ArchiveOptions) (*ArchiveResult, error) {
	if opts.Format == "" {
		opts.Format = SPX
	}
	if err := opts.Format.validate(); err != nil {
		return nil, err
	}
	if dest == nil {
		return nil, &contactkit.ValidationError{Field: "dest", Reason: "a destination is required"}
	}
	if opts.Manifest == "" {
		opts.Manifest = DefaultManifest
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if dir, ok := dest.(Dir); ok {
		if err := os.MkdirAll(string(dir), 0o750); err != nil {
			return nil, fmt.Errorf("contactkit: avaya: archive directory: %w", err)
		}
		if err := removeStaleParts(string(dir), opts.Manifest); err != nil {
			return nil, fmt.Errorf("contactkit: avaya: archive directory: %w", err)
		}
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
	var man manifest
	if !opts.NoManifest {
		if man, err = loadManifest(ctx, dest, opts.Manifest); err != nil {
			return nil, err
		}
	}
	if opts.Listed != nil {
		opts.Listed(todo)
	}

	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	res := &ArchiveResult{Errors: map[Key]error{}}
	res.Total = len(todo)
	var mu sync.Mutex
	changed := false      // the manifest needs writing
	updates := manifest{} // this run's new or changed entries
	report := func(k Key, n int64, skipped bool, entry *ManifestEntry, err error) {
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
		if entry != nil {
			res.Entries = append(res.Entries, *entry)
			if old, ok := man[entry.Name]; man != nil && (!ok || old != *entry) {
				man[entry.Name] = *entry
				updates[entry.Name] = *entry
				changed = true
			}
		}
		p := res.ArchiveProgress
		p.Key, p.Err = k, err
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}
	known := func(name string) (ManifestEntry, bool) {
		mu.Lock()
		defer mu.Unlock()
		e, ok := man[name]
		return e, ok
	}

	work := make(chan Recording)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				j := archiveJob{c: c, dest: dest, r: r, opts: &opts, known: known}
				n, skipped, entry, err := j.run(ctx)
				if err != nil && ctx.Err() != nil {
					return // stopping: not this recording's failure
				}
				if errors.Is(err, contactkit.ErrUnauthorized) || errors.Is(err, contactkit.ErrEgressLimit) {
					cancel(err)
				}
				report(r.Key, n, skipped, entry, err)
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
	stop := context.Cause(ctx)
	if !opts.NoManifest && changed && parent.Err() == nil {
		// Also after a 401 or the egress cap: what was archived is listed.
		if err := man.save(parent, dest, opts.Manifest, updates); err != nil {
			return res, errors.Join(stop, err)
		}
		res.ManifestURL = dest.URL(opts.Manifest)
	}
	if stop != nil {
		return res, stop
	}
	if !opts.NoManifest && len(man) > 0 {
		res.ManifestURL = dest.URL(opts.Manifest)
	}
	return res, nil
}

// partSuffix ends the name of a download in progress.
const partSuffix = ".part"

// removeStaleParts removes the temporary files earlier runs left behind
// (killed, or out of disk): .{key}.{format}.{random}.part, and of older
// versions .{key}.{format}.part and .{key}.part-*; and the manifest's
// (.{manifest}.{random}.part). Only names holding a valid key, or the
// manifest's name, are touched.
func removeStaleParts(dir, manifestName string) error {
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
			base = base[1:]
			if i := strings.LastIndexByte(base, '.'); i >= 0 && isDigits(base[i+1:]) {
				base = base[:i] // Dir.Create's random part
			}
			if base == manifestName {
				key = base
			} else {
				key = strings.TrimSuffix(strings.TrimSuffix(base, "."+string(SPX)), "."+string(WAV))
			}
		}
		if key == "" || (key != manifestName && Key(key).Validate() != nil) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// archiveJob is one recording of an archive run.
type archiveJob struct {
	c     *Client
	dest  Destination
	r     Recording
	opts  *ArchiveOptions
	known func(name string) (ManifestEntry, bool)
}

// entry is the recording's manifest entry for an object of size bytes.
func (j *archiveJob) entry(name string, size int64, sum []byte) *ManifestEntry {
	e := &ManifestEntry{
		Key: j.r.Key, Start: j.r.StartTime, Duration: j.r.Duration, Format: j.opts.Format,
		Size: size, SHA256: hex.EncodeToString(sum), URL: j.dest.URL(name), Name: name,
	}
	if j.opts.CallKey != nil {
		e.CallKey = j.opts.CallKey(j.r)
	}
	return e
}

// run downloads the recording unless its object is already there and
// whole (see complete); it returns the bytes downloaded and the
// recording's manifest entry.
func (j *archiveJob) run(ctx context.Context) (n int64, skipped bool, entry *ManifestEntry, err error) {
	k, format := j.r.Key, j.opts.Format
	if err := k.Validate(); err != nil { // the listing's: it must not become a path
		return 0, false, nil, fmt.Errorf("contactkit: avaya: archiving: %w", err)
	}
	name := string(k) + "." + string(format)
	if size, ok := complete(ctx, j.dest, name, j.r, format); ok {
		if j.opts.NoManifest {
			return 0, true, nil, nil
		}
		if e, ok := j.known(name); ok && e.Size == size && len(e.SHA256) == sha256.Size*2 {
			e.URL = j.dest.URL(name)
			return 0, true, &e, nil
		}
		sum, err := hashObject(ctx, j.dest, name, size) // no entry yet (an older run, a lost manifest)
		if err != nil {
			return 0, false, nil, fmt.Errorf("contactkit: avaya: archiving %s: reading back %s: %w", k, name, err)
		}
		return 0, true, j.entry(name, size, sum), nil
	}
	d := download{c: j.c, key: k, format: format, want: -1, dest: j.dest, name: name, job: j, hash: sha256.New()}
	if format == SPX {
		d.want = j.r.Size // the listing's size is the stored SPX file's
	}
	err = d.run(ctx)
	if err == nil {
		err = d.commit()
	}
	if err != nil {
		d.abort()
		return 0, false, nil, fmt.Errorf("contactkit: avaya: archiving %s: %w", k, err)
	}
	return d.have, false, j.entry(name, d.have, d.hash.Sum(nil)), nil
}

// metadata describes the recording's object; total is the size the
// answer announced (-1: none).
func (j *archiveJob) metadata(total int64) ObjectInfo {
	m := map[string]string{
		"recording-key": string(j.r.Key),
		"start-time":    j.r.StartTime.UTC().Format(time.RFC3339Nano),
		"duration-ms":   strconv.FormatInt(j.r.Duration.Milliseconds(), 10),
	}
	if j.opts.CallKey != nil {
		if ck := j.opts.CallKey(j.r); ck != "" {
			m["call-key"] = string(ck)
		}
	}
	if total >= 0 {
		m["size"] = strconv.FormatInt(total, 10)
	}
	ct := "audio/ogg" // Speex in Ogg
	if j.opts.Format == WAV {
		ct = "audio/wav"
	}
	return ObjectInfo{ContentType: ct, Metadata: m}
}

// headKeep is how much of an object's start is kept for its WAV check.
const headKeep = 64 << 10

// complete reports whether name, an object of an earlier run, is r's
// whole file, and its size: for SPX, of the listing's size (any size
// when the listing has none); for WAV, a file its own RIFF header says
// is whole.
func complete(ctx context.Context, dest Destination, name string, r Recording, format AudioFormat) (int64, bool) {
	size, err := dest.Stat(ctx, name)
	if err != nil {
		return 0, false
	}
	if format != WAV {
		return size, r.Size <= 0 || size == r.Size
	}
	rc, err := dest.Open(ctx, name)
	if err != nil {
		return 0, false
	}
	defer rc.Close()
	head, err := io.ReadAll(io.LimitReader(rc, min(size, headKeep)))
	if err != nil {
		return 0, false
	}
	return size, checkWAV(bytes.NewReader(head), size) == nil
}

// hashObject reads name back from dest and returns its SHA-256.
func hashObject(ctx context.Context, dest Destination, name string, size int64) ([]byte, error) {
	rc, err := dest.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, fmt.Errorf("%w: read %d bytes of %d", errSizeMismatch, n, size)
	}
	return h.Sum(nil), nil
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

// download is one recording's transfer into an object of dest, resumed
// across tries.
type download struct {
	c         *Client
	key       Key
	format    AudioFormat
	want      int64  // SPX: the listing's size; 0 or less: unknown or WAV
	have      int64  // bytes written to w
	validator string // the server's strong ETag or Last-Modified, for If-Range
	dest      Destination
	name      string
	job       *archiveJob
	w         ObjectWriter // nil until the first answer, and after a restart
	head      []byte       // the first headKeep bytes written, for the WAV check
	hash      hash.Hash    // of the bytes written
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
// and errors of the destination are not.
func resumable(err error) bool {
	var pathErr *fs.PathError
	var we *writeError
	return !errors.As(err, &pathErr) && !errors.As(err, &we) && !errors.Is(err, errSizeMismatch) && !errors.Is(err, errBadFile)
}

var (
	errSizeMismatch = errors.New("size mismatch")
	errBadFile      = errors.New("unusable file")
)

// writeError is a failure of the destination while storing a body.
type writeError struct{ err error }

func (e *writeError) Error() string { return "storing: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// Write stores p: into the object, the hash and the kept head.
func (d *download) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if n > 0 {
		d.hash.Write(p[:n])
		if len(d.head) < headKeep {
			d.head = append(d.head, p[:min(n, headKeep-len(d.head))]...)
		}
		d.have += int64(n)
		if d.job.opts.Written != nil {
			d.job.opts.Written(int64(n))
		}
	}
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

func (d *download) try(ctx context.Context) error {
	hdr := http.Header{"Accept": {"*/*"}}
	if d.have > 0 && d.validator != "" {
		hdr.Set("Range", "bytes="+strconv.FormatInt(d.have, 10)+"-")
		hdr.Set("If-Range", d.validator)
	}
	resp, err := d.c.sendAudio(ctx, &transport.Request{ //nolint:bodyclose // closed by CloseBody below
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
		if !ok || from != d.have || hdr.Get("Range") == "" || d.w == nil {
			d.validator = ""
			return fmt.Errorf("%w: unusable 206 answer (Content-Range %q) at byte %d", errShort, resp.Header.Get("Content-Range"), d.have)
		}
		total = size
	} else {
		// The whole body: a first try, a server without ranges, or a
		// recording that changed (If-Range did not match). Start over.
		total = resp.ContentLength
		if err := d.restart(ctx, total); err != nil {
			return err
		}
	}
	d.validator = validatorOf(resp.Header)
	if total >= 0 && d.want > 0 && total != d.want {
		return fmt.Errorf("%w: the server sends %d bytes, the listing says %d", errSizeMismatch, total, d.want)
	}
	expect := d.want // SPX: the listing's size
	if expect <= 0 {
		expect = total // WAV, or no size listed: the answer's, when it gives one
	}
	_, err = io.Copy(d, resp.Body)
	var we *writeError
	switch {
	case errors.As(err, &we):
		return err
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
	err = checkWAV(bytes.NewReader(d.head), d.have)
	if expect >= 0 && errors.Is(err, errShort) {
		// The answer came whole by its length, but its header says more:
		// fetching it again would not mend that.
		return fmt.Errorf("%w: %w", errSizeMismatch, err)
	}
	return err
}

// restart discards what was written and starts a new object, for a
// download from the first byte of an answer of total bytes (-1 unknown).
func (d *download) restart(ctx context.Context, total int64) error {
	d.abort()
	d.have, d.head = 0, d.head[:0]
	d.hash.Reset()
	w, err := d.dest.Create(ctx, d.name, d.job.metadata(total))
	if err != nil {
		return &writeError{err}
	}
	d.w = w
	return nil
}

// commit puts the verified object in place.
func (d *download) commit() error {
	if d.w == nil {
		return errors.New("nothing was downloaded")
	}
	w := d.w
	d.w = nil
	if err := w.Commit(); err != nil {
		_ = w.Abort()
		return &writeError{err}
	}
	return nil
}

// abort discards the object in progress, if any.
func (d *download) abort() {
	if d.w != nil {
		_ = d.w.Abort()
		d.w = nil
	}
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
