package salesforce

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// DefaultSenderRetry resends a record until it is written or the context
// ends, waiting from 1 s up to 1 min between tries (MinWait is also the
// floor under a receiver's Retry-After, so no answer makes a tight loop).
var DefaultSenderRetry = contactkit.RetryPolicy{MaxAttempts: math.MaxInt32, MinWait: time.Second, MaxWait: time.Minute}

// Sender posts writeCallStatistics records to one endpoint, as the jtel
// daemon does. It is safe for concurrent use.
type Sender struct {
	t *transport.Client
}

// NewSender returns a sender for the endpoint URL (the REST endpoint the
// customer provides, e.g. a Salesforce Apex REST URL), authenticating with
// a bearer token from token on every attempt: contactkit.StaticToken for
// a fixed token, contactkit.TokenFunc for an OAuth access token that is
// refreshed while a record is being resent. A missing token is a
// *contactkit.ValidationError. Records are resent under
// DefaultSenderRetry unless WithRetry or WithoutRetry says otherwise.
func NewSender(endpoint string, token contactkit.TokenSource, opts ...Option) (*Sender, error) {
	auth, err := transport.BearerAuth("token", token)
	if err != nil {
		return nil, err
	}
	all := append([]Option{WithRetry(DefaultSenderRetry)}, opts...)
	s, err := transport.NewSettings(all, func(o Option) transport.Option { return o.apply })
	if err != nil {
		return nil, err
	}
	t, err := transport.New(endpoint, auth, s)
	if err != nil {
		return nil, err
	}
	return &Sender{t: t}, nil
}

// Send posts one record. 200 is success. 409 and 404 are final errors
// matching contactkit.ErrConflict and contactkit.ErrNotFound, never
// resent. 423 (the receiver's "send again"), connection errors, attempts
// that time out (contactkit.ErrTimeout, see WithResponseTimeout), 429 and
// 502/503/504 are resent, spaced by the retry policy, until the record is
// written, the policy's MaxAttempts is reached or ctx ends, as jtel does.
// Each attempt fetches the token afresh.
//
// A timed-out attempt is resent because jtel's contract is "until
// written": the receiver may or may not have written the record, and it
// must take a record twice anyway (jtel resends after a 423 and after a
// lost answer), while a record not resent would be lost. With the default
// policy a receiver that never answers keeps Send resending until ctx
// ends; bound it with a deadline on ctx or with WithRetry's MaxAttempts,
// after which Send returns the last attempt's error (errors.Is
// contactkit.ErrTimeout). Other answers (400, 401, 403, 500...) are final.
//
// API: POST {endpoint}
func (s *Sender) Send(ctx context.Context, r *Record) error {
	if r == nil {
		return &contactkit.ValidationError{Field: "record", Reason: "is nil"}
	}
	if err := r.Validate(); err != nil {
		return err
	}
	req := &transport.Request{
		Method: http.MethodPost, JSON: r, Endpoint: "POST writeCallStatistics",
		// The receiver must take a resent record: jtel itself resends on
		// 423, so resending after a lost answer is the documented contract.
		Idempotent:    true,
		RetryStatuses: []int{http.StatusLocked},
	}
	return s.t.Do(ctx, req, nil)
}
