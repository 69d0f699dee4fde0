package bridge

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/contactkit/contactkit/internal/receive"
	"github.com/contactkit/contactkit/webchat"
)

// statusCache fetches QueueStates at most once per interval, however
// many browsers ask, and only while some do (no background poller).
type statusCache struct {
	src   webchat.QueueStatusSource
	every time.Duration
	base  context.Context // the bridge's: Close stops a fetch

	mu       sync.Mutex
	val      []byte
	at       time.Time
	inflight chan struct{}
}

func newStatusCache(base context.Context, src webchat.QueueStatusSource, every time.Duration) *statusCache {
	return &statusCache{src: src, every: every, base: base}
}

const statusFetchTimeout = 10 * time.Second

// get returns the QueueStates as JSON, fetching them when older than the
// interval; a failed fetch serves the last good answer if there is one.
func (c *statusCache) get(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if c.val != nil && time.Since(c.at) < c.every {
			v := c.val
			c.mu.Unlock()
			return v, nil
		}
		if ch := c.inflight; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		c.inflight = ch
		c.mu.Unlock()

		// The fetch serves every waiter: it does not end with the one
		// request that started it, but with the bridge (Close).
		fctx, cancel := context.WithTimeout(c.base, statusFetchTimeout)
		var qs webchat.QueueStates
		err := receive.Call(func() (err error) { qs, err = c.src.QueueStates(fctx); return err })
		cancel()
		var b []byte
		if err == nil {
			if qs == nil {
				qs = webchat.QueueStates{}
			}
			b, err = json.Marshal(qs)
		}
		c.mu.Lock()
		c.inflight = nil
		close(ch)
		if err == nil {
			c.val, c.at = b, time.Now()
		}
		stale := c.val
		c.mu.Unlock()
		if err != nil {
			if stale != nil {
				return stale, nil
			}
			return nil, err
		}
		return b, nil
	}
}
