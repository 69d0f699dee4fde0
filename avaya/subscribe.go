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

// SubscribeOptions tune a subscription. The zero value is usable.
type SubscribeOptions struct {
	// PingInterval is how often the connection is checked (15 s); the
	// protocol has no heartbeat, so a silent server is noticed by a ping
	// not answered within PingTimeout (5 s).
	PingInterval, PingTimeout time.Duration
	// MinBackoff and MaxBackoff bound the jittered wait before redialling
	// (500 ms, 30 s).
	MinBackoff, MaxBackoff time.Duration
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
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
}

// errTerminal marks errors a redial cannot mend (a rejected handshake).
type terminalError struct{ error }

func (e terminalError) Unwrap() error { return e.error }

// Subscribe receives realtime updates for the metrics over the websocket
// (ws:// or wss:// after the base URL's scheme), with the service user key
// as the auth_token query parameter, which never appears in an error or
// log. After every connect it polls the current values and yields them as
// a snapshot; updates older than what was already yielded for a key are
// dropped. A dropped or silent connection is redialled with backoff and
// jitter. A rejected handshake (400, 401, 403) is yielded as an error and
// ends the subscription, and so does ctx (its error comes last). Breaking
// out of the loop closes the socket; no goroutine is left behind.
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
				if err := transport.Sleep(ctx, transport.Backoff(opts.MinBackoff, opts.MaxBackoff, attempt-1)); err != nil {
					yield(Update{}, err)
					return
				}
			}
			state(Connecting, nil)
			conn, err := c.dialSubscription(ctx, ids)
			var term terminalError
			switch {
			case ctx.Err() != nil:
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
			attempt = 0
			stop, err := c.serve(ctx, conn, ids, opts, seen, yield)
			if stop {
				return
			}
			state(Disconnected, err)
		}
	}
}

// SubscribeFunc is Subscribe with a callback: fn gets every update; its
// error ends the subscription and is returned. It returns ctx's error when
// ctx ends.
func (c *Client) SubscribeFunc(ctx context.Context, ids []string, opts SubscribeOptions, fn func(Update) error) error {
	for u, err := range c.Subscribe(ctx, ids, opts) {
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

// serve runs one connection: the snapshot, then the updates, with a pinger
// beside them. stop is true when the subscription must end.
func (c *Client) serve(ctx context.Context, conn *websocket.Conn, ids []string, opts SubscribeOptions, seen *Board, yield func(Update, error) bool) (stop bool, err error) {
	connCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		_ = conn.CloseNow()
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		keepAlive(connCtx, conn, opts.PingInterval, opts.PingTimeout)
	}()

	if !opts.NoSnapshot {
		vals, err := c.MetricValues(connCtx, ids...)
		var apiErr *APIError
		switch {
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden):
			yield(Update{}, err)
			return true, err
		case err == nil:
			for _, r := range vals.Results {
				if seen.Apply(r) && !yield(Update{MetricResult: r, Snapshot: true}, nil) {
					return true, nil
				}
			}
		}
	}
	for {
		_, data, err := conn.Read(connCtx)
		if err != nil {
			if ctx.Err() != nil {
				yield(Update{}, ctx.Err())
				return true, ctx.Err()
			}
			return false, fmt.Errorf("contactkit: avaya: subscription connection lost: %w", err)
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
			_ = conn.CloseNow()
			return
		}
	}
}

// dialSubscription opens the websocket. Its errors carry the URL with the
// auth_token redacted; a 4xx handshake answer is terminal.
func (c *Client) dialSubscription(ctx context.Context, ids []string) (*websocket.Conn, error) {
	tok, ok, err := transport.BearerTokenOf(ctx, c.t.Settings().Auth)
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

	opts := &websocket.DialOptions{HTTPClient: c.t.Settings().HTTPClient, HTTPHeader: http.Header{"User-Agent": {"contactkit/" + transport.Version}}}
	// The handshake response needs no closing: on success its body is the
	// connection, on failure coder/websocket has already read it.
	conn, resp, err := websocket.Dial(ctx, u.String(), opts) //nolint:bodyclose // see above
	if err != nil {
		redacted := transport.RedactURL(u)
		if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			var body []byte
			if resp.Body != nil {
				body, _ = io.ReadAll(io.LimitReader(resp.Body, 1024))
			}
			return nil, terminalError{transport.NewAPIError(http.MethodGet, redacted, resp.StatusCode, resp.Header, body)}
		}
		return nil, fmt.Errorf("contactkit: avaya: dialling %s: %s", redacted, transport.RedactText(strings.ReplaceAll(err.Error(), tok, transport.Redacted)))
	}
	conn.SetReadLimit(1 << 20)
	return conn, nil
}
