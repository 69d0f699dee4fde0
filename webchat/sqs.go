package webchat

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/awsclient"
	"github.com/contactkit/contactkit/internal/transport"
)

// SQSOptions configure an SQSSource. The zero value reads anonymously
// from the queue's own host. The HTTP side (proxy, TLS, User-Agent,
// logger, retry policy, timeouts, tracing wrapper) is the Client's.
type SQSOptions struct {
	// Credentials signs requests; nil reads anonymously (unsigned). The
	// keys it returns are kept out of the client's logs and errors.
	Credentials aws.CredentialsProvider
	// Region overrides the region taken from the queue URL or ARN
	// (us-east-1 when neither names one, as with a local server).
	Region string
	// Endpoint overrides the SQS endpoint; by default the queue URL's
	// scheme and host.
	Endpoint string
	// WaitTime is the long-polling wait of one receive (20 s, the most
	// SQS allows), kept 2 s below the client's response timeout
	// (WithResponseTimeout) so that a long poll is not taken for a silent
	// server.
	WaitTime time.Duration
	// MaxMessages per receive, 1 to 10 (10).
	MaxMessages int32
	// OnDecodeError, if set, is told about a message that is not a valid
	// agent message; such a message is left on the queue (a redrive
	// policy, where configured, moves it aside).
	OnDecodeError func(body string, err error)
	// OnDeleteError, if set, is told when a handled message could not be
	// deleted, after the client's retry policy; SQS delivers it again
	// after its visibility timeout, and Receive goes on.
	OnDeleteError func(err error)
	// DeleteLater leaves every handled message on the queue: the caller
	// deletes it with Delete(ctx, m.Receipt) once it has reached its
	// destination (a browser's acknowledgement, say), from this process
	// or another. Until then it stays hidden for the queue's visibility
	// timeout and is delivered again after it.
	DeleteLater bool
}

// SQSSource reads a session's serverToClientQueue with the AWS SDK,
// through the Client's HTTP stack. A message is deleted only after the
// handler returned nil.
type SQSSource struct {
	client   *sqs.Client
	t        *transport.Client
	queueURL string
	opts     SQSOptions
	wait     time.Duration // the long poll, whole seconds
}

var (
	regionFromHost = regexp.MustCompile(`^sqs[.-]([a-z0-9-]+)\.amazonaws\.com`)
	errNoQueue     = errors.New("contactkit: webchat: the session has no serverToClientQueue")
)

// regionOf reads the region from a queue ARN (arn:aws:sqs:REGION:...) or
// an AWS queue URL host (sqs.REGION.amazonaws.com).
func regionOf(queueURL, arn string) string {
	if parts := strings.Split(arn, ":"); len(parts) >= 6 && parts[0] == "arn" && parts[3] != "" {
		return parts[3]
	}
	if u, err := url.Parse(queueURL); err == nil {
		if m := regionFromHost.FindStringSubmatch(u.Host); m != nil {
			return m[1]
		}
	}
	return ""
}

// NewSessionSource reads the session's serverToClientQueue.
func (c *Client) NewSessionSource(s *Session, opts SQSOptions) (*SQSSource, error) {
	if s == nil || s.ServerToClientQueue == nil || s.ServerToClientQueue.URL == "" {
		return nil, errNoQueue
	}
	q := s.ServerToClientQueue
	if opts.Region == "" {
		opts.Region = regionOf(q.URL, q.ARN)
	}
	return c.NewSQSSource(q.URL, opts)
}

// longPollMargin keeps a long poll this much shorter than the response
// timeout.
const longPollMargin = 2 * time.Second

// NewSQSSource reads the queue at queueURL.
func (c *Client) NewSQSSource(queueURL string, opts SQSOptions) (*SQSSource, error) {
	u, err := url.Parse(queueURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &contactkit.ValidationError{Field: "queueURL", Reason: "must be an absolute http(s) SQS queue URL"}
	}
	if opts.WaitTime <= 0 || opts.WaitTime > 20*time.Second {
		opts.WaitTime = 20 * time.Second
	}
	wait := min(opts.WaitTime, c.t.ResponseTimeout()-longPollMargin).Truncate(time.Second)
	if opts.MaxMessages < 1 || opts.MaxMessages > 10 {
		opts.MaxMessages = 10
	}
	if opts.Region == "" {
		opts.Region = regionOf(queueURL, "")
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = u.Scheme + "://" + u.Host
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	switch opts.Credentials.(type) {
	case nil, aws.AnonymousCredentials, *aws.AnonymousCredentials:
	default:
		creds = awsclient.Credentials(opts.Credentials, c.t.Redactor())
	}
	o := sqs.Options{
		Region: opts.Region, Credentials: creds, BaseEndpoint: aws.String(endpoint),
		HTTPClient: c.t.HTTPClient(),       // the one stack: User-Agent, logger, timeouts, wrapper
		Retryer:    awsclient.Retryer(c.t), // the client's RetryPolicy
	}
	return &SQSSource{client: sqs.New(o), t: c.t, queueURL: queueURL, opts: opts, wait: max(wait, 0)}, nil
}

// Receive long-polls the queue and calls handle for every message until
// ctx ends; it returns ctx's error then, or the error of a receive that
// failed for good (after the client's retry policy). A message whose
// delete fails is not an error: it comes again (at-least-once).
func (s *SQSSource) Receive(ctx context.Context, handle func(ctx context.Context, m AgentMessage) error) error {
	idle := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		out, err := s.client.ReceiveMessage(s.t.CallContext(ctx, "SQS ReceiveMessage", false), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.queueURL), MaxNumberOfMessages: s.opts.MaxMessages,
			WaitTimeSeconds: int32(s.wait / time.Second),
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.t.Redactor().Error(err)
		}
		if len(out.Messages) == 0 {
			// A short poll, or a server that does not hold the request:
			// space the next one as the retry policy spaces retries.
			if time.Since(start) < s.wait/2 || s.wait == 0 {
				if err := s.t.Wait(ctx, idle); err != nil {
					return err
				}
				idle++
			}
			continue
		}
		idle = 0
		for _, msg := range out.Messages {
			if err := ctx.Err(); err != nil {
				return err // the rest of the batch comes again after its visibility timeout
			}
			m, err := DecodeMessage([]byte(aws.ToString(msg.Body)))
			if err != nil {
				if s.opts.OnDecodeError != nil {
					s.opts.OnDecodeError(aws.ToString(msg.Body), err)
				}
				continue
			}
			m.ID, m.Receipt = aws.ToString(msg.MessageId), aws.ToString(msg.ReceiptHandle)
			if handle(ctx, m) != nil || s.opts.DeleteLater {
				continue // not deleted: SQS delivers it again after its visibility timeout
			}
			if err := s.delete(ctx, msg.ReceiptHandle); err != nil && s.opts.OnDeleteError != nil {
				s.opts.OnDeleteError(err)
			}
		}
	}
}

// Delete deletes the message of this receipt handle (AgentMessage.Receipt
// of the latest delivery; SQS ignores an older one), retrying as the
// client's policy says. It is what SQSOptions.DeleteLater leaves to the
// caller.
func (s *SQSSource) Delete(ctx context.Context, receipt string) error {
	if receipt == "" {
		return &contactkit.ValidationError{Field: "receipt", Reason: "is required"}
	}
	return s.delete(ctx, aws.String(receipt))
}

// deleteTimeout bounds the deletes of one handled message, retries
// included, once the Receive context has ended.
const deleteTimeout = 10 * time.Second

// delete deletes a handled message, retrying a failed delete as the
// client's policy says. It goes on when ctx ends: the handler has run.
func (s *SQSSource) delete(ctx context.Context, receipt *string) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
	defer cancel()
	in := &sqs.DeleteMessageInput{QueueUrl: aws.String(s.queueURL), ReceiptHandle: receipt}
	single := func(o *sqs.Options) { o.RetryMaxAttempts = 1 } // this loop is the retry
	var err error
	for attempt := range max(s.t.Retry().MaxAttempts, 1) {
		if attempt > 0 {
			if werr := s.t.Wait(dctx, attempt-1); werr != nil {
				break
			}
		}
		if _, err = s.client.DeleteMessage(s.t.CallContext(dctx, "SQS DeleteMessage", false), in, single); err == nil {
			return nil
		}
	}
	return s.t.Redactor().Error(err)
}
