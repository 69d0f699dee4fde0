package avayatest

import (
	"context"
	"encoding/json"
	"time"

	"github.com/coder/websocket"

	"github.com/contactkit/contactkit/avaya"
)

// PushMetricValue sets a value (its LastUpdateTime too) as SetMetricValue
// does and sends it at once to every open subscription, without waiting
// for the subscription's next step: a test can time what follows a push.
// A value whose Raw is set (a type the SDK does not know) is sent as Raw.
// It returns the number of subscriptions the value was written to.
func (s *Server) PushMetricValue(key avaya.MetricKey, v avaya.MetricValue) int {
	msg, err := json.Marshal(avaya.MetricResult{Key: key, Value: v})
	if err != nil {
		return 0 // not reached: a MetricValue always encodes, and Raw is sent as is
	}
	s.rt.mu.Lock()
	s.rt.values[key] = v
	conns := make([]*websocket.Conn, 0, len(s.rt.subs))
	for c := range s.rt.subs {
		conns = append(conns, c)
	}
	s.rt.mu.Unlock()
	sent := 0
	for _, c := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if c.Write(ctx, websocket.MessageText, msg) == nil {
			sent++
		}
		cancel()
	}
	return sent
}

// FreezeRealtime stops the simulated call centre: values change only by
// SetMetricValue and PushMetricValue from then on, so a test can compare
// what it sees with MetricValue. Subscriptions opened afterwards send
// only their first values and what PushMetricValue pushes.
func (s *Server) FreezeRealtime() { s.RealtimeStep(24 * time.Hour) }
