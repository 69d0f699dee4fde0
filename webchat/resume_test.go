package webchat_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// A chat saved as its session and cookies is resumed by another client
// (another process): its posts and its cookie-based end work.
func TestResumeChat(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	cookies := chat.Cookies()
	require.Len(t, cookies, 1)
	assert.Equal(t, webchattest.CookieName, cookies[0].Name)

	other, err := webchat.NewClient(srv.URL())
	require.NoError(t, err)
	saved := webchat.Session{ID: chat.Session.ID, ServerToClientQueue: chat.Session.ServerToClientQueue}
	resumed, err := other.ResumeChat(saved, []*http.Cookie{{Name: cookies[0].Name, Value: cookies[0].Value}})
	require.NoError(t, err)
	require.NoError(t, resumed.Send(ctx, "from the resumed chat"))
	require.NoError(t, resumed.End(ctx))
	rec, _ := srv.Session(chat.Session.ID)
	assert.Equal(t, []string{"from the resumed chat"}, rec.Messages)
	assert.True(t, rec.Ended, "POST /chat/end found the session by the resumed cookie")

	_, err = other.ResumeChat(webchat.Session{}, nil)
	var ve *contactkit.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "Session.ID", ve.Field)
}

// Every delivery of a queue message carries the same id, the one a
// consumer de-duplicates by.
func TestMessageIDStableAcrossRedelivery(t *testing.T) {
	srv, c := newFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	src, err := c.NewSessionSource(&chat.Session, webchat.SQSOptions{WaitTime: time.Second})
	require.NoError(t, err)
	seen := map[string][]string{}
	runCtx, stop := context.WithCancel(ctx)
	err = src.Receive(runCtx, func(_ context.Context, m webchat.AgentMessage) error {
		require.NotEmpty(t, m.ID)
		seen[string(m.Type)] = append(seen[string(m.Type)], m.ID)
		if m.Type == webchat.EstimatedWaitTime && len(seen[string(m.Type)]) == 1 {
			return errors.New("fail once: delivered again")
		}
		if len(seen[string(webchat.EstimatedWaitTime)]) == 2 && len(seen[string(webchat.ChatText)]) > 0 {
			stop()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	ids := seen[string(webchat.EstimatedWaitTime)]
	require.Len(t, ids, 2)
	assert.Equal(t, ids[0], ids[1], "the same id on redelivery")
	assert.NotEqual(t, ids[0], seen[string(webchat.ChatStarted)][0], "ids differ between messages")
}

// QueueStates decode and encode in section 8.1's shape.
func TestQueueStatesShape(t *testing.T) {
	doc := `{
  "Sales": {"estimatedWaitTime": 100, "theQueueIsEmpty": true, "thereAreAgentsLoggedIn": false, "thereAreAgentsReady": false},
  "Support": {"estimatedWaitTime": 100, "theQueueIsEmpty": true, "thereAreAgentsLoggedIn": true, "thereAreAgentsReady": true}
}`
	var qs webchat.QueueStates
	require.NoError(t, json.Unmarshal([]byte(doc), &qs))
	assert.Equal(t, webchattest.DefaultQueueStates(), qs)
	out, err := json.Marshal(qs)
	require.NoError(t, err)
	assert.JSONEq(t, doc, string(out))

	src := webchat.QueueStatusFunc(func(context.Context) (webchat.QueueStates, error) { return qs, nil })
	got, err := src.QueueStates(context.Background())
	require.NoError(t, err)
	assert.True(t, got["Support"].ThereAreAgentsReady)
}
