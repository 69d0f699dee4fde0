package avaya_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The manifest of a directory archive lists every archived recording
// with the hash of its file; a rerun leaves it as it is, a lost one is
// rebuilt from the files without downloading anything, and NoManifest
// keeps none.
func TestArchiveManifestInDir(t *testing.T) {
	srv, c := newFake(t)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	first := srv.AddRecording("", base, 30_000, avaya.StatusSaved)
	recs := []avaya.Recording{first, srv.AddRecording(first.Key, base.Add(time.Minute), 20_000, avaya.StatusSaved),
		srv.AddRecording("", base.Add(2*time.Minute), 10_000, avaya.StatusSaved)}
	callOf := func(r avaya.Recording) avaya.Key {
		if r.Key == recs[1].Key {
			return first.Key
		}
		return r.Key
	}
	dir := t.TempDir()
	opts := avaya.ArchiveOptions{Format: avaya.WAV, CallKey: callOf}
	res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, opts)
	require.NoError(t, err)
	require.Equal(t, 3, res.Downloaded)
	manifest := filepath.Join(dir, avaya.DefaultManifest)
	abs, err := filepath.Abs(manifest)
	require.NoError(t, err)
	assert.Equal(t, (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), res.ManifestURL)
	raw, err := os.ReadFile(manifest)
	require.NoError(t, err)
	entries, err := avaya.ReadManifest(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Len(t, entries, 3)
	for i, e := range entries {
		r := recs[i]
		b, err := os.ReadFile(filepath.Join(dir, e.Name))
		require.NoError(t, err)
		assert.Equal(t, r.Key, e.Key)
		assert.Equal(t, callOf(r), e.CallKey)
		assert.True(t, r.StartTime.Equal(e.Start))
		assert.Equal(t, r.Duration, e.Duration)
		assert.Equal(t, avaya.WAV, e.Format)
		assert.Equal(t, int64(len(b)), e.Size)
		assert.Equal(t, hexSHA(b), e.SHA256)
		assert.True(t, strings.HasPrefix(e.URL, "file:///") && strings.HasSuffix(e.URL, "/"+e.Name), e.URL)
	}
	assert.ElementsMatch(t, entries, res.Entries)
	first3 := strings.SplitN(string(raw), "\n", 2)[0]
	assert.Contains(t, first3, `"key":"`+string(recs[0].Key)+`","call_key":"`+string(first.Key)+`","start":"2024-05-06T09:00:00Z","duration_ms":3750,"format":"wav","size":30058,"sha256":"`)

	// A rerun: nothing downloaded, the manifest not rewritten.
	before, _ := os.Stat(manifest)
	srv.ResetRequests()
	res, err = c.Archive(context.Background(), base, base.Add(time.Hour), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Skipped)
	assert.Len(t, res.Entries, 3)
	after, _ := os.Stat(manifest)
	assert.Equal(t, before.ModTime(), after.ModTime())
	assert.Empty(t, audioRequests(srv))

	// A lost manifest is rebuilt from the files, byte for byte.
	require.NoError(t, os.Remove(manifest))
	res, err = c.Archive(context.Background(), base, base.Add(time.Hour), dir, opts)
	require.NoError(t, err)
	assert.Equal(t, 3, res.Skipped)
	again, err := os.ReadFile(manifest)
	require.NoError(t, err)
	assert.Equal(t, string(raw), string(again))
	assert.Empty(t, audioRequests(srv))

	// Entries of earlier runs outside this run's time frame are kept.
	later := srv.AddRecording("", base.Add(2*time.Hour), 5_000, avaya.StatusSaved)
	res, err = c.Archive(context.Background(), base.Add(90*time.Minute), base.Add(3*time.Hour), dir, opts)
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded)
	entries, err = avaya.ReadManifest(bytes.NewReader(mustRead(t, manifest)))
	require.NoError(t, err)
	require.Len(t, entries, 4)
	assert.Equal(t, later.Key, entries[3].Key)

	other := t.TempDir()
	res, err = c.Archive(context.Background(), base, base.Add(time.Hour), other, avaya.ArchiveOptions{NoManifest: true, Manifest: "x.jsonl"})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Downloaded)
	assert.Empty(t, res.ManifestURL)
	assert.Len(t, res.Entries, 3, "the downloads' entries, still")
	assert.NoFileExists(t, filepath.Join(other, avaya.DefaultManifest))
	assert.NoFileExists(t, filepath.Join(other, "x.jsonl"))
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// memDest is a Destination in memory that can be told to fail.
type memDest struct {
	mu         sync.Mutex
	objects    map[string][]byte
	info       map[string]avaya.ObjectInfo
	open       int // writers neither committed nor aborted
	aborted    int
	failWrite  string // a name whose writes fail
	failCommit string // a name whose Commit fails
	failStat   error
}

func newMemDest() *memDest {
	return &memDest{objects: map[string][]byte{}, info: map[string]avaya.ObjectInfo{}}
}

func (m *memDest) Stat(_ context.Context, name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failStat != nil {
		return 0, m.failStat
	}
	b, ok := m.objects[name]
	if !ok {
		return 0, fs.ErrNotExist
	}
	return int64(len(b)), nil
}

func (m *memDest) Open(_ context.Context, name string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memDest) Create(_ context.Context, name string, info avaya.ObjectInfo) (avaya.ObjectWriter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.open++
	return &memWriter{m: m, name: name, info: info}, nil
}

func (m *memDest) URL(name string) string { return "mem:///" + name }

type memWriter struct {
	m    *memDest
	name string
	info avaya.ObjectInfo
	buf  bytes.Buffer
	done bool
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.name == w.m.failWrite {
		return 0, errors.New("disk full")
	}
	return w.buf.Write(p)
}

func (w *memWriter) Commit() error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if w.name == w.m.failCommit {
		return errors.New("commit refused")
	}
	w.done = true
	w.m.open--
	w.m.objects[w.name] = w.buf.Bytes()
	w.m.info[w.name] = w.info
	return nil
}

func (w *memWriter) Abort() error {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if !w.done {
		w.done = true
		w.m.open--
		w.m.aborted++
	}
	return nil
}

// ArchiveTo writes through any Destination: metadata and content type
// per object; a store that fails to write or commit fails that recording
// only (not retried: the download was fine), leaves no object, and every
// writer is ended.
func TestArchiveToDestination(t *testing.T) {
	srv, c := newFake(t)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	var recs []avaya.Recording
	for i := range 4 {
		recs = append(recs, srv.AddRecording("", base.Add(time.Duration(i)*time.Minute), int64(8_000+i), avaya.StatusSaved))
	}
	dest := newMemDest()
	name := func(i int) string { return string(recs[i].Key) + ".spx" }
	dest.failWrite, dest.failCommit = name(1), name(2)
	res, err := c.ArchiveTo(context.Background(), base, base.Add(time.Hour), dest, avaya.ArchiveOptions{Concurrency: 3})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Downloaded)
	assert.Equal(t, 2, res.Failed)
	assert.ErrorContains(t, res.Errors[recs[1].Key], "disk full")
	assert.ErrorContains(t, res.Errors[recs[2].Key], "commit refused")
	assert.Len(t, audioRequests(srv), 4, "a failing store is not a reason to download again")
	assert.Zero(t, dest.open, "every writer committed or aborted")
	assert.Equal(t, 2, dest.aborted)
	var names []string
	for n := range dest.objects {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{name(0), name(3), avaya.DefaultManifest}
	sort.Strings(want)
	assert.Equal(t, want, names)
	info := dest.info[name(3)]
	assert.Equal(t, "audio/ogg", info.ContentType)
	assert.Equal(t, map[string]string{
		"recording-key": string(recs[3].Key), "start-time": "2024-05-06T09:03:00Z",
		"duration-ms": fmt.Sprint(recs[3].Duration.Milliseconds()), "size": "8003",
	}, info.Metadata)
	assert.Equal(t, "application/jsonl", dest.info[avaya.DefaultManifest].ContentType)
	assert.Equal(t, "mem:///manifest.jsonl", res.ManifestURL)

	_, err = c.ArchiveTo(context.Background(), base, base.Add(time.Hour), nil, avaya.ArchiveOptions{})
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)

	// A manifest that cannot be read stops the run before any download.
	broken := newMemDest()
	broken.objects[avaya.DefaultManifest] = []byte("{not json\n")
	srv.ResetRequests()
	res, err = c.ArchiveTo(context.Background(), base, base.Add(time.Hour), broken, avaya.ArchiveOptions{})
	require.NoError(t, err, "a damaged manifest is rebuilt")
	assert.Equal(t, 4, res.Downloaded)
	entries, err := avaya.ReadManifest(bytes.NewReader(broken.objects[avaya.DefaultManifest]))
	require.NoError(t, err)
	assert.Len(t, entries, 4)
}

// Progress for displays: Listed once before the downloads, Written as
// bytes are stored (all of them), Progress per recording.
func TestArchiveReportsBytes(t *testing.T) {
	srv, c := newFake(t)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	var total int64
	for i := range 5 {
		total += srv.AddRecording("", base.Add(time.Duration(i)*time.Minute), int64(50_000+i), avaya.StatusSaved).Size
	}
	var mu sync.Mutex
	var listed []avaya.Recording
	var written int64
	calls := 0
	res, err := c.ArchiveTo(context.Background(), base, base.Add(time.Hour), newMemDest(), avaya.ArchiveOptions{
		Concurrency: 3,
		Listed:      func(r []avaya.Recording) { listed = r },
		Written: func(n int64) {
			mu.Lock()
			defer mu.Unlock()
			written += n
		},
		Progress: func(avaya.ArchiveProgress) { calls++ },
	})
	require.NoError(t, err)
	assert.Len(t, listed, 5)
	assert.Equal(t, total, written)
	assert.Equal(t, total, res.Bytes)
	assert.Equal(t, 5, calls)
}

// Dir names stay inside the directory.
func TestDirNames(t *testing.T) {
	d := avaya.Dir(t.TempDir())
	ctx := context.Background()
	for _, bad := range []string{"", "../x", "/etc/passwd", "a/../../x", `a\b`, "./a"} {
		_, err := d.Create(ctx, bad, avaya.ObjectInfo{})
		assert.Error(t, err, bad)
		_, err = d.Stat(ctx, bad)
		assert.Error(t, err, bad)
		assert.Empty(t, d.URL(bad))
	}
	w, err := d.Create(ctx, "sub/a.spx", avaya.ObjectInfo{})
	require.NoError(t, err)
	_, err = w.Write([]byte("abc"))
	require.NoError(t, err)
	_, err = d.Stat(ctx, "sub/a.spx")
	require.ErrorIs(t, err, fs.ErrNotExist, "nothing under the name before Commit")
	require.NoError(t, w.Commit())
	require.Error(t, w.Commit(), "once")
	require.NoError(t, w.Abort(), "abort after commit is a no-op")
	n, err := d.Stat(ctx, "sub/a.spx")
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	w, err = d.Create(ctx, "sub/a.spx", avaya.ObjectInfo{})
	require.NoError(t, err)
	_, err = w.Write([]byte("longer"))
	require.NoError(t, err)
	require.NoError(t, w.Abort())
	require.NoError(t, w.Abort())
	assert.Equal(t, "abc", string(mustRead(t, filepath.Join(string(d), "sub", "a.spx"))), "an abort leaves the old object")
	entries, _ := os.ReadDir(filepath.Join(string(d), "sub"))
	assert.Len(t, entries, 1, "no temporary file")
}

// The manifest's JSON form round-trips, and a bad line is named.
func TestManifestLines(t *testing.T) {
	e := avaya.ManifestEntry{
		Key: avayatest.DocumentedRecording2, CallKey: avayatest.DocumentedCall, Start: time.UnixMilli(1568739643644).UTC(),
		Duration: 59347 * time.Millisecond, Format: avaya.WAV, Size: 474834, SHA256: strings.Repeat("ab", 32), URL: "s3://b/p/x.wav",
	}
	var buf bytes.Buffer
	require.NoError(t, avaya.WriteManifest(&buf, []avaya.ManifestEntry{e}))
	assert.Equal(t, `{"key":"0a72f610-8615-4ac9-8f1d-b914f9f164dc-1568739643644","call_key":"83849370-5753-4186-9fc5-9c069e615734-1568735345298","start":"2019-09-17T17:00:43.644Z","duration_ms":59347,"format":"wav","size":474834,"sha256":"`+e.SHA256+`","url":"s3://b/p/x.wav"}`+"\n", buf.String())
	got, err := avaya.ReadManifest(strings.NewReader("\n" + buf.String() + "\n"))
	require.NoError(t, err)
	e.Name = string(e.Key) + ".wav"
	assert.Equal(t, []avaya.ManifestEntry{e}, got)
	_, err = avaya.ReadManifest(strings.NewReader(buf.String() + `{"key":"nope"}` + "\n"))
	assert.ErrorContains(t, err, "manifest line 2")
}

// A run stopped by the egress cap (or a bad key) still lists what it
// archived before the stop in the manifest.
func TestArchiveStoppedRunKeepsManifest(t *testing.T) {
	srv, c := newFake(t)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	var recs []avaya.Recording
	for i := range 3 {
		recs = append(recs, srv.AddRecording("", base.Add(time.Duration(i)*time.Minute), 4096, avaya.StatusSaved))
	}
	dest := newMemDest()
	res, err := c.ArchiveTo(context.Background(), base, base.Add(time.Hour), dest, avaya.ArchiveOptions{
		Concurrency: 1,
		Progress:    func(avaya.ArchiveProgress) { srv.SetEgressCapReached(true) },
	})
	require.ErrorIs(t, err, contactkit.ErrEgressLimit)
	require.Equal(t, 1, res.Downloaded)
	assert.Equal(t, "mem:///manifest.jsonl", res.ManifestURL)
	entries, err := avaya.ReadManifest(bytes.NewReader(dest.objects[avaya.DefaultManifest]))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, recs[0].Key, entries[0].Key)
}
