package avaya

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// Update is a metric value from a subscription: pushed by the server, or,
// when Snapshot is set, fetched by polling right after a (re)connect so
// that nothing that changed while disconnected is missed.
type Update struct {
	MetricResult
	Snapshot bool
}

// ConnState is what a subscription's connection is doing, for OnState.
type ConnState int

// The connection states.
const (
	Connecting ConnState = iota
	Connected
	Disconnected // err says why; a reconnect follows
)

func (s ConnState) String() string {
	return [...]string{"connecting", "connected", "disconnected"}[s]
}

// SubscribeOptions tune a subscription. The zero value is usable. The
// waits before redialling a lost connection follow the client's
// RetryPolicy (WithRetry): MinWait doubling up to MaxWait, with jitter;
// they start again from MinWait only after a connection that stayed up
// PingInterval.
type SubscribeOptions struct {
	// PingInterval is how often the connection is checked (15 s); the
	// protocol has no heartbeat, so a silent server is noticed by a ping
	// not answered within PingTimeout (5 s).
	PingInterval, PingTimeout time.Duration
	// NoSnapshot skips polling the current values after each connect.
	NoSnapshot bool
	// OnState, if set, is told about every connection change.
	OnState func(state ConnState, err error)
}

func (o *SubscribeOptions) defaults() {
	if o.PingInterval <= 0 {
		o.PingInterval = 15 * time.Second
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 5 * time.Second
	}
}

// terminalError marks errors a redial cannot mend (a rejected handshake).
type terminalError struct{ error }

func (e terminalError) Unwrap() error { return e.error }

const endpointSubscription = "GET /rest/api/v1/realtime-metric-subscription"

// Subscribe receives realtime updates for the metrics over the websocket
// (ws:// or wss:// after the base URL's scheme), with the service user key
// as the auth_token query parameter, which never appears in an error or
// log. The handshake goes through the client's HTTP stack: WithHTTPClient,
// WithUserAgent, WithLogger, WithTransportWrapper and WithResponseTimeout
// (for the handshake's answer) apply. After every connect it polls the
// current values and yields them as a snapshot; updates older than what
// was already yielded for a key are dropped. A dropped or silent
// connection is redialled, spaced by the client's RetryPolicy: the waits
// grow (MinWait doubling up to MaxWait) with every failed dial and every
// connection lost before it lasted PingInterval, and start again from
// MinWait only after a connection that stayed up that long. A rejected
// handshake (400, 401, 403) is yielded as an error and ends the
// subscription. When ctx ends, at any step, ctx's error is yielded last.
// Breaking out of the loop, or ctx ending, closes the socket with a close
// frame (1000, normal closure), waiting for the server's answer at most
// PingTimeout (up to 1 s); no goroutine is left behind.
//
// API: ws://{server}/rest/api/v1/realtime-metric-subscription?id={MetricId}&auth_token={key}
func (c *Client) Subscribe(ctx context.Context, ids []string, opts SubscribeOptions) iter.Seq2[Update, error] {
	opts.defaults()
	return func(yield func(Update, error) bool) {
		if err := validMetricIDs(ids); err != nil {
			yield(Update{}, err)
			return
		}
		seen := NewBoard()
		state := func(s ConnState, err error) {
			if opts.OnState != nil {
				opts.OnState(s, err)
			}
		}
		for attempt := 0; ; attempt++ {
			if attempt > 0 {
				if err := c.t.Wait(ctx, attempt-1); err != nil {
					yield(Update{}, err)
					return
				}
			}
			state(Connecting, nil)
			conn, err := c.dialSubscription(ctx, ids, opts.closeGrace())
			var term terminalError
			switch {
			case ctx.Err() != nil:
				if conn != nil {
					conn.close()
				}
				yield(Update{}, ctx.Err())
				return
			case errors.As(err, &term):
				yield(Update{}, term.error)
				return
			case err != nil:
				state(Disconnected, err)
				continue
			}
			state(Connected, nil)
			up := time.Now()
			stop, err := c.serve(ctx, conn, ids, opts, seen, yield)
			if stop {
				return
			}
			if time.Since(up) >= opts.PingInterval {
				// A connection that lasted a ping interval was healthy:
				// the next redial waits only MinWait again. One dropped at
				// once keeps the backoff growing, so a server that accepts
				// and then drops is not dialled and polled in a tight loop.
				attempt = 0
			}
			state(Disconnected, err)
		}
	}
}

// SubscribeFunc is Subscribe with a callback: fn gets every update; its
// error ends the subscription and is returned. When ctx ends it returns
// ctx's error, whatever the subscription was doing; it never returns nil.
func (c *Client) SubscribeFunc(ctx context.Context, ids []string, opts SubscribeOptions, fn func(Update) error) error {
	for u, err := range c.Subscribe(ctx, ids, opts) {
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("contactkit: avaya: subscription ended") // not reached: Subscribe ends only by an error
}

// serve runs one connection: the snapshot, then the updates, with a pinger
// beside them. stop is true when the subscription must end (ctx ended,
// the consumer stopped, or the snapshot was refused); it has then yielded
// whatever error ends it.
//
// The reads use a context that is never cancelled: coder/websocket then
// skips its per-read cancellation watch, which is most of the cost of a
// small message. ctx ending closes the socket instead (context.AfterFunc),
// which ends the blocked read.
func (c *Client) serve(ctx context.Context, conn *subscription, ids []string, opts SubscribeOptions, seen *Board, yield func(Update, error) bool) (stop bool, err error) {
	connCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	closed := make(chan struct{})
	stopClose := context.AfterFunc(ctx, func() {
		defer close(closed)
		conn.close()
	})
	defer func() {
		cancel()
		wg.Wait() // the pinger is done before the close handshake starts
		if stopClose() {
			// ctx still live: the consumer stopped or the connection was
			// lost; say goodbye properly (a lost one is closed already).
			conn.close()
		} else {
			<-closed
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		keepAlive(connCtx, conn.Conn, opts.PingInterval, opts.PingTimeout)
	}()
	ended := func() (bool, error) {
		yield(Update{}, ctx.Err())
		return true, ctx.Err()
	}

	if !opts.NoSnapshot {
		vals, err := c.MetricValues(connCtx, ids...)
		var apiErr *contactkit.APIError
		switch {
		case ctx.Err() != nil:
			return ended()
		case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden):
			yield(Update{}, err)
			return true, err
		case err == nil:
			for _, r := range vals.Results {
				if seen.Apply(r) && !yield(Update{MetricResult: r, Snapshot: true}, nil) {
					return true, nil
				}
				if ctx.Err() != nil {
					return ended()
				}
			}
		}
	}
	read := context.Background()
	for {
		_, data, err := conn.Read(read)
		if err != nil {
			if ctx.Err() != nil {
				return ended()
			}
			return false, fmt.Errorf("contactkit: avaya: subscription connection lost: %w", c.t.Redactor().Error(err))
		}
		r, err := DecodeMetricResult(data)
		if err != nil {
			continue // a message we cannot read is skipped, not fatal
		}
		if seen.Apply(r) && !yield(Update{MetricResult: r}, nil) {
			return true, nil
		}
	}
}

// keepAlive pings until ctx ends; an unanswered ping closes the connection,
// which makes the reader redial.
func keepAlive(ctx context.Context, conn *websocket.Conn, every, timeout time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				_ = conn.CloseNow()
			}
			return
		}
	}
}

// subscription is an open websocket and the connection under it.
type subscription struct {
	*websocket.Conn
	raw   io.Closer     // the upgraded connection: closing it ends any wait
	grace time.Duration // how long the close handshake may take
}

// close sends a close frame (1000) and waits for the server's answer, but
// no longer than grace: a server that does not answer is cut off (the
// library alone would wait 5 s).
func (s *subscription) close() {
	t := time.AfterFunc(s.grace, func() { _ = s.raw.Close() })
	defer t.Stop()
	_ = s.Close(websocket.StatusNormalClosure, "") // the websocket.Conn's
}

// closeGrace bounds the close handshake: PingTimeout, at most 1 s.
func (o *SubscribeOptions) closeGrace() time.Duration { return min(o.PingTimeout, time.Second) }

// dialSubscription opens the websocket through the client's HTTP stack.
// Its errors carry the URL with the auth_token redacted; a 4xx handshake
// answer other than 429 is terminal.
func (c *Client) dialSubscription(ctx context.Context, ids []string, grace time.Duration) (*subscription, error) {
	tok, ok, err := c.t.BearerToken(ctx)
	if err != nil {
		return nil, terminalError{err}
	}
	if !ok {
		return nil, terminalError{errors.New("contactkit: avaya: a subscription needs a bearer key")}
	}
	u := c.t.BaseURL()
	u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	u.Path = strings.TrimSuffix(u.Path, "/") + "/rest/api/v1/realtime-metric-subscription"
	var q transport.Query
	q.AddRepeated("id", ids)
	q.Add("auth_token", tok)
	u.RawQuery = q.Encode()

	dctx := c.t.CallContext(ctx, endpointSubscription, true)
	// The handshake response needs no closing: on success its body is the
	// connection, on failure coder/websocket has already read it.
	hc := *c.t.HTTPClient() // the client's whole stack, with the upgraded connection noted on top
	upgraded := &upgradeCapture{next: hc.Transport}
	hc.Transport = upgraded
	conn, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{HTTPClient: &hc}) //nolint:bodyclose // see above
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			if resp.Body == nil {
				resp.Body = http.NoBody
			}
			return nil, terminalError{c.t.ErrorFromResponse(http.MethodGet, u, resp)} // coder/websocket kept 1 KiB of the body
		}
		return nil, fmt.Errorf("contactkit: avaya: dialling %s: %w", c.t.Redactor().URL(u), c.t.Redactor().Error(err))
	}
	conn.SetReadLimit(1 << 20)
	if upgraded.body == nil { // not reached: a websocket is always a 101 answer
		upgraded.body = io.NopCloser(nil)
	}
	return &subscription{Conn: conn, raw: upgraded.body, grace: grace}, nil
}

// upgradeCapture notes the body of a 101 answer, the upgraded connection,
// which coder/websocket does not hand back; closing it ends a close
// handshake that a dead server would make wait.
type upgradeCapture struct {
	next http.RoundTripper
	body io.Closer
}

func (u *upgradeCapture) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := u.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusSwitchingProtocols {
		u.body = resp.Body
	}
	return resp, err
}
