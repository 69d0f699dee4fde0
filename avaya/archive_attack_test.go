package avaya_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
)

// Attack: a listing whose recording keys carry path characters ("../",
// "/", "%2F", unicode). A key that is not {uuid}-{epochMillis} fails its
// recording with a ValidationError before any request: it never becomes
// a file name, an object key or an audio request path, and it never
// reaches the manifest (which would then not read back).
func TestArchiveRefusesListedKeysThatAreNotKeys(t *testing.T) {
	bad := []string{"../../evil-1", "sub/dir-1", "a%2Fb-1", "ünï-1", wireKey + "/..", ".." + wireKey[2:]}
	var list []string
	for _, k := range append(bad, wireKey) {
		list = append(list, fmt.Sprintf(`{"recordingKey":%q,"startTime":1568754442049,"duration":1000,"size":10,"status":"SAVED"}`, k))
	}
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, "http://cr.example/api/v1/recordings", httpmock.NewStringResponder(200, "["+strings.Join(list, ",")+"]"))
	var mu sync.Mutex
	var paths []string
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		return audioResponse(200, http.Header{}, []byte("0123456789"), 10), nil
	})
	c, err := avaya.NewClient("http://cr.example", contactkit.StaticToken("k"), polling, avaya.WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b")
	res, err := c.Archive(context.Background(), time.UnixMilli(0), time.UnixMilli(1568754442049), dir, avaya.ArchiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Downloaded)
	assert.Equal(t, len(bad), res.Failed)
	for _, k := range bad {
		var ve *contactkit.ValidationError
		assert.ErrorAs(t, res.Errors[avaya.Key(k)], &ve, k)
	}
	assert.Equal(t, []string{"/rest/api/v1/recordings/" + wireKey + "/audio"}, paths, "no request for a bad key")
	var files []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	}))
	assert.ElementsMatch(t, []string{"a/b/" + wireKey + ".spx", "a/b/" + avaya.DefaultManifest}, files)
	entries, err := avaya.ReadManifest(bytes.NewReader(mustRead(t, filepath.Join(dir, avaya.DefaultManifest))))
	require.NoError(t, err, "the manifest reads back")
	require.Len(t, entries, 1)
	assert.Equal(t, avaya.Key(wireKey), entries[0].Key)
}

// Attack: two archives writing the same name into one directory at once
// (two runs started together). The second writer's start must not touch
// the first's file: each Commit puts its own whole bytes in place, never
// a mix of the two (which would have the listed size and pass every later
// check).
func TestDirTwoWritersOfOneName(t *testing.T) {
	d := avaya.Dir(t.TempDir())
	ctx := context.Background()
	whole := bytes.Repeat([]byte("0123456789"), 1000)
	w1, err := d.Create(ctx, "k.spx", avaya.ObjectInfo{})
	require.NoError(t, err)
	_, err = w1.Write(whole[:6000])
	require.NoError(t, err)
	w2, err := d.Create(ctx, "k.spx", avaya.ObjectInfo{}) // the other run starts the same recording
	require.NoError(t, err)
	_, err = w2.Write(whole[:3000])
	require.NoError(t, err)
	_, err = w1.Write(whole[6000:])
	require.NoError(t, err)
	require.NoError(t, w1.Commit())
	assert.Equal(t, whole, mustRead(t, filepath.Join(string(d), "k.spx")), "the first run's file, whole")
	require.NoError(t, w2.Abort(), "the other run is stopped")
	assert.Equal(t, whole, mustRead(t, filepath.Join(string(d), "k.spx")), "its abort leaves the committed file alone")
	entries, err := os.ReadDir(string(d))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}

// Attack: two archives of different time frames into one destination at
// once. Each run loaded the manifest before the other saved it; the one
// that saves last must not drop the other's entries (no later run of
// its own time frame would bring them back).
func TestArchiveConcurrentRunsKeepEachOthersManifestEntries(t *testing.T) {
	srv, c := newFake(t)
	base := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	monday := srv.AddRecording("", base, 4096, avaya.StatusSaved)
	tuesday := srv.AddRecording("", base.Add(24*time.Hour), 4096, avaya.StatusSaved)
	dest := newMemDest()
	ctx := context.Background()
	loaded := make(chan struct{})
	mondayDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-loaded // Tuesday's run has read the (empty) manifest
		res, err := c.ArchiveTo(ctx, base, base.Add(time.Hour), dest, avaya.ArchiveOptions{})
		assert.NoError(t, err)
		assert.Equal(t, 1, res.Downloaded)
		close(mondayDone)
	}()
	res, err := c.ArchiveTo(ctx, base.Add(24*time.Hour), base.Add(25*time.Hour), dest, avaya.ArchiveOptions{
		Listed: func([]avaya.Recording) { close(loaded); <-mondayDone },
	})
	wg.Wait()
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded)
	dest.mu.Lock()
	raw := dest.objects[avaya.DefaultManifest]
	dest.mu.Unlock()
	entries, err := avaya.ReadManifest(bytes.NewReader(raw))
	require.NoError(t, err)
	var keys []avaya.Key
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	assert.Equal(t, []avaya.Key{monday.Key, tuesday.Key}, keys, "both runs' recordings are listed")
}

// A run killed mid-write leaves .{name}.{random}.part files (a recording's
// and the manifest's); the next run removes them and finishes, and leaves
// files that are not its own alone.
func TestArchiveRemovesPartsOfKilledRun(t *testing.T) {
	srv, c := newFake(t)
	base, recs := archiveFixture(t, srv, 4096)
	dir := t.TempDir()
	stale := []string{"." + string(recs[0].Key) + ".spx.123456789.part", "." + avaya.DefaultManifest + ".42.part"}
	kept := []string{".notes.txt.1.part", ".x-1.spx.2.part", ".other.jsonl.3.part"}
	for _, name := range append(stale, kept...) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("half"), 0o600))
	}
	res, err := c.Archive(context.Background(), base, base.Add(time.Hour), dir, avaya.ArchiveOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	wantFile(t, dir, avaya.SPX, recs[0])
	for _, name := range stale {
		assert.NoFileExists(t, filepath.Join(dir, name))
	}
	for _, name := range kept {
		assert.FileExists(t, filepath.Join(dir, name))
	}
	fi, err := os.Stat(filepath.Join(dir, string(recs[0].Key)+".spx"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
}

// otherEntries are manifest lines of earlier runs over other days.
func otherEntries(n int) []avaya.ManifestEntry {
	var out []avaya.ManifestEntry
	for i := range n {
		start := time.Date(2024, 1, 1+i, 9, 0, 0, 0, time.UTC)
		k := avaya.NewKey(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), start)
		out = append(out, avaya.ManifestEntry{Key: k, Start: start, Duration: time.Second, Format: avaya.SPX,
			Size: 10, SHA256: strings.Repeat("ab", 32), URL: "mem:///" + string(k) + ".spx"})
	}
	return out
}

func manifestKeys(t *testing.T, raw []byte) []avaya.Key {
	t.Helper()
	entries, err := avaya.ReadManifest(bytes.NewReader(raw))
	require.NoError(t, err)
	var keys []avaya.Key
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	return keys
}

// Attack: a manifest with a line cut short or corrupt in the middle (and
// at the end). The run skips the damaged lines and keeps every entry
// after them: the entries of other days are not dropped from the
// manifest it writes (no run of this day would bring them back).
func TestArchiveKeepsManifestEntriesAroundDamagedLines(t *testing.T) {
	srv, c := newFake(t)
	base, recs := archiveFixture(t, srv, 4096)
	old := otherEntries(4)
	var buf bytes.Buffer
	require.NoError(t, avaya.WriteManifest(&buf, old))
	lines := strings.SplitAfter(buf.String(), "\n")
	lines[1] = lines[1][:len(lines[1])/2] + "\n" // cut short
	lines[2] = `{"key":"` + string(old[2].Key) + `","format":"../x"}` + "\n"
	lines[4] = `{"key":"` + string(old[3].Key) // the last line, cut short: no newline
	dest := newMemDest()
	dest.objects[avaya.DefaultManifest] = []byte(strings.Join(lines, ""))
	res, err := c.ArchiveTo(context.Background(), base, base.Add(time.Hour), dest, avaya.ArchiveOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded)
	got := manifestKeys(t, dest.objects[avaya.DefaultManifest])
	assert.Equal(t, []avaya.Key{old[0].Key, old[3].Key, recs[0].Key}, got, "lines 2 and 3 were damaged; 4 is kept")
}

// failingManifest is a destination whose manifest breaks off while it is
// read (a connection reset in the middle of a GetObject).
type failingManifest struct {
	*memDest
	fail bool
}

func (d *failingManifest) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := d.memDest.Open(ctx, name)
	if err != nil || !d.fail || name != avaya.DefaultManifest {
		return rc, err
	}
	return io.NopCloser(io.MultiReader(io.LimitReader(rc, 40), iotest.ErrReader(errors.New("connection reset by peer")))), nil
}

// Attack: the manifest breaks off while it is read. The run must not go
// on with the part it read and then write that part as the manifest,
// dropping the entries it did not read.
func TestArchiveManifestReadErrorLosesNoEntries(t *testing.T) {
	srv, c := newFake(t)
	base, recs := archiveFixture(t, srv, 4096)
	old := otherEntries(3)
	var buf bytes.Buffer
	require.NoError(t, avaya.WriteManifest(&buf, old))
	dest := &failingManifest{memDest: newMemDest(), fail: true}
	dest.objects[avaya.DefaultManifest] = buf.Bytes()
	_, err := c.ArchiveTo(context.Background(), base, base.Add(time.Hour), dest, avaya.ArchiveOptions{})
	require.ErrorContains(t, err, "connection reset by peer")
	require.ErrorContains(t, err, "manifest")
	assert.Equal(t, buf.Bytes(), dest.objects[avaya.DefaultManifest], "the manifest is left as it was")

	dest.fail = false // the next run reads it whole
	res, err := c.ArchiveTo(context.Background(), base, base.Add(time.Hour), dest, avaya.ArchiveOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded)
	assert.Equal(t, []avaya.Key{old[0].Key, old[1].Key, old[2].Key, recs[0].Key}, manifestKeys(t, dest.objects[avaya.DefaultManifest]))
}
