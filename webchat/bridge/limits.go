package bridge

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per key (a browser, or an address),
// forgetting the ones idle for a while. It lives in one instance: behind
// a load balancer each instance limits what it sees.
type limiter struct {
	mu    sync.Mutex
	r     rate.Limit
	b     int
	m     map[string]*bucket
	sweep time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

const limiterIdle = 10 * time.Minute

func newLimiter(r rate.Limit, b int) *limiter {
	return &limiter{r: r, b: b, m: map[string]*bucket{}, sweep: time.Now()}
}

func (l *limiter) allow(key string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, b := range l.m {
			if now.Sub(b.seen) > limiterIdle {
				delete(l.m, k)
			}
		}
		l.sweep = now
	}
	b := l.m[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(l.r, l.b)}
		l.m[key] = b
	}
	b.seen = now
	return b.l.AllowN(now, 1)
}
