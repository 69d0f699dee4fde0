package webchattest

import (
	"context"
	"sync"
	"time"

	"github.com/contactkit/contactkit/webchat"
)

// RedeliverAfter is the in-memory queue's visibility timeout: a message
// whose handler failed is delivered again after it.
var RedeliverAfter = 50 * time.Millisecond

type memMsg struct {
	id         string // the SQS MessageId, the same on every delivery
	body       string
	visibleAt  time.Time
	deliveries int
	receipt    string // of the latest delivery over the SQS endpoint
}

// memQueue is an in-memory queue with SQS's at-least-once semantics for
// one consumer.
type memQueue struct {
	mu     sync.Mutex
	msgs   []*memMsg
	signal chan struct{}
}

func newMemQueue() *memQueue { return &memQueue{signal: make(chan struct{}, 1)} }

func (q *memQueue) send(body string) {
	q.mu.Lock()
	q.msgs = append(q.msgs, &memMsg{id: newID(), body: body})
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// next takes the first visible message, hiding it for RedeliverAfter, or
// says how long until one may be visible.
func (q *memQueue) next(now time.Time) (*memMsg, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	wait := time.Hour
	for _, m := range q.msgs {
		if !m.visibleAt.After(now) {
			m.visibleAt = now.Add(RedeliverAfter)
			m.deliveries++
			return m, 0
		}
		wait = min(wait, m.visibleAt.Sub(now))
	}
	return nil, wait
}

func (q *memQueue) remove(m *memMsg) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.msgs {
		if x == m {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			return
		}
	}
}

// Receive implements webchat.MessageSource.
func (q *memQueue) Receive(ctx context.Context, handle func(ctx context.Context, m webchat.AgentMessage) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, wait := q.next(time.Now())
		if m == nil {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-q.signal:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		msg, err := webchat.DecodeMessage([]byte(m.body))
		if err != nil {
			q.remove(m) // a body the SDK cannot read would never succeed
			continue
		}
		msg.ID = m.id
		if handle(ctx, msg) == nil {
			q.remove(m)
		}
	}
}

// Pending is the number of messages not yet acknowledged.
func (q *memQueue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}
