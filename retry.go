package contactkit

import "time"

// RetryPolicy says how often and how long a call that is safe to repeat is
// tried again. The same policy spaces every other wait of a client: the
// Avaya websocket's redial, the historic report's 202 "ask again" loop and
// the realtime metric-value poll.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 means no retry.
	MaxAttempts int
	// MinWait is the first backoff; each further wait doubles, with
	// jitter. It is also the floor of a server's Retry-After: 0, a past
	// date or garbage never make a tight loop.
	MinWait time.Duration
	// MaxWait caps every wait, including one asked for by Retry-After.
	MaxWait time.Duration
}

// DefaultRetryPolicy is used unless a package's WithRetry or WithoutRetry
// says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, MinWait: 200 * time.Millisecond, MaxWait: 10 * time.Second}

// DefaultResponseTimeout is how long one attempt waits for response
// headers, and how long a body may go without a byte, before it fails
// with ErrTimeout. Each package's WithResponseTimeout changes it.
const DefaultResponseTimeout = 30 * time.Second

// DefaultMaxResponseBytes caps a buffered response body (32 MiB) so that a
// runaway server yields ErrTooLarge instead of exhausting memory.
const DefaultMaxResponseBytes int64 = 32 << 20
