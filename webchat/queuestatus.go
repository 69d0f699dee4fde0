package webchat

import "context"

// QueueState is the state of one skill's chat queue, in the shape of the
// QueueStates object that section 8.1 of the document shows
// (_ximachat.api.getQueueStatus). The document gives one example value
// for EstimatedWaitTime (100) and no unit; seconds is this SDK's reading,
// not a confirmed fact, which is why it stays a plain number.
type QueueState struct {
	EstimatedWaitTime      float64 `json:"estimatedWaitTime"`
	TheQueueIsEmpty        bool    `json:"theQueueIsEmpty"`
	ThereAreAgentsLoggedIn bool    `json:"thereAreAgentsLoggedIn"`
	ThereAreAgentsReady    bool    `json:"thereAreAgentsReady"`
}

// QueueStates maps a skill name to its queue's state, as section 8.1's
// example: {"Sales": {...}, "Support": {...}}.
type QueueStates map[string]QueueState

// QueueStatusSource fetches the current QueueStates.
//
// What is confirmed and what is not: the document describes the shape of
// QueueStates and that Xima's own widget "will fetch the current queue
// status of Multimedia chat queues from the server", but it names no
// endpoint of the cloud service (nor of the QUEUESTATUS queue type a
// session may list) that returns it. So the SDK ships no source for the
// real service: plug in your own (QueueStatusFunc), for example one that
// reads your Avaya Call Reporting realtime data, or the fake's
// (webchattest.Server.QueueStatus) in tests.
type QueueStatusSource interface {
	QueueStates(ctx context.Context) (QueueStates, error)
}

// QueueStatusFunc adapts a function to QueueStatusSource.
type QueueStatusFunc func(ctx context.Context) (QueueStates, error)

// QueueStates calls f.
func (f QueueStatusFunc) QueueStates(ctx context.Context) (QueueStates, error) { return f(ctx) }
