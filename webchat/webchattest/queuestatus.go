package webchattest

import (
	"context"
	"maps"
	"sync"

	"github.com/contactkit/contactkit/webchat"
)

// DefaultQueueStates is what the fake's queue status source answers until
// SetQueueStates changes it: section 8.1's example.
func DefaultQueueStates() webchat.QueueStates {
	return webchat.QueueStates{
		"Sales":   {EstimatedWaitTime: 100, TheQueueIsEmpty: true},
		"Support": {EstimatedWaitTime: 100, TheQueueIsEmpty: true, ThereAreAgentsLoggedIn: true, ThereAreAgentsReady: true},
	}
}

type queueStatus struct {
	mu     sync.Mutex
	states webchat.QueueStates
	polls  int
}

func (s *Server) status() *queueStatus { return &s.qstatus }

// SetQueueStates sets what the fake's queue status source answers from now on.
func (s *Server) SetQueueStates(qs webchat.QueueStates) {
	st := s.status()
	st.mu.Lock()
	st.states = maps.Clone(qs)
	st.mu.Unlock()
}

// QueueStatusPolls is how many times the source was asked.
func (s *Server) QueueStatusPolls() int {
	st := s.status()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.polls
}

// QueueStatus is the fake's queue status source. The real service's
// endpoint for it is not documented (see webchat.QueueStatusSource), so
// the fake serves it in process rather than at an invented URL. Injected
// faults do not apply.
func (s *Server) QueueStatus() webchat.QueueStatusSource {
	return webchat.QueueStatusFunc(func(ctx context.Context) (webchat.QueueStates, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st := s.status()
		st.mu.Lock()
		defer st.mu.Unlock()
		st.polls++
		return maps.Clone(st.states), nil
	})
}
