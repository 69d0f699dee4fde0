package s3archive_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/s3archive"
	"github.com/contactkit/contactkit/internal/benchutil"
)

// heapBound is the most the heap may grow while a recording of any size
// streams into S3 (two part buffers of 5 MiB, plus the HTTP stacks and
// the garbage between two collections).
const heapBound = 32 << 20

// archiveHeapPeak archives one recording of size bytes from the fake
// into store and returns the peak heap growth the run saw, sampled as
// bytes are stored.
func archiveHeapPeak(t testing.TB, c *avaya.Client, store *s3archive.Store, from time.Time) uint64 {
	t.Helper()
	var res *avaya.ArchiveResult
	var err error
	peak := benchutil.HeapPeak(func(sample func()) {
		var since int64
		res, err = c.ArchiveTo(context.Background(), from, from.Add(time.Minute), store, avaya.ArchiveOptions{
			Concurrency: 1, NoManifest: true,
			Written: func(n int64) { // Concurrency 1: one goroutine calls this
				if since += n; since >= 1<<20 {
					since = 0
					sample()
				}
			},
		})
	})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	return peak
}

// A 40 MiB recording streams into S3 with the heap growing by less than
// 32 MiB (BenchmarkArchive1GiBToS3 does 1 GiB).
func heapStaysBounded(t *testing.T, endpoint string) {
	srv, c := newAvaya(t)
	r := srv.AddRecording("", day, 40<<20, avaya.StatusSaved)
	store := newStore(t, endpoint, s3archive.WithPartSize(s3archive.DefaultPartSize))
	peak := archiveHeapPeak(t, c, store, r.StartTime)
	t.Logf("40 MiB recording: peak heap growth %.1f MiB", float64(peak)/(1<<20))
	require.Less(t, peak, uint64(heapBound))
	size, err := store.Stat(context.Background(), string(r.Key)+".spx")
	require.NoError(t, err)
	require.Equal(t, r.Size, size)
}

// BenchmarkArchive1GiBToS3 streams a generated 1 GiB recording from the
// fake into a real s3rver in 5 MiB parts and reports the peak heap
// growth (peak-heap-MiB; the claim: under 32 MiB) and the throughput.
// With -short (a smoke run, as CI's -benchtime 1x pass) the recording is
// 64 MiB, still twelve parts and twice the bound, so that a heap that grew
// with the recording would fail it; the 1 GiB figure is without -short:
//
//	go test -run '^$' -bench Archive1GiB -benchtime 1x ./avaya/s3archive/
func BenchmarkArchive1GiBToS3(b *testing.B) {
	endpoint := startS3rver(b)
	srv, c := newAvaya(b)
	store := newStore(b, endpoint, s3archive.WithPartSize(s3archive.DefaultPartSize))
	size := int64(1 << 30)
	if testing.Short() {
		size = 64 << 20
	}
	var peak uint64
	i := 0
	b.SetBytes(size)
	for b.Loop() {
		r := srv.AddRecording("", day.Add(time.Duration(i)*time.Hour), size, avaya.StatusSaved)
		peak = max(peak, archiveHeapPeak(b, c, store, r.StartTime))
		i++
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if peak >= heapBound {
		b.Fatalf("heap grew by %.1f MiB streaming %d MiB", float64(peak)/(1<<20), size>>20)
	}
}
