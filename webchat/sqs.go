package webchat

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SQSOptions configure an SQSSource. The zero value reads anonymously
// from the queue's own host.
type SQSOptions struct {
	// Credentials signs requests; nil reads anonymously (unsigned).
	Credentials aws.CredentialsProvider
	// Region overrides the region taken from the queue URL or ARN
	// (us-east-1 when neither names one, as with a local server).
	Region string
	// Endpoint overrides the SQS endpoint; by default the queue URL's
	// scheme and host.
	Endpoint string
	// HTTPClient carries the SQS requests.
	HTTPClient *http.Client
	// WaitTime is the long-polling wait of one receive (20 s, the most
	// SQS allows).
	WaitTime time.Duration
	// MaxMessages per receive, 1 to 10 (10).
	MaxMessages int32
	// OnDecodeError, if set, is told about a message that is not a valid
	// agent message; such a message is left on the queue (a redrive
	// policy, where configured, moves it aside).
	OnDecodeError func(body string, err error)
}

// SQSSource reads a session's serverToClientQueue with the AWS SDK. A
// message is deleted only after the handler returned nil.
type SQSSource struct {
	client   *sqs.Client
	queueURL string
	opts     SQSOptions
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
func NewSessionSource(s *Session, opts SQSOptions) (*SQSSource, error) {
	if s == nil || s.ServerToClientQueue == nil || s.ServerToClientQueue.URL == "" {
		return nil, errNoQueue
	}
	q := s.ServerToClientQueue
	if opts.Region == "" {
		opts.Region = regionOf(q.URL, q.ARN)
	}
	return NewSQSSource(q.URL, opts)
}

// NewSQSSource reads the queue at queueURL.
func NewSQSSource(queueURL string, opts SQSOptions) (*SQSSource, error) {
	u, err := url.Parse(queueURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &ValidationError{Field: "queueURL", Reason: "must be an absolute http(s) SQS queue URL"}
	}
	if opts.WaitTime <= 0 || opts.WaitTime > 20*time.Second {
		opts.WaitTime = 20 * time.Second
	}
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
	creds := opts.Credentials
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	o := sqs.Options{Region: opts.Region, Credentials: creds, BaseEndpoint: aws.String(endpoint)}
	if opts.HTTPClient != nil {
		o.HTTPClient = opts.HTTPClient
	}
	return &SQSSource{client: sqs.New(o), queueURL: queueURL, opts: opts}, nil
}

// Receive long-polls the queue and calls handle for every message until
// ctx ends; it returns ctx's error then, or the error of a receive that
// failed for good (the SDK retries transient ones).
func (s *SQSSource) Receive(ctx context.Context, handle func(ctx context.Context, m AgentMessage) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := s.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.queueURL), MaxNumberOfMessages: s.opts.MaxMessages,
			WaitTimeSeconds: int32(s.opts.WaitTime / time.Second),
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		for _, msg := range out.Messages {
			m, err := DecodeMessage([]byte(aws.ToString(msg.Body)))
			if err != nil {
				if s.opts.OnDecodeError != nil {
					s.opts.OnDecodeError(aws.ToString(msg.Body), err)
				}
				continue
			}
			if handle(ctx, m) != nil {
				continue // not deleted: SQS delivers it again after its visibility timeout
			}
			// Delete even if ctx ends right now: the handler has run.
			delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_, err = s.client.DeleteMessage(delCtx, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.queueURL), ReceiptHandle: msg.ReceiptHandle})
			cancel()
			if err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
}
