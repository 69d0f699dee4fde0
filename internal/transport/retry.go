package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit/internal/ctxkey"
)

// callState travels in the request context so that the attempt
// RoundTripper knows the call (its credentials' host, whether Send has
// set its headers) and can count attempts for the log.
type callState struct {
	// The call's context: callState is itself the context value that
	// carries it (one allocation instead of two per call).
	context.Context
	idempotent    bool
	retryStatuses []int
	attempt       int
	endpoint      string    // "GET /acd/events", for logs and contactkit.OperationName
	authHost      string    // the host the client's credentials may go to; "" none
	prepared      bool      // built by Send: headers set on each attempt
	redact        *Redactor // the client's secrets plus this call's (nil: the client's)
	// next is the attempt Send has built its request on; the attempt
	// RoundTripper takes it (a redirect's hop gets an attempt of its own).
	next *attemptState
}

type callStateKey struct{}

// Value answers callStateKey with the call state and the operation-name
// key (contactkit.OperationName) with the call's endpoint, and asks the
// parent context for everything else.
func (cs *callState) Value(key any) any {
	switch key.(type) {
	case callStateKey:
		return cs
	case ctxkey.Operation:
		return cs.endpoint
	}
	return cs.Context.Value(key)
}

func stateFrom(ctx context.Context) *callState {
	if cs, ok := ctx.Value(callStateKey{}).(*callState); ok {
		return cs
	}
	return &callState{}
}

// checkRetry is the SDK's retry policy:
//   - idempotent calls retry connection errors and 429, 502, 503, 504;
//   - other calls retry only a connection error that proves the request was
//     never sent (the dial failed);
//   - every call retries the statuses its API documents as "send again".
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	cs := stateFrom(ctx)
	if err != nil {
		if permanentError(err) {
			return false, nil
		}
		return cs.idempotent || notSent(err), nil
	}
	code := resp.StatusCode
	if slices.Contains(cs.retryStatuses, code) {
		return true, nil
	}
	if !cs.idempotent {
		return false, nil
	}
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// notSent reports whether err shows the request never left this machine.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// permanentError reports connection errors that a retry cannot mend.
func permanentError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &authErr) || errors.As(err, &hostErr) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "unsupported protocol scheme") || strings.Contains(msg, "stopped after") // redirects
}

// backoff is the retry wait: Retry-After (seconds or an HTTP date) when
// the answer has one, clamped to [minWait, maxWait] so that 0, a past date
// or a huge value never make a tight loop or an endless wait; Backoff
// otherwise (also for a Retry-After that does not parse).
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := RetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(max(d, minWait), maxWait)
		}
	}
	return Backoff(minWait, maxWait, attempt)
}

// Backoff is the wait before try attempt+1 (attempt counts from 0):
// minWait·2^attempt, capped at maxWait, with jitter in its upper half so
// that clients do not retry in step, and never below minWait. Every retry,
// redial and poll of the SDK waits this long (Client.Wait).
func Backoff(minWait, maxWait time.Duration, attempt int) time.Duration {
	wait := maxWait
	if attempt < 30 {
		if w := minWait << attempt; w > 0 && w < maxWait {
			wait = w
		}
	}
	half := wait / 2
	return max(half+rand.N(half+1), min(minWait, maxWait))
}

// Sleep waits d, or less when ctx ends first; it returns ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAfter parses a Retry-After value given in seconds or as an HTTP date.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), 24*time.Hour), true
	}
	return 0, false
}
