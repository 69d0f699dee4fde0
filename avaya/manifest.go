package avaya

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"
)

// DefaultManifest is the name of the manifest ArchiveTo keeps in its
// destination unless ArchiveOptions.Manifest names another.
const DefaultManifest = "manifest.jsonl"

// ManifestEntry is one archived recording, one JSON line of the manifest:
//
//	{"key":"0a72…-1568739643644","call_key":"8384…-1568735345298","start":"2019-09-17T16:20:43.644Z","duration_ms":59347,"format":"wav","size":474834,"sha256":"9f86…","url":"s3://bucket/rec/0a72…-1568739643644.wav"}
//
// call_key is left out when it is not known (see ArchiveOptions.CallKey).
type ManifestEntry struct {
	Key      Key
	CallKey  Key
	Start    time.Time
	Duration time.Duration
	Format   AudioFormat
	Size     int64  // bytes of the archived object
	SHA256   string // of the archived object, lower-case hex
	URL      string // where it is (Destination.URL)
	Name     string // its name in the destination, "{key}.{format}"; not in the JSON (the URL holds it)
}

type manifestWire struct {
	Key        Key         `json:"key"`
	CallKey    Key         `json:"call_key,omitempty"`
	Start      time.Time   `json:"start"`
	DurationMS int64       `json:"duration_ms"`
	Format     AudioFormat `json:"format"`
	Size       int64       `json:"size"`
	SHA256     string      `json:"sha256"`
	URL        string      `json:"url"`
}

// MarshalJSON writes the manifest line (without its newline).
func (e ManifestEntry) MarshalJSON() ([]byte, error) {
	return json.Marshal(manifestWire{
		Key: e.Key, CallKey: e.CallKey, Start: e.Start.UTC(), DurationMS: e.Duration.Milliseconds(),
		Format: e.Format, Size: e.Size, SHA256: e.SHA256, URL: e.URL,
	})
}

// UnmarshalJSON reads a manifest line.
func (e *ManifestEntry) UnmarshalJSON(b []byte) error {
	var w manifestWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = ManifestEntry{
		Key: w.Key, CallKey: w.CallKey, Start: w.Start, Duration: time.Duration(w.DurationMS) * time.Millisecond,
		Format: w.Format, Size: w.Size, SHA256: w.SHA256, URL: w.URL, Name: string(w.Key) + "." + string(w.Format),
	}
	return nil
}

// ReadManifest reads a manifest (JSON Lines, as ArchiveTo writes it).
// Blank lines are skipped; a line that is not an entry is an error that
// names it.
func ReadManifest(r io.Reader) ([]ManifestEntry, error) {
	var out []ManifestEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var e ManifestEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return out, fmt.Errorf("contactkit: avaya: manifest line %d: %w", line, err)
		}
		if err := e.Key.Validate(); err != nil {
			return out, fmt.Errorf("contactkit: avaya: manifest line %d: %w", line, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// WriteManifest writes entries as JSON Lines, ordered by start time and
// key.
func WriteManifest(w io.Writer, entries []ManifestEntry) error {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b ManifestEntry) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(string(a.Key)+string(a.Format), string(b.Key)+string(b.Format))
	})
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, e := range sorted {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// manifest is the manifest of a destination while an archive runs: the
// entries of earlier runs, then this run's, by object name.
type manifest map[string]ManifestEntry

// loadManifest reads the manifest name of dest; none is an empty one. A
// line that is not an entry (damaged by hand, cut short) is skipped, and
// the lines after it still count: the objects it listed are hashed again
// as they are met. A read that breaks off is an error: the part read
// must not be written back as the whole.
func loadManifest(ctx context.Context, dest Destination, name string) (manifest, error) {
	m := manifest{}
	rc, err := dest.Open(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("contactkit: avaya: reading the manifest: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	for {
		line, err := br.ReadBytes('\n')
		if b := bytes.TrimSpace(line); len(b) > 0 {
			var e ManifestEntry
			if json.Unmarshal(b, &e) == nil && e.Key.Validate() == nil && e.Format != "" && e.Format.validate() == nil {
				m[e.Name] = e
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return m, nil
		case err != nil:
			return nil, fmt.Errorf("contactkit: avaya: reading the manifest: %w", err)
		}
	}
}

// save writes the manifest to dest as one object: m (as loaded at the
// start of the run, with this run's updates) merged with the manifest
// as it is now, which another run into the same destination may have
// saved meanwhile, and updates over both.
func (m manifest) save(ctx context.Context, dest Destination, name string, updates manifest) error {
	now, err := loadManifest(ctx, dest, name)
	if err != nil {
		return err
	}
	merged := maps.Clone(m)
	maps.Copy(merged, now)
	maps.Copy(merged, updates)
	entries := make([]ManifestEntry, 0, len(merged))
	for _, e := range merged {
		entries = append(entries, e)
	}
	w, err := dest.Create(ctx, name, ObjectInfo{ContentType: "application/jsonl"})
	if err != nil {
		return fmt.Errorf("contactkit: avaya: writing the manifest: %w", err)
	}
	if err := WriteManifest(w, entries); err != nil {
		_ = w.Abort()
		return fmt.Errorf("contactkit: avaya: writing the manifest: %w", err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("contactkit: avaya: writing the manifest: %w", err)
	}
	return nil
}
