// Package awsclient is what the SDK's AWS clients (web chat SQS, the S3
// archive) share so that their requests keep contactkit's promises: the
// credentials they sign with are redacted from every error and log line,
// and the AWS SDK retries as the contactkit client's RetryPolicy says.
package awsclient

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/contactkit/contactkit/internal/transport"
)

// Credentials registers every key p hands to the AWS SDK with r, so that a
// server echoing one does not put it in an error or a log line.
func Credentials(p aws.CredentialsProvider, r *transport.Redactor) aws.CredentialsProvider {
	return redactedCredentials{p: p, r: r}
}

type redactedCredentials struct {
	p aws.CredentialsProvider
	r *transport.Redactor
}

func (rc redactedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	cr, err := rc.p.Retrieve(ctx)
	if err != nil {
		return cr, rc.r.Error(err)
	}
	rc.r.AddFixed(cr.AccessKeyID)
	rc.r.AddFixed(cr.SecretAccessKey)
	rc.r.AddFixed(cr.SessionToken)
	return cr, nil
}

// Retryer makes the AWS SDK retry as c's RetryPolicy says (attempts,
// waits), without the SDK's client-side retry quota, which would refuse
// retries after a burst of failures that the policy allows.
func Retryer(c *transport.Client) aws.Retryer {
	p := c.Retry()
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = p.MaxAttempts
		so.MaxBackoff = p.MaxWait
		so.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			return transport.Backoff(p.MinWait, p.MaxWait, attempt-1), nil
		})
		so.RateLimiter = ratelimit.None
	})
}
