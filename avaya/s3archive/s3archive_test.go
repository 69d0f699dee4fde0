package s3archive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/s3archive"
	"github.com/contactkit/contactkit/internal/testtool"
)

// Upload, metadata, rerun skips, manifest matches the objects — against
// a real s3rver, in both formats, with a recording larger than a part
// (multipart) beside small ones (one PutObject each).
func archiveToS3rver(t *testing.T, endpoint string) {
	for _, format := range []avaya.AudioFormat{avaya.SPX, avaya.WAV} {
		t.Run(string(format), func(t *testing.T) {
			p := newProxy(t, endpoint)
			store := newStore(t, p.url)
			srv, c := newAvaya(t)
			size := map[avaya.AudioFormat]int64{avaya.SPX: 6 << 20, avaya.WAV: 60_000}[format] // SPX: parts of 5 and 1 MiB
			call := srv.AddRecording("", day, size, avaya.StatusSaved)
			recs := []avaya.Recording{call,
				srv.AddRecording(call.Key, day.Add(time.Minute), 40_000, avaya.StatusSaved),
				srv.AddRecording("", day.Add(2*time.Minute), 50_000, avaya.StatusSaved)}
			srv.AddRecording("", day.Add(3*time.Minute), 50_000, avaya.StatusDeletedTime) // no audio
			callOf := map[avaya.Key]avaya.Key{recs[0].Key: call.Key, recs[1].Key: call.Key, recs[2].Key: recs[2].Key}
			opts := avaya.ArchiveOptions{Format: format, Concurrency: 2, CallKey: func(r avaya.Recording) avaya.Key { return callOf[r.Key] }}
			ctx := context.Background()

			res, err := c.ArchiveTo(ctx, day, day.Add(time.Hour), store, opts)
			require.NoError(t, err)
			require.Equal(t, 3, res.Downloaded, "%v", res.Errors)
			assert.Equal(t, "s3://bucket/"+store.Prefix()+"/manifest.jsonl", res.ManifestURL)
			if format == avaya.SPX {
				assert.Equal(t, 1, p.count("CreateMultipartUpload"), p.log())
				assert.Equal(t, 2, p.count("UploadPart"), "6 MiB in 5 MiB parts")
				assert.Equal(t, 1, p.count("CompleteMultipartUpload"))
				assert.Equal(t, 3, p.count("PutObject"), "two small recordings and the manifest: %s", p.log())
			} else {
				assert.Equal(t, 4, p.count("PutObject"), "three small recordings and the manifest: %s", p.log())
			}
			for _, r := range recs {
				name := string(r.Key) + "." + string(format)
				want := audio(t, format, r)
				assert.Equal(t, sha(want), sha(readAll(t, store, name)), "%s", name)
				ct, meta, err := store.Metadata(ctx, name)
				require.NoError(t, err)
				assert.Equal(t, map[avaya.AudioFormat]string{avaya.SPX: "audio/ogg", avaya.WAV: "audio/wav"}[format], ct)
				assert.Equal(t, string(r.Key), meta["recording-key"])
				assert.Equal(t, string(callOf[r.Key]), meta["call-key"])
				assert.Equal(t, r.StartTime.Format(time.RFC3339Nano), meta["start-time"])
				assert.Equal(t, strconv.FormatInt(r.Duration.Milliseconds(), 10), meta["duration-ms"])
				assert.Equal(t, strconv.Itoa(len(want)), meta["size"])
			}

			// The manifest matches the objects: each entry's object, read
			// back and hashed, is the entry's size and SHA-256.
			entries, err := avaya.ReadManifest(bytes.NewReader(readAll(t, store, "manifest.jsonl")))
			require.NoError(t, err)
			require.Len(t, entries, 3)
			for i, e := range entries {
				assert.Equal(t, recs[i].Key, e.Key, "ordered by start")
				assert.Equal(t, callOf[e.Key], e.CallKey)
				assert.True(t, recs[i].StartTime.Equal(e.Start))
				assert.Equal(t, recs[i].Duration, e.Duration)
				assert.Equal(t, store.URL(e.Name), e.URL)
				b := readAll(t, store, e.Name)
				assert.Equal(t, int64(len(b)), e.Size)
				assert.Equal(t, sha(b), e.SHA256)
			}

			// A rerun skips every object already there with its size: no
			// audio request, no upload, the manifest left as it is.
			p.reset()
			srv.ResetRequests()
			res, err = c.ArchiveTo(ctx, day, day.Add(time.Hour), store, opts)
			require.NoError(t, err)
			assert.Equal(t, 3, res.Skipped)
			assert.Equal(t, 0, res.Downloaded)
			for _, r := range srv.Requests() {
				assert.NotContains(t, r.Path, "/audio")
			}
			for _, op := range []string{"PutObject", "UploadPart", "CreateMultipartUpload"} {
				assert.Zero(t, p.count(op), "%s on a rerun: %s", op, p.log())
			}
			assert.Len(t, res.Entries, 3)
		})
	}
}

// A recording whose object is there with another size than the listing's
// is uploaded again (SPX); a lost manifest is rebuilt from the objects.
func s3RerunRedoesWrongSizeAndRebuildsManifest(t *testing.T, endpoint string) {
	store := newStore(t, endpoint)
	srv, c := newAvaya(t)
	r1 := srv.AddRecording("", day, 30_000, avaya.StatusSaved)
	r2 := srv.AddRecording("", day.Add(time.Minute), 30_000, avaya.StatusSaved)
	ctx := context.Background()
	w, err := store.Create(ctx, string(r1.Key)+".spx", avaya.ObjectInfo{})
	require.NoError(t, err)
	_, err = w.Write([]byte("short"))
	require.NoError(t, err)
	require.NoError(t, w.Commit())

	res, err := c.ArchiveTo(ctx, day, day.Add(time.Hour), store, avaya.ArchiveOptions{NoManifest: true})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Downloaded, "the 5-byte object is not the listing's 30,000")
	_, err = store.Stat(ctx, "manifest.jsonl")
	require.ErrorIs(t, err, fs.ErrNotExist, "NoManifest")

	srv.ResetRequests()
	res, err = c.ArchiveTo(ctx, day, day.Add(time.Hour), store, avaya.ArchiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Skipped)
	entries, err := avaya.ReadManifest(bytes.NewReader(readAll(t, store, "manifest.jsonl")))
	require.NoError(t, err)
	require.Len(t, entries, 2)
	for i, r := range []avaya.Recording{r1, r2} {
		assert.Equal(t, sha(audio(t, avaya.SPX, r)), entries[i].SHA256, "hashed from the object read back")
	}
	for _, r := range srv.Requests() {
		assert.NotContains(t, r.Path, "/audio")
	}
}

// A download broken off for good after a part went up leaves no object
// under the name (nothing that looks complete), and the multipart upload
// is aborted; the next run uploads it whole.
func s3BrokenUploadLeavesNothing(t *testing.T, endpoint string) {
	p := newProxy(t, endpoint)
	store := newStore(t, p.url)
	srv, c := newAvaya(t, avaya.WithoutRetry())               // one try (each try of a retry is the same)
	r := srv.AddRecording("", day, 21<<19, avaya.StatusSaved) // 10.5 MiB
	srv.IgnoreRange(true)
	srv.CutAudio(1) // the body stops at 5.25 MiB: one part is up
	ctx := context.Background()
	res, err := c.ArchiveTo(ctx, day, day.Add(time.Hour), store, avaya.ArchiveOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Errors[r.Key].Error(), "body ended early")
	_, err = store.Stat(ctx, string(r.Key)+".spx")
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, 1, p.count("CreateMultipartUpload"), p.log())
	assert.Equal(t, 1, p.count("UploadPart"), "the first 5 MiB went up: %s", p.log())
	assert.Equal(t, 1, p.count("AbortMultipartUpload"), "then the upload was aborted: %s", p.log())
	assert.Zero(t, p.count("CompleteMultipartUpload"))

	res, err = c.ArchiveTo(ctx, day, day.Add(time.Hour), store, avaya.ArchiveOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	assert.Equal(t, sha(audio(t, avaya.SPX, r)), sha(readAll(t, store, string(r.Key)+".spx")))
}

// Attack: S3 answers 500 to the first part upload and to the first
// PutObject; the AWS SDK's retryer, under the store's policy, tries again
// and the archive succeeds.
func s3ServerErrorThenSuccess(t *testing.T, endpoint string) {
	p := newProxy(t, endpoint)
	store := newStore(t, p.url)
	srv, c := newAvaya(t)
	big := srv.AddRecording("", day, 7<<20, avaya.StatusSaved)
	small := srv.AddRecording("", day.Add(time.Minute), 4096, avaya.StatusSaved)
	p.failNext("UploadPart", 1)
	p.failNext("PutObject", 1)
	p.failNext("CompleteMultipartUpload", 1)
	res, err := c.ArchiveTo(context.Background(), day, day.Add(time.Hour), store, avaya.ArchiveOptions{Concurrency: 1, NoManifest: true})
	require.NoError(t, err)
	require.Equal(t, 2, res.Downloaded, "%v", res.Errors)
	assert.Equal(t, 3, p.count("UploadPart"), "two parts, the first twice: %s", p.log())
	assert.Equal(t, 2, p.count("CompleteMultipartUpload"))
	for _, r := range []avaya.Recording{big, small} {
		assert.Equal(t, sha(audio(t, avaya.SPX, r)), sha(readAll(t, store, string(r.Key)+".spx")))
	}
}

// Attack: S3 throttles (503 SlowDown) and is briefly unavailable (503)
// on every kind of write; the retryer waits and tries again, and every
// object arrives whole.
func s3SlowDownThenSuccess(t *testing.T, endpoint string) {
	p := newProxy(t, endpoint)
	store := newStore(t, p.url)
	srv, c := newAvaya(t)
	big := srv.AddRecording("", day, 6<<20, avaya.StatusSaved)
	small := srv.AddRecording("", day.Add(time.Minute), 4096, avaya.StatusSaved)
	for _, op := range []string{"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObject", "HeadObject"} {
		p.failWith(op, http.StatusServiceUnavailable, "SlowDown")
		p.failWith(op, http.StatusServiceUnavailable, "ServiceUnavailable")
	}
	res, err := c.ArchiveTo(context.Background(), day, day.Add(time.Hour), store, avaya.ArchiveOptions{Concurrency: 1})
	require.NoError(t, err)
	require.Equal(t, 2, res.Downloaded, "%v", res.Errors)
	for _, r := range []avaya.Recording{big, small} {
		assert.Equal(t, sha(audio(t, avaya.SPX, r)), sha(readAll(t, store, string(r.Key)+".spx")))
	}
	assert.Equal(t, 3, p.count("CreateMultipartUpload"), p.log())
	assert.Equal(t, 3, p.count("CompleteMultipartUpload"), p.log())
	entries, err := avaya.ReadManifest(bytes.NewReader(readAll(t, store, "manifest.jsonl")))
	require.NoError(t, err)
	assert.Len(t, entries, 2)
}

// Attack: an S3 server that never answers a part upload. The attempt
// times out (contactkit.ErrTimeout) after the response timeout, the
// retries too, the recording fails, the upload is aborted and nothing is
// left; the run takes a bounded time.
func s3ServerNeverAnswers(t *testing.T, endpoint string) {
	p := newProxy(t, endpoint)
	p.stallOn("UploadPart")
	store := newStore(t, p.url, s3archive.WithResponseTimeout(150*time.Millisecond),
		s3archive.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	srv, c := newAvaya(t)
	r := srv.AddRecording("", day, 6<<20, avaya.StatusSaved)
	start := time.Now()
	res, err := c.ArchiveTo(context.Background(), day, day.Add(time.Hour), store, avaya.ArchiveOptions{NoManifest: true})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, 1, res.Failed)
	require.ErrorIs(t, res.Errors[r.Key], contactkit.ErrTimeout)
	assert.Equal(t, 2, p.count("UploadPart"), p.log())
	assert.Equal(t, 1, p.count("AbortMultipartUpload"), p.log())
	_, err = store.Stat(context.Background(), string(r.Key)+".spx")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// Attack: the context is cancelled mid-upload (after the first part went
// up). ArchiveTo returns context.Canceled promptly, the multipart upload
// is aborted (with a context of its own), no object is there, and no
// goroutine is left (TestMain's goleak).
func s3CancelledMidUpload(t *testing.T, endpoint string) {
	p := newProxy(t, endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var parts atomic.Int32
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(r)
			if contactkit.OperationName(r.Context()) == "S3 UploadPart" && parts.Add(1) == 1 {
				cancel()
			}
			return resp, err
		})
	}
	store := newStore(t, p.url, s3archive.WithTransportWrapper(wrap))
	srv, c := newAvaya(t)
	r := srv.AddRecording("", day, 11<<20, avaya.StatusSaved)
	start := time.Now()
	_, err := c.ArchiveTo(ctx, day, day.Add(time.Hour), store, avaya.ArchiveOptions{})
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 1, p.count("AbortMultipartUpload"), p.log())
	assert.Zero(t, p.count("CompleteMultipartUpload"))
	_, err = store.Stat(context.Background(), string(r.Key)+".spx")
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = store.Stat(context.Background(), "manifest.jsonl")
	require.ErrorIs(t, err, fs.ErrNotExist, "no manifest for a stopped run")
}

// Attack: the context is cancelled after each S3 request in turn (the
// manifest read, the HeadObjects, CreateMultipartUpload, each part, the
// PutObject, CompleteMultipartUpload). Every run ends with
// context.Canceled or success; every multipart upload started is
// completed or aborted; an object under a recording's name is whole; no
// goroutine is left (TestMain's goleak).
func s3CancelledAtEveryStep(t *testing.T, endpoint string) {
	srv, c := newAvaya(t)
	big := srv.AddRecording("", day, 6<<20, avaya.StatusSaved) // parts of 5 and 1 MiB
	small := srv.AddRecording("", day.Add(time.Minute), 4096, avaya.StatusSaved)
	for step := 1; ; step++ {
		p := newProxy(t, endpoint)
		ctx, cancel := context.WithCancel(context.Background())
		var n atomic.Int32
		wrap := func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := next.RoundTrip(r)
				if int(n.Add(1)) == step {
					cancel()
				}
				return resp, err
			})
		}
		store := newStore(t, p.url, s3archive.WithPrefix(fmt.Sprintf("avaya/every-step/%d", step)), s3archive.WithTransportWrapper(wrap))
		_, err := c.ArchiveTo(ctx, day, day.Add(time.Hour), store, avaya.ArchiveOptions{Concurrency: 1})
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.Canceled, "step %d", step)
		}
		started := p.count("CreateMultipartUpload")
		assert.Equal(t, started, p.count("CompleteMultipartUpload")+p.count("AbortMultipartUpload"), "step %d: %s", step, p.log())
		for _, r := range []avaya.Recording{big, small} {
			name := string(r.Key) + ".spx"
			if _, err := store.Stat(context.Background(), name); err == nil {
				assert.Equal(t, sha(audio(t, avaya.SPX, r)), sha(readAll(t, store, name)), "step %d", step)
			}
		}
		if err == nil {
			require.Greater(t, step, 5, "the run has more steps than that")
			return
		}
	}
}

// TestS3rver runs the tests against one real s3rver (each under a prefix
// of its own).
func TestS3rver(t *testing.T) {
	endpoint := startS3rver(t)
	for name, test := range map[string]func(*testing.T, string){
		"ArchiveToS3rver": archiveToS3rver,
		"S3RerunRedoesWrongSizeAndRebuildsManifest": s3RerunRedoesWrongSizeAndRebuildsManifest,
		"S3BrokenUploadLeavesNothing":               s3BrokenUploadLeavesNothing,
		"S3ServerErrorThenSuccess":                  s3ServerErrorThenSuccess,
		"S3SlowDownThenSuccess":                     s3SlowDownThenSuccess,
		"S3ServerNeverAnswers":                      s3ServerNeverAnswers,
		"S3CancelledMidUpload":                      s3CancelledMidUpload,
		"S3CancelledAtEveryStep":                    s3CancelledAtEveryStep,
		"S3SecretsNeverPrint":                       s3SecretsNeverPrint,
		"AWSTransport":                              awsTransport,
		"HeapStaysBounded":                          heapStaysBounded,
	} {
		t.Run(name, func(t *testing.T) { test(t, endpoint) })
	}
}

// The AWS SDK's own transport under contactkit's stack, as the package
// documentation shows.
func awsTransport(t *testing.T, endpoint string) {
	var ops []string
	var mu sync.Mutex
	logTo := func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			ops = append(ops, contactkit.OperationName(r.Context()))
			mu.Unlock()
			return next.RoundTrip(r)
		})
	}
	store := newStore(t, endpoint, s3archive.WithHTTPClient(&http.Client{Transport: awshttp.NewBuildableClient().GetTransport()}),
		s3archive.WithTransportWrapper(logTo))
	srv, c := newAvaya(t)
	r := srv.AddRecording("", day, 4096, avaya.StatusSaved)
	res, err := c.ArchiveTo(context.Background(), day, day.Add(time.Hour), store, avaya.ArchiveOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	assert.Equal(t, sha(audio(t, avaya.SPX, r)), sha(readAll(t, store, string(r.Key)+".spx")))
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, ops, "S3 PutObject", "through the stack's wrapper")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The secret key (and the access key id) never reach a log line or an
// error: calls with the right keys through a debug logger, and every
// error path (an unknown key id: InvalidAccessKeyId, whose body names
// the key id; a missing object; a 500; a timeout).
func s3SecretsNeverPrint(t *testing.T, endpoint string) {
	p := newProxy(t, endpoint)
	var logs testtool.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := newAvaya(t)
	r := srv.AddRecording("", day, 6<<20, avaya.StatusSaved)
	ctx := context.Background()
	var errs []error

	good := newStore(t, p.url, s3archive.WithLogger(logger))
	res, err := c.ArchiveTo(ctx, day, day.Add(time.Hour), good, avaya.ArchiveOptions{})
	require.NoError(t, err)
	require.Equal(t, 1, res.Downloaded, "%v", res.Errors)
	_, err = good.Stat(ctx, "missing.spx")
	errs = append(errs, err)

	const otherSecret = "other-secret-Hn4c9Lq2"
	const otherKey = "AKIDNOSUCHKEY0001"
	for _, s := range []*s3archive.Store{ // s3rver checks the key id, not the SigV4 signature
		newStore(t, p.url, s3archive.WithLogger(logger), s3archive.WithStaticCredentials(otherKey, otherSecret, "session-tok-77")),
	} {
		_, err := s.Stat(ctx, string(r.Key)+".spx")
		require.Error(t, err)
		errs = append(errs, err)
		res, err := c.ArchiveTo(ctx, day, day.Add(time.Hour), s, avaya.ArchiveOptions{Format: avaya.WAV})
		if err == nil { // s3rver says 404 for a missing manifest before it checks the signature
			require.Equal(t, 1, res.Failed)
			err = res.Errors[r.Key]
		}
		errs = append(errs, err)
		w, err := s.Create(ctx, "x.spx", avaya.ObjectInfo{})
		require.NoError(t, err)
		_, _ = w.Write(make([]byte, 100))
		errs = append(errs, w.Commit())
	}
	p.failNext("HeadObject", 10)
	_, err = good.Stat(ctx, string(r.Key)+".spx")
	errs = append(errs, err)
	p.stallOn("GetObject")
	quick := newStore(t, p.url, s3archive.WithLogger(logger), s3archive.WithResponseTimeout(50*time.Millisecond), s3archive.WithoutRetry())
	_, err = quick.Open(ctx, string(r.Key)+".spx")
	errs = append(errs, err)

	var all strings.Builder
	for _, e := range errs {
		require.Error(t, e)
		all.WriteString(e.Error() + "\n")
	}
	t.Log(all.String())
	text := all.String() + logs.String()
	assert.Contains(t, logs.String(), "S3 UploadPart", "the debug log has the calls")
	assert.Contains(t, all.String(), "InvalidAccessKeyId")
	for _, secret := range []string{testSecretKey, otherSecret, otherKey, testAccessKey, "session-tok-77"} {
		assert.NotContains(t, text, secret)
	}
	assert.True(t, errors.Is(errs[len(errs)-1], contactkit.ErrTimeout), "%v", errs[len(errs)-1])
}

// Bad options are errors from New, not surprises at the first call.
func TestNewOptions(t *testing.T) {
	creds := s3archive.WithStaticCredentials("a", "b", "")
	for name, opts := range map[string][]s3archive.Option{
		"no credentials": nil,
		"bad endpoint":   {creds, s3archive.WithEndpoint("ftp://x")},
		"endpoint keys":  {creds, s3archive.WithEndpoint("http://user:pw@x")},
		"small parts":    {creds, s3archive.WithPartSize(1 << 20)},
		"empty secret":   {s3archive.WithStaticCredentials("a", "", "")},
		"nil provider":   {s3archive.WithCredentials(nil)},
		"bad prefix":     {creds, s3archive.WithPrefix("a//b")},
		"nil option":     {creds, {}},
	} {
		_, err := s3archive.New("bucket", opts...)
		assert.Error(t, err, name)
	}
	_, err := s3archive.New("", creds)
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	s, err := s3archive.New("bucket", creds, s3archive.WithPrefix("/a/b/"), s3archive.WithEndpoint(""))
	require.NoError(t, err)
	assert.Equal(t, "a/b", s.Prefix())
	assert.Equal(t, "s3://bucket/a/b/k.wav", s.URL("k.wav"))
	_, err = s.Create(context.Background(), "../k", avaya.ObjectInfo{})
	require.NoError(t, err, "keys are opaque to S3")
	_, err = s.Create(context.Background(), "/k", avaya.ObjectInfo{})
	require.Error(t, err)

	b, prefix, err := s3archive.ParseURL("s3://rec-bucket/avaya/2024/")
	require.NoError(t, err)
	assert.Equal(t, "rec-bucket", b)
	assert.Equal(t, "avaya/2024", prefix)
	for _, bad := range []string{"rec-bucket/x", "s3:///x", "http://b/x", "s3://u:p@b/x", "s3://b/x?y=1"} {
		_, _, err := s3archive.ParseURL(bad)
		assert.Error(t, err, bad)
	}
}
