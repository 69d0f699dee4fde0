package webchat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The golden files are the document's bodies. Its example response is not
// valid JSON as printed (URLs broken across lines, trailing commas, a //
// comment); start_response.json mends exactly those and nothing else.

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

const sessionID = "9c108bb3-8924-4234-a53c-be9ab284d4e3"

func TestGoldenStartResponseWrappedAndFlat(t *testing.T) {
	raw := golden(t, "start_response.json")
	s, err := sessionAnswer(raw)
	require.NoError(t, err)
	assert.Equal(t, sessionID, s.ID)
	assert.Equal(t, sessionID, s.InstallationID)
	assert.Equal(t, "endUserEmail@test.com", s.Email)
	assert.Equal(t, "End User", s.Name)
	assert.Equal(t, "Agent Name", s.Agent)
	assert.Equal(t, "SkillName", s.Skill)
	assert.Equal(t, "iVBORw0KGgoAAAANSUhEUg...ruPfsj78onZEAAAAASUVORK5CYII=", s.AgentImageBase64)
	assert.Equal(t, time.Date(2012, 4, 23, 18, 25, 43, 511e6, time.UTC), s.Created)
	require.NotNil(t, s.ServerToClientQueue)
	q := s.ServerToClientQueue
	assert.Equal(t, "https://sqs.us-east-1.amazonaws.com/775407092955/mm-queue-054d867a-76da-44f3-b63a-1ca187398f6d", q.URL)
	assert.Equal(t, "arn:aws:sqs:us-east-1:775407092955:mm-queue-054d867a-76da-44f3-b63a-1ca187398f6d", q.ARN)
	assert.Equal(t, ServerToClient, q.Type)
	assert.Equal(t, time.Date(2012, 4, 23, 18, 25, 43, 511e6, time.UTC), q.LastUsed)
	assert.Equal(t, ClientToServer, s.ClientToServerQueue.Type)
	assert.Equal(t, "us-east-1", regionOf(q.URL, q.ARN))

	// Round trip, and the same session sent flat.
	var wrapped struct {
		SessionDetails Session `json:"sessionDetails"`
	}
	require.NoError(t, json.Unmarshal(raw, &wrapped))
	back, err := json.Marshal(map[string]Session{"sessionDetails": wrapped.SessionDetails})
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back))
	flat, err := json.Marshal(wrapped.SessionDetails)
	require.NoError(t, err)
	s2, err := sessionAnswer(flat)
	require.NoError(t, err)
	assert.Equal(t, s, s2)
}

// wire records every request of one session on one mock transport.
type wire struct {
	mt     *httpmock.MockTransport
	bodies map[string][]byte
	hdrs   map[string]http.Header
}

func newWire(t *testing.T) (*Client, *wire) {
	t.Helper()
	w := &wire{mt: httpmock.NewMockTransport(), bodies: map[string][]byte{}, hdrs: map[string]http.Header{}}
	record := func(status int, body string) httpmock.Responder {
		return func(r *http.Request) (*http.Response, error) {
			b := []byte(nil)
			if r.Body != nil {
				b, _ = io.ReadAll(r.Body)
			}
			w.bodies[r.Method+" "+r.URL.Path] = b
			w.hdrs[r.Method+" "+r.URL.Path] = r.Header.Clone()
			resp := httpmock.NewStringResponse(status, body)
			resp.Header.Set("Content-Type", "application/json")
			if r.URL.Path == "/chat/apiqueue" || r.URL.Path == "/chat/queue" {
				resp.Header.Set("Set-Cookie", "JSESSIONID=abc123; Path=/")
			}
			return resp, nil
		}
	}
	start := string(golden(t, "start_response.json"))
	w.mt.RegisterResponder(http.MethodPost, "https://mm-v1.ximasoftware.com/chat/queue", record(200, start))
	w.mt.RegisterResponder(http.MethodPost, "https://mm-v1.ximasoftware.com/chat/apiqueue", record(200, start))
	for _, p := range []string{"/chat", "/chat/still-here", "/chat/focus", "/chat/typing", "/screenshot/notify", "/chat/end"} {
		w.mt.RegisterResponder(http.MethodPost, "https://mm-v1.ximasoftware.com"+p, record(204, ""))
	}
	w.mt.RegisterResponder(http.MethodPost, "https://mm-v1.ximasoftware.com/screenshot", record(200, `"`+sessionID+`"`))
	c, err := NewClient("", WithHTTPClient(&http.Client{Transport: w.mt}))
	require.NoError(t, err)
	return c, w
}

func TestGoldenRequestBodies(t *testing.T) {
	c, w := newWire(t)
	ctx := context.Background()
	req := StartRequest{
		InstallationID: sessionID, Email: "endUserEmail@test.com", Name: "End User", Skill: "SkillName",
		CustomChatInfo: []CustomInfo{{Name: "Parameter Display Name", Value: "Parameter Value"}},
	}
	r := req
	r.RecaptchaToken = "9c108bb3-8924"
	_, err := c.StartSession(ctx, r)
	require.NoError(t, err)
	assert.JSONEq(t, string(golden(t, "start_queue_request.json")), string(w.bodies["POST /chat/queue"]))
	r = req
	r.APIKey = sessionID
	chat, err := c.StartAPISession(ctx, r)
	require.NoError(t, err)
	assert.JSONEq(t, string(golden(t, "start_apiqueue_request.json")), string(w.bodies["POST /chat/apiqueue"]))
	assert.Equal(t, sessionID, chat.Session.ID, "the wrapped answer was read")

	require.NoError(t, chat.StillHere(ctx))
	assert.JSONEq(t, string(golden(t, "still_here.json")), string(w.bodies["POST /chat/still-here"]))
	require.NoError(t, chat.Send(ctx, "I have a question about model no. 24601."))
	assert.JSONEq(t, string(golden(t, "chat.json")), string(w.bodies["POST /chat"]))
	require.NoError(t, chat.Focus(ctx))
	assert.JSONEq(t, string(golden(t, "focus.json")), string(w.bodies["POST /chat/focus"]))
	require.NoError(t, chat.Typing(ctx, true))
	assert.JSONEq(t, string(golden(t, "typing.json")), string(w.bodies["POST /chat/typing"]))
	require.NoError(t, chat.Typing(ctx, false))
	assert.JSONEq(t, `{"chatSessionId":"`+sessionID+`","typing":"false"}`, string(w.bodies["POST /chat/typing"]))
	require.NoError(t, chat.AcceptScreenshot(ctx, sessionID))
	assert.JSONEq(t, string(golden(t, "screenshot_notify.json")), string(w.bodies["POST /screenshot/notify"]))
	require.NoError(t, chat.RejectScreenshot(ctx))
	assert.JSONEq(t, `{"chatSessionId":"`+sessionID+`","status":"REJECTED"}`, string(w.bodies["POST /screenshot/notify"]))

	png := append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3)
	uuid, err := chat.UploadScreenshot(ctx, png)
	require.NoError(t, err)
	assert.Equal(t, sessionID, uuid)
	assert.Equal(t, "data:image/png;base64;iVBORw0KGgoBAgM=", string(w.bodies["POST /screenshot"]), "the prefix exactly as documented")
	assert.Equal(t, "JSESSIONID=abc123", w.hdrs["POST /screenshot"].Get("Cookie"))

	require.NoError(t, chat.End(ctx))
	assert.Empty(t, w.bodies["POST /chat/end"], "/chat/end has no body")
	assert.Equal(t, "JSESSIONID=abc123", w.hdrs["POST /chat/end"].Get("Cookie"), "the session cookie identifies the chat")
	require.ErrorIs(t, chat.Send(ctx, "after the end"), ErrChatEnded)
}

func TestScreenshotUUIDForms(t *testing.T) {
	for raw, want := range map[string]string{
		`"u-1"`: "u-1", `{"uuid":"u-2"}`: "u-2", `{"id":"u-3"}`: "u-3", "u-4\n": "u-4", `<html>oops</html>`: "", `{}`: "",
	} {
		assert.Equal(t, want, screenshotUUID([]byte(raw)), raw)
	}
}
