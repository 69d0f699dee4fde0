package avaya

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"time"
	"weak"

	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit/internal/transport"
)

// CloudAudioInterval is the cloud edition's audio limit: one audio
// request per 3 seconds per tenant; it answers 429 to any sooner.
const CloudAudioInterval = 3 * time.Second

// CloudAudioLimit is a limiter for the cloud edition's audio limit, for
// WithAudioRateLimit: one request per CloudAudioInterval, no burst.
func CloudAudioLimit() *rate.Limiter { return rate.NewLimiter(rate.Every(CloudAudioInterval), 1) }

// WithAudioRateLimit paces every audio request of the client (each try of
// RecordingAudio, CallAudio and Archive's downloads) with l, so that the
// server is not asked faster than it allows (CloudAudioLimit for the
// cloud edition's one request per 3 seconds). Pass one limiter to every
// client of a tenant to pace them together.
//
// Audio requests of the clients given l are sent one at a time, each
// waiting for a token of l, and each takes its token when its answer's
// headers arrive rather than when it leaves: a server counts a request when it
// gets it, so a request held up on the way cannot arrive closer to the
// next one than the limit allows. Bodies still download side by side
// (ArchiveOptions.Concurrency). Every try of a retried request (429, 502,
// 503, 504 and connection errors, under the client's RetryPolicy) is
// paced too.
// l must allow at least one event (a burst of 1 or more).
func WithAudioRateLimit(l *rate.Limiter) Option {
	return Option{apply: func(*transport.Settings) error {
		switch {
		case l == nil:
			return errors.New("contactkit: WithAudioRateLimit: limiter is nil")
		case l.Burst() < 1 && l.Limit() != rate.Inf:
			return errors.New("contactkit: WithAudioRateLimit: the limiter allows no request (burst 0)")
		case l.Limit() <= 0:
			return errors.New("contactkit: WithAudioRateLimit: the limiter allows no request (limit 0)")
		}
		return nil
	}, audio: l}
}

// pacer sends the paced requests of the clients sharing a limiter one
// at a time.
type pacer struct {
	lim  *rate.Limiter
	turn chan struct{} // one slot: whose turn it is to send; shared by the limiter's clients
}

// turns holds the turn of each limiter in use, so that clients given the
// same limiter take turns (a request takes its token only when its answer
// comes, so the token alone cannot keep two clients apart). An entry
// goes when its limiter is garbage.
var (
	turnsMu sync.Mutex
	turns   = map[weak.Pointer[rate.Limiter]]chan struct{}{}
)

func newPacer(l *rate.Limiter) *pacer {
	key := weak.Make(l)
	turnsMu.Lock()
	defer turnsMu.Unlock()
	turn, ok := turns[key]
	if !ok {
		turn = make(chan struct{}, 1)
		turns[key] = turn
		runtime.AddCleanup(l, func(k weak.Pointer[rate.Limiter]) {
			turnsMu.Lock()
			defer turnsMu.Unlock()
			delete(turns, k)
		}, key)
	}
	return &pacer{lim: l, turn: turn}
}

// do waits for a token, sends, and takes the token when the answer (or
// the failure) comes.
func (p *pacer) do(ctx context.Context, send func() (*http.Response, error)) (*http.Response, error) {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.turn }()
	if p.lim.Limit() != rate.Inf {
		for {
			tokens := p.lim.TokensAt(time.Now())
			if tokens >= 1 {
				break
			}
			wait := time.Duration((1 - tokens) / float64(p.lim.Limit()) * float64(time.Second))
			if err := transport.Sleep(ctx, max(wait, time.Microsecond)); err != nil {
				return nil, err
			}
		}
	}
	resp, err := send()
	p.lim.ReserveN(time.Now(), 1) // the request counts from its answer
	return resp, err
}

// sendAudio sends an audio request, each of its tries paced when the
// client has an audio rate limit; the transport retries it as any other.
func (c *Client) sendAudio(ctx context.Context, r *transport.Request) (*http.Response, error) {
	if c.audio == nil {
		return c.t.Send(ctx, r)
	}
	paced := *r
	paced.Pace = c.audio.do
	return c.t.Send(ctx, &paced)
}
