package avaya

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/transport"
)

// RecordingState is the state of an agent's active recording. Values the
// document does not list are kept.
type RecordingState string

// The documented states.
const (
	StateNoRecording RecordingState = "NO_RECORDING"
	StateRecording   RecordingState = "RECORDING"
	StatePaused      RecordingState = "PAUSED"
)

func (s RecordingState) String() string { return string(s) }

type stateBody struct {
	State RecordingState `json:"state"`
}

// AgentMapping returns the agent mapping: login or alias to the agent's
// name and extension, such as "nthatcher": "Nate Thatcher (123)".
//
// API: GET /rest/api/v1/agents/mapping
func (c *Client) AgentMapping(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := c.t.Do(ctx, &transport.Request{
		Method: http.MethodGet, Path: "/rest/api/v1/agents/mapping", Idempotent: true, Endpoint: "GET /rest/api/v1/agents/mapping",
	}, &out)
	return out, err
}

// validAgent refuses an empty agent id, and "." and "..", which a server
// or proxy would resolve as path segments instead of sending them.
func validAgent(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return &contactkit.ValidationError{Field: "AgentId", Reason: "is required: an extension (203), name and extension (Nate Thatcher(203)) or an alias"}
	case id == "." || id == "..":
		return &contactkit.ValidationError{Field: "AgentId", Reason: fmt.Sprintf("%q is a path segment, not an agent id", id)}
	}
	return nil
}

func (c *Client) agentState(ctx context.Context, method, agentID, action, endpoint string) (RecordingState, error) {
	if err := validAgent(agentID); err != nil {
		return "", err
	}
	segments := []string{"rest", "api", "v1", "agents", agentID, "active-recording"}
	if action != "" {
		segments = append(segments, action)
	}
	var out stateBody
	err := c.t.Do(ctx, &transport.Request{
		Method: method, Path: transport.Path(segments...), Idempotent: true, Endpoint: endpoint,
	}, &out)
	return out.State, err
}

// RecordingState returns the state of the agent's active recording.
// agentID is an extension ("203"), a name with extension
// ("Nate Thatcher(203)") or an alias; it is path-escaped.
//
// API: GET /rest/api/v1/agents/{AgentId}/active-recording
func (c *Client) RecordingState(ctx context.Context, agentID string) (RecordingState, error) {
	return c.agentState(ctx, http.MethodGet, agentID, "", "GET /rest/api/v1/agents/{AgentId}/active-recording")
}

// PauseRecording pauses the agent's active recording (while a card number
// is read out, say) and returns the new state. Pausing a paused recording
// changes nothing, so the call is retried like a read.
//
// API: POST /rest/api/v1/agents/{AgentId}/active-recording/pause
func (c *Client) PauseRecording(ctx context.Context, agentID string) (RecordingState, error) {
	return c.agentState(ctx, http.MethodPost, agentID, "pause", "POST /rest/api/v1/agents/{AgentId}/active-recording/pause")
}

// ResumeRecording resumes the agent's active recording and returns the new
// state.
//
// API: POST /rest/api/v1/agents/{AgentId}/active-recording/resume
func (c *Client) ResumeRecording(ctx context.Context, agentID string) (RecordingState, error) {
	return c.agentState(ctx, http.MethodPost, agentID, "resume", "POST /rest/api/v1/agents/{AgentId}/active-recording/resume")
}
