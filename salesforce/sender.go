package salesforce

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/contactkit/contactkit/internal/transport"
)

// DefaultSenderRetry resends a record until it is written or the context
// ends, waiting from 1 s up to 1 min between tries.
var DefaultSenderRetry = RetryPolicy{MaxAttempts: math.MaxInt32, MinWait: time.Second, MaxWait: time.Minute}

// Sender posts writeCallStatistics records to one endpoint, as the jtel
// daemon does. It is safe for concurrent use.
type Sender struct {
	t *transport.Client
}

// NewSender returns a sender for the endpoint URL (the REST endpoint the
// customer provides, e.g. a Salesforce Apex REST URL). A token option is
// required.
func NewSender(endpoint string, opts ...Option) (*Sender, error) {
	s, err := transport.NewSettings(append([]Option{WithRetry(DefaultSenderRetry)}, opts...))
	if err != nil {
		return nil, err
	}
	if s.Auth == transport.NoAuth() {
		return nil, &ValidationError{Field: "token", Reason: "WithToken or WithTokenFunc is required"}
	}
	t, err := transport.New(endpoint, s)
	if err != nil {
		return nil, err
	}
	return &Sender{t: t}, nil
}

// Send posts one record. 200 is success. 409 and 404 are final errors
// matching ErrConflict and ErrNotFound, never resent. 423 (the receiver's
// "send again"), connection errors, 429 and 502/503/504 are resent with
// backoff until the record is written or ctx ends, as jtel does.
//
// API: POST {endpoint}
func (s *Sender) Send(ctx context.Context, r *Record) error {
	if r == nil {
		return &ValidationError{Field: "record", Reason: "is nil"}
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
