package avaya

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Destination is where ArchiveTo stores recordings and its manifest: a
// local directory (Dir), S3-compatible object storage (package
// avaya/s3archive), or a store of your own. Names are slash-separated
// and relative, such as "{recording-key}.wav" and "manifest.jsonl".
//
// An object is written whole or not at all: Create starts it, nothing
// under its name changes while it is written, Commit puts it in place,
// and Abort (or a failed Commit) leaves nothing that looks complete. A
// Destination is used by several goroutines at once (one object each).
type Destination interface {
	// Stat returns the size of the object name, or an error matching
	// fs.ErrNotExist when there is none.
	Stat(ctx context.Context, name string) (int64, error)
	// Open reads the object name (a file of an earlier run, the
	// manifest); an error matching fs.ErrNotExist when there is none.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Create starts writing the object name, described by info. The
	// writer is used until Commit or Abort and never after; ctx bounds
	// the whole write.
	Create(ctx context.Context, name string, info ObjectInfo) (ObjectWriter, error)
	// URL names the object name for the manifest ("file:///srv/rec/k.wav",
	// "s3://bucket/prefix/k.wav").
	URL(name string) string
}

// ObjectWriter streams one object into a Destination.
type ObjectWriter interface {
	io.Writer
	// Commit puts the object in place under its name, replacing one
	// that was there. On error the object is aborted.
	Commit() error
	// Abort discards what was written; it may be called after a failed
	// Commit, and more than once.
	Abort() error
}

// ObjectInfo describes an object ArchiveTo writes: its content type and
// metadata (for a recording: "recording-key", "call-key" when known,
// "start-time" in RFC 3339, "duration-ms" and "size", the size its
// answer announced, when it did). Destinations that keep metadata (S3:
// x-amz-meta-*) store it with the object.
type ObjectInfo struct {
	ContentType string
	Metadata    map[string]string
}

// Dir is a local directory as a Destination. Each object is written to a
// temporary file of its own beside its final name (.{name}.{random}.part)
// and renamed into place by Commit, so a name holds a whole file or
// nothing, and two writers of one name never mix their bytes. Archive into
// a Dir removes the temporary files of earlier runs first: run one
// archive per directory at a time.
type Dir string

// Stat implements Destination.
func (d Dir) Stat(_ context.Context, name string) (int64, error) {
	p, err := d.path(name)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file: %w", p, fs.ErrNotExist)
	}
	return fi.Size(), nil
}

// Open implements Destination.
func (d Dir) Open(_ context.Context, name string) (io.ReadCloser, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p) //nolint:gosec // a name checked by path
}

// Create implements Destination: the directories on the way are made,
// and the object is written to .{name}.{random}.part beside its final
// name.
func (d Dir) Create(_ context.Context, name string, _ ObjectInfo) (ObjectWriter, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return nil, err
	}
	// A temporary file of its own (.{name}.{random}.part), never one
	// another writer of the same name (another run) is writing.
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*"+partSuffix)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o640); err != nil { // CreateTemp's is 0600
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	return &fileWriter{f: f, part: f.Name(), final: p}, nil
}

// URL implements Destination: a file:// URL of the absolute path.
func (d Dir) URL(name string) string {
	p, err := d.path(name)
	if err != nil {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// path is name inside d; names that would leave d are refused.
func (d Dir) path(name string) (string, error) {
	clean := path.Clean("/" + name)[1:]
	if name == "" || clean != name || strings.Contains(name, "\\") {
		return "", fmt.Errorf("contactkit: avaya: %q is not a clean relative name", name)
	}
	return filepath.Join(string(d), filepath.FromSlash(name)), nil
}

// fileWriter writes a temporary file and renames it into place.
type fileWriter struct {
	mu    sync.Mutex
	f     *os.File
	part  string
	final string
	done  bool
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *fileWriter) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return errors.New("contactkit: avaya: object already committed or aborted")
	}
	w.done = true
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.part, w.final)
	}
	if err != nil {
		_ = os.Remove(w.part)
	}
	return err
}

func (w *fileWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	_ = w.f.Close()
	if err := os.Remove(w.part); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
