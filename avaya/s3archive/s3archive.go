// Package s3archive stores Avaya recordings in S3-compatible object
// storage: a Store is an avaya.Destination for Client.ArchiveTo.
//
//	store, err := s3archive.New("recordings",
//		s3archive.WithEndpoint(os.Getenv("AWS_ENDPOINT_URL_S3")), // empty: AWS itself
//		s3archive.WithRegion("eu-central-1"),
//		s3archive.WithPrefix("avaya/2024"),
//		s3archive.WithStaticCredentials(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""))
//	res, err := client.ArchiveTo(ctx, from, to, store, avaya.ArchiveOptions{Format: avaya.WAV})
//
// Each recording is streamed into a multipart upload (two part buffers
// of WithPartSize bytes at most, one filling while the other uploads;
// objects smaller than a part go up in one PutObject), so a recording is
// never held whole in memory. An object appears only when its upload is
// completed, after ArchiveTo has checked the recording whole; a broken
// upload is aborted (AbortMultipartUpload), so nothing that looks
// complete is left behind. Each object carries its content type and the
// recording's metadata (x-amz-meta-recording-key, -call-key, -start-time,
// -duration-ms, -size); a rerun skips an object already there with the
// listed size.
//
// It uses github.com/aws/aws-sdk-go-v2/service/s3 without the config
// module: endpoint, region, bucket, prefix and credentials are options
// here, and nothing is read from the environment or ~/.aws (the
// avaya-archive example shows how to take them from AWS_* variables).
// The avaya package itself does not depend on the AWS SDK.
//
// # HTTP
//
// Every S3 request goes through contactkit's HTTP stack, built from this
// package's options as an API client's is: User-Agent, a debug log line
// per attempt (WithLogger), the per-attempt response timeout
// (WithResponseTimeout), the retry policy (WithRetry, which drives the
// AWS SDK's retryer: 500, 502, 503, 504, throttling and connection
// errors are retried), a tracing wrapper (WithTransportWrapper), and the
// keys kept out of every log line and error. The *http.Client under it
// is WithHTTPClient's (proxy, TLS, connection pool), by default a pooled
// client of its own. To keep the AWS SDK's own transport settings
// instead, hand its transport in:
//
//	s3archive.WithHTTPClient(&http.Client{Transport: awshttp.NewBuildableClient().GetTransport()})
//
// (awshttp is github.com/aws/aws-sdk-go-v2/aws/transport/http).
package s3archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/internal/awsclient"
	"github.com/contactkit/contactkit/internal/transport"
)

// Part sizes: S3 takes parts of 5 MiB to 5 GiB (the last may be smaller)
// and at most 10,000 of them, so the default 5 MiB parts (the AWS SDK's
// upload manager's default too) carry objects up to 48 GiB, with 10 MiB
// of buffers per object being written.
const (
	MinPartSize     = 5 << 20
	MaxPartSize     = 5 << 30
	DefaultPartSize = MinPartSize
)

// Option configures a Store; a bad option is an error from New.
type Option struct{ apply func(*config) error }

type config struct {
	endpoint  string
	region    string
	prefix    string
	creds     aws.CredentialsProvider
	pathStyle *bool
	partSize  int64
	transport []transport.Option
}

func optionError(name, reason string) error {
	return fmt.Errorf("contactkit: s3archive: %s: %s", name, reason)
}

// WithEndpoint sets the S3 endpoint, such as http://127.0.0.1:4568 for
// a local server or https://s3.eu-central-1.amazonaws.com; by default
// AWS's endpoint for the region. With an endpoint, buckets are addressed
// by path (http://host/bucket/key) unless WithPathStyle(false).
func WithEndpoint(endpoint string) Option {
	return Option{func(c *config) error {
		if endpoint == "" {
			return nil // unset, as an empty AWS_ENDPOINT_URL_S3 is
		}
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return optionError("WithEndpoint", "must be an absolute http(s) URL without credentials")
		}
		c.endpoint = strings.TrimSuffix(endpoint, "/")
		return nil
	}}
}

// WithRegion sets the signing region (us-east-1 by default).
func WithRegion(region string) Option {
	return Option{func(c *config) error {
		if strings.ContainsAny(region, "/ \t\r\n") {
			return optionError("WithRegion", "not a region name")
		}
		c.region = region
		return nil
	}}
}

// WithPrefix puts every object under prefix ("avaya/2024" gives keys
// "avaya/2024/{recording-key}.wav" and "avaya/2024/manifest.jsonl").
func WithPrefix(prefix string) Option {
	return Option{func(c *config) error {
		p := strings.Trim(prefix, "/")
		if strings.Contains(p, "//") || strings.ContainsAny(p, "\r\n") {
			return optionError("WithPrefix", "empty path segment or line break")
		}
		c.prefix = p
		return nil
	}}
}

// WithCredentials signs requests with p's keys (an aws.CredentialsProvider
// such as one from github.com/aws/aws-sdk-go-v2/credentials). The keys it
// returns are kept out of logs and errors.
func WithCredentials(p aws.CredentialsProvider) Option {
	return Option{func(c *config) error {
		if p == nil {
			return optionError("WithCredentials", "provider is nil")
		}
		c.creds = p
		return nil
	}}
}

// WithStaticCredentials signs requests with an access key (and a session
// token for temporary credentials, else "").
func WithStaticCredentials(accessKeyID, secretAccessKey, sessionToken string) Option {
	return Option{func(c *config) error {
		if accessKeyID == "" || secretAccessKey == "" {
			return optionError("WithStaticCredentials", "access key id and secret access key are required")
		}
		cr := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Source: "s3archive"}
		c.creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return cr, nil })
		return nil
	}}
}

// WithPathStyle addresses buckets by path (on) or by host name (off).
func WithPathStyle(on bool) Option {
	return Option{func(c *config) error {
		c.pathStyle = &on
		return nil
	}}
}

// WithPartSize sets the multipart part size, MinPartSize to MaxPartSize
// (DefaultPartSize). An upload holds at most two parts in memory.
func WithPartSize(n int64) Option {
	return Option{func(c *config) error {
		if n < MinPartSize || n > MaxPartSize {
			return optionError("WithPartSize", "must be between 5 MiB and 5 GiB")
		}
		c.partSize = n
		return nil
	}}
}

func transportOption(o transport.Option) Option {
	return Option{func(c *config) error {
		c.transport = append(c.transport, o)
		return nil
	}}
}

// WithHTTPClient sets the *http.Client under the stack (proxy, TLS). It
// is not modified: the stack wraps its Transport.
func WithHTTPClient(hc *http.Client) Option { return transportOption(transport.WithHTTPClient(hc)) }

// WithUserAgent puts a product token such as "crm-sync/1.2" first in
// User-Agent.
func WithUserAgent(product string) Option { return transportOption(transport.WithUserAgent(product)) }

// WithLogger logs one debug record per HTTP attempt, without secrets.
func WithLogger(l *slog.Logger) Option { return transportOption(transport.WithLogger(l)) }

// WithRetry sets the retry policy the AWS SDK's retryer follows.
func WithRetry(p contactkit.RetryPolicy) Option { return transportOption(transport.WithRetry(p)) }

// WithoutRetry makes every S3 request a single attempt.
func WithoutRetry() Option { return transportOption(transport.WithoutRetry()) }

// WithResponseTimeout sets how long an attempt may wait for response
// headers, and an upload or a body read for progress, before it fails
// with contactkit.ErrTimeout (default contactkit.DefaultResponseTimeout).
func WithResponseTimeout(d time.Duration) Option {
	return transportOption(transport.WithResponseTimeout(d))
}

// WithTransportWrapper wraps the RoundTripper under every request, for
// tracing or metrics; each request's context carries
// contactkit.OperationName ("S3 UploadPart").
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return transportOption(transport.WithTransportWrapper(wrap))
}

// Store is a bucket (and a prefix in it) as an avaya.Destination. It is
// safe for concurrent use.
type Store struct {
	client   *s3.Client
	t        *transport.Client
	bucket   string
	prefix   string
	partSize int64
}

var _ avaya.Destination = (*Store)(nil)

// New returns a Store for bucket. Credentials are required
// (WithStaticCredentials or WithCredentials).
func New(bucket string, opts ...Option) (*Store, error) {
	if bucket == "" || strings.ContainsAny(bucket, "/ \t\r\n") {
		return nil, &contactkit.ValidationError{Field: "bucket", Reason: "must be a bucket name"}
	}
	cfg := config{region: "us-east-1", partSize: DefaultPartSize}
	for _, o := range opts {
		if o.apply == nil {
			return nil, errors.New("contactkit: s3archive: nil option")
		}
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.creds == nil {
		return nil, &contactkit.ValidationError{Field: "credentials", Reason: "required: WithStaticCredentials or WithCredentials"}
	}
	if cfg.region == "" {
		cfg.region = "us-east-1"
	}
	settings, err := transport.NewSettings(cfg.transport, func(o transport.Option) transport.Option { return o })
	if err != nil {
		return nil, err
	}
	t := transport.NewAbsolute(settings)
	o := s3.Options{
		Region:      cfg.region,
		Credentials: awsclient.Credentials(cfg.creds, t.Redactor()),
		HTTPClient:  t.HTTPClient(),       // the one stack: User-Agent, logger, timeouts, wrapper
		Retryer:     awsclient.Retryer(t), // the client's RetryPolicy
		// S3-compatible servers do not all know the newer checksum
		// headers; the signature covers the payload anyway.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.endpoint != "" {
		o.BaseEndpoint = aws.String(cfg.endpoint)
		o.UsePathStyle = true
	}
	if cfg.pathStyle != nil {
		o.UsePathStyle = *cfg.pathStyle
	}
	return &Store{client: s3.New(o), t: t, bucket: bucket, prefix: cfg.prefix, partSize: cfg.partSize}, nil
}

// ParseURL splits "s3://bucket/prefix" into its bucket and prefix.
func ParseURL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", &contactkit.ValidationError{Field: "url", Reason: fmt.Sprintf("%q is not s3://bucket/prefix", raw)}
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

// Bucket is the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// Prefix is the key prefix of the store's objects ("" for none).
func (s *Store) Prefix() string { return s.prefix }

// key is the object key of name.
func (s *Store) key(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "//") {
		return "", &contactkit.ValidationError{Field: "name", Reason: fmt.Sprintf("%q is not a relative object name", name)}
	}
	if s.prefix == "" {
		return name, nil
	}
	return s.prefix + "/" + name, nil
}

// URL implements avaya.Destination: s3://bucket/prefix/name.
func (s *Store) URL(name string) string {
	k, err := s.key(name)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: "s3", Host: s.bucket, Path: "/" + k}).String()
}

// call names one S3 operation for the stack (logs, OperationName).
func (s *Store) call(ctx context.Context, op string) context.Context {
	return s.t.CallContext(ctx, "S3 "+op, false)
}

// fail turns an AWS SDK error into the package's: a missing object
// matches fs.ErrNotExist, and no key shows in the text.
func (s *Store) fail(op, name string, err error) error {
	var nf *types.NotFound
	var nsk *types.NoSuchKey
	var re *smithyhttp.ResponseError
	if errors.As(err, &nf) || errors.As(err, &nsk) || (errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound) {
		return fmt.Errorf("contactkit: s3archive: %s %s: no such object: %w", op, s.URL(name), fs.ErrNotExist)
	}
	return s.t.Redactor().Error(fmt.Errorf("contactkit: s3archive: %s %s: %w", op, s.URL(name), err))
}

// Stat implements avaya.Destination with HeadObject.
func (s *Store) Stat(ctx context.Context, name string) (int64, error) {
	k, err := s.key(name)
	if err != nil {
		return 0, err
	}
	out, err := s.client.HeadObject(s.call(ctx, "HeadObject"), &s3.HeadObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		return 0, s.fail("HeadObject", name, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Metadata returns an object's content type and user metadata (the
// recording's, for the objects ArchiveTo writes).
func (s *Store) Metadata(ctx context.Context, name string) (contentType string, meta map[string]string, err error) {
	k, err := s.key(name)
	if err != nil {
		return "", nil, err
	}
	out, err := s.client.HeadObject(s.call(ctx, "HeadObject"), &s3.HeadObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		return "", nil, s.fail("HeadObject", name, err)
	}
	return aws.ToString(out.ContentType), out.Metadata, nil
}

// Open implements avaya.Destination with GetObject; the body streams.
func (s *Store) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	k, err := s.key(name)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(s.call(ctx, "GetObject"), &s3.GetObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		return nil, s.fail("GetObject", name, err)
	}
	return out.Body, nil
}

// Create implements avaya.Destination: the object is streamed into a
// multipart upload started when the first part is full (or put in one
// request by Commit when it is smaller than a part).
func (s *Store) Create(ctx context.Context, name string, info avaya.ObjectInfo) (avaya.ObjectWriter, error) {
	k, err := s.key(name)
	if err != nil {
		return nil, err
	}
	return &writer{s: s, ctx: ctx, name: name, key: k, info: info}, nil
}

// writer streams one object: a part fills in buf while the one before
// uploads from spare.
type writer struct {
	s    *Store
	ctx  context.Context
	name string
	key  string
	info avaya.ObjectInfo

	mu       sync.Mutex
	buf      []byte
	spare    []byte
	uploadID *string
	parts    []types.CompletedPart
	inflight chan partResult // the upload of the last part, nil when none
	err      error           // the first failure; every later Write returns it
	done     bool
}

type partResult struct {
	etag *string
	err  error
}

var errClosed = errors.New("contactkit: s3archive: object already committed or aborted")

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.done:
		return 0, errClosed
	case w.err != nil:
		return 0, w.err
	}
	n := 0
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, w.s.partSize)
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p, n = w.buf[:len(w.buf)+k], p[k:], n+k
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				w.err = err
				return n, err
			}
		}
	}
	return n, nil
}

// flush starts the upload of the full buffer, after the one before has
// finished, and takes the other buffer to fill.
func (w *writer) flush() error {
	if err := w.wait(); err != nil {
		return err
	}
	if w.uploadID == nil {
		out, err := w.s.client.CreateMultipartUpload(w.s.call(w.ctx, "CreateMultipartUpload"), &s3.CreateMultipartUploadInput{
			Bucket: &w.s.bucket, Key: &w.key, ContentType: nonEmpty(w.info.ContentType), Metadata: w.info.Metadata,
		})
		if err != nil {
			return w.s.fail("CreateMultipartUpload", w.name, err)
		}
		w.uploadID = out.UploadId
	}
	num := int32(len(w.parts) + 1) //nolint:gosec // at most 10,000 parts
	w.parts = append(w.parts, types.CompletedPart{PartNumber: aws.Int32(num)})
	body := w.buf
	ch := make(chan partResult, 1)
	w.inflight = ch
	go func() {
		out, err := w.s.client.UploadPart(w.s.call(w.ctx, "UploadPart"), &s3.UploadPartInput{
			Bucket: &w.s.bucket, Key: &w.key, UploadId: w.uploadID, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		})
		if err != nil {
			ch <- partResult{err: w.s.fail(fmt.Sprintf("UploadPart %d", num), w.name, err)}
			return
		}
		ch <- partResult{etag: out.ETag}
	}()
	w.buf, w.spare = w.spare[:0], body
	return nil
}

// wait waits for the part upload in flight, if any.
func (w *writer) wait() error {
	if w.inflight == nil {
		return nil
	}
	r := <-w.inflight
	w.inflight = nil
	if r.err != nil {
		return r.err
	}
	w.parts[len(w.parts)-1].ETag = r.etag
	return nil
}

// Commit uploads the rest and completes the upload; the object appears
// now, whole. On error the upload is aborted.
func (w *writer) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return errClosed
	}
	err := w.err
	if err == nil {
		err = w.complete()
	}
	if err != nil {
		_ = w.abort() // the failure that counts is err
		return err
	}
	w.done = true
	w.buf, w.spare = nil, nil
	return nil
}

func (w *writer) complete() error {
	if w.uploadID == nil { // smaller than a part: one request
		_, err := w.s.client.PutObject(w.s.call(w.ctx, "PutObject"), &s3.PutObjectInput{
			Bucket: &w.s.bucket, Key: &w.key, Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf))),
			ContentType: nonEmpty(w.info.ContentType), Metadata: w.info.Metadata,
		})
		if err != nil {
			return w.s.fail("PutObject", w.name, err)
		}
		return nil
	}
	if len(w.buf) > 0 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if err := w.wait(); err != nil {
		return err
	}
	_, err := w.s.client.CompleteMultipartUpload(w.s.call(w.ctx, "CompleteMultipartUpload"), &s3.CompleteMultipartUploadInput{
		Bucket: &w.s.bucket, Key: &w.key, UploadId: w.uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		return w.s.fail("CompleteMultipartUpload", w.name, err)
	}
	return nil
}

// Abort discards the upload: the part in flight is waited for and the
// multipart upload is aborted, even when the write's context has ended
// (with a context of its own, bounded by the response timeout).
func (w *writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	return w.abort()
}

func (w *writer) abort() error {
	w.done = true
	_ = w.wait()
	w.buf, w.spare = nil, nil
	if w.uploadID == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 2*w.s.t.ResponseTimeout())
	defer cancel()
	_, err := w.s.client.AbortMultipartUpload(w.s.call(ctx, "AbortMultipartUpload"), &s3.AbortMultipartUploadInput{
		Bucket: &w.s.bucket, Key: &w.key, UploadId: w.uploadID,
	})
	w.uploadID = nil
	if err != nil {
		return w.s.fail("AbortMultipartUpload", w.name, err)
	}
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
