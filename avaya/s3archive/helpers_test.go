package s3archive_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/s3archive"
	"github.com/contactkit/contactkit/internal/testtool"
)

// The keys s3rver is started with; the secret must never show.
const (
	testAccessKey = "AKIDCONTACTKIT01"
	testSecretKey = "s3-secret-Zq8v3kT0pW"
	testBucket    = "bucket"
)

// s3rverScript starts s3rver with a bucket and a key pair of the test's.
const s3rverScript = `
const [mod, port, dir, akid, secret] = process.argv.slice(2);
const S3rver = require(mod);
const { DUMMY_ACCOUNT } = require(mod + '/lib/models/account');
DUMMY_ACCOUNT.createKeyPair(akid, secret);
new S3rver({ port: Number(port), address: '127.0.0.1', silent: true, directory: dir,
  configureBuckets: [{ name: 'bucket' }] }).run().then(() => console.log('ready'),
  (err) => { console.error(err); process.exit(1); });
`

// startS3rver starts a real s3rver on a free loopback port (skipped
// locally without it, failing under CI=true) and returns its endpoint.
func startS3rver(t testing.TB) string {
	t.Helper()
	mod := testtool.NodeModule(t, "s3rver", "S3RVER_MODULE")
	port := testtool.FreePort(t)
	testtool.StartNode(t, s3rverScript, mod, strconv.Itoa(port), t.TempDir(), testAccessKey, testSecretKey)
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// fast retries quickly, so that failure paths end in milliseconds.
var fast = s3archive.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond})

func newStore(t testing.TB, endpoint string, opts ...s3archive.Option) *s3archive.Store {
	t.Helper()
	base := []s3archive.Option{
		s3archive.WithEndpoint(endpoint), s3archive.WithPrefix("avaya/" + strings.ReplaceAll(t.Name(), "/", "-")), s3archive.WithPartSize(s3archive.MinPartSize),
		s3archive.WithStaticCredentials(testAccessKey, testSecretKey, ""), fast,
	}
	s, err := s3archive.New(testBucket, append(base, opts...)...)
	require.NoError(t, err)
	return s
}

// newAvaya starts the fake Call Reporting server and a client for it.
func newAvaya(t testing.TB, opts ...avaya.Option) (*avayatest.Server, *avaya.Client) {
	t.Helper()
	srv := avayatest.NewServer()
	t.Cleanup(srv.Close)
	base := []avaya.Option{avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond})}
	c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), append(base, opts...)...)
	require.NoError(t, err)
	return srv, c
}

var day = time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)

// readAll reads an object back whole.
func readAll(t testing.TB, s *s3archive.Store, name string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), name)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// audio is the file the fake sends for r.
func audio(t testing.TB, format avaya.AudioFormat, r avaya.Recording) []byte {
	t.Helper()
	body, _ := avayatest.Audio(format, r)
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	return b
}

// s3op names an S3 request by method and query, as the API does.
func s3op(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "UploadPart"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodGet:
		return "GetObject"
	}
	return r.Method
}

// proxy sits in front of s3rver: it logs every S3 operation and can
// answer some with 500 (the next n of an operation) or never answer them
// (stall), and answers AbortMultipartUpload itself (s3rver has no such
// call) with 204.
type proxy struct {
	url   string
	mu    sync.Mutex
	ops   []string
	fail  map[string][]failure // the next answers of an operation
	stall map[string]bool
}

// failure is an S3 error answer.
type failure struct {
	status int
	code   string
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &proxy{fail: map[string][]failure{}, stall: map[string]bool{}}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := s3op(r)
		p.mu.Lock()
		p.ops = append(p.ops, op)
		var f failure
		fail, stall := len(p.fail[op]) > 0, p.stall[op]
		if fail {
			f, p.fail[op] = p.fail[op][0], p.fail[op][1:]
		}
		p.mu.Unlock()
		switch {
		case stall: // read the body, so that the client's leaving is seen, and never answer
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-done:
			}
		case fail:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(f.status)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+f.code+`</Code><Message>Please try again.</Message></Error>`)
		case op == "AbortMultipartUpload":
			w.WriteHeader(http.StatusNoContent)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first
	p.url = srv.URL
	return p
}

// failNext answers the next n requests of op with 500 InternalError.
func (p *proxy) failNext(op string, n int) {
	for range n {
		p.failWith(op, http.StatusInternalServerError, "InternalError")
	}
}

// failWith answers the next request of op (after those already set to
// fail) with status and the S3 error code.
func (p *proxy) failWith(op string, status int, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail[op] = append(p.fail[op], failure{status, code})
}

func (p *proxy) stallOn(op string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stall[op] = true
}

func (p *proxy) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, o := range p.ops {
		if o == op {
			n++
		}
	}
	return n
}

func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ops = nil
}

func (p *proxy) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.ops, " ")
}
