package webchat_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// blockingSource delivers nothing until ctx ends.
type blockingSource struct{}

func (blockingSource) Receive(ctx context.Context, _ func(context.Context, webchat.AgentMessage) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// A still-here that is on its way when End is called reaches the service
// after the end and is answered 404. The server here forces that order:
// it holds the still-here until the end has ended the session, and holds
// the end's answer until the conversation returned (or 300 ms). The
// conversation must end cleanly (it was ended by End), not fail with the
// 404.
func TestEndCrossingKeepAliveDoesNotFailConversation(t *testing.T) {
	var (
		stillHereIn  = make(chan struct{})
		sessionEnded = make(chan struct{})
		stillHereOut = make(chan struct{})
		runReturned  = make(chan struct{})
		once         sync.Once
		ended        atomic.Bool
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat/apiqueue", func(w http.ResponseWriter, _ *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "c1", Path: "/"})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sessionDetails":{"id":"s1"}}`))
	})
	mux.HandleFunc("POST /chat/still-here", func(w http.ResponseWriter, _ *http.Request) {
		if ended.Load() {
			http.Error(w, `{"message":"No such chat session."}`, http.StatusNotFound)
			return
		}
		once.Do(func() { close(stillHereIn) })
		<-sessionEnded
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"No such chat session."}`))
		close(stillHereOut)
	})
	mux.HandleFunc("POST /chat/end", func(w http.ResponseWriter, _ *http.Request) {
		ended.Store(true)
		close(sessionEnded)
		<-stillHereOut
		select {
		case <-runReturned:
		case <-time.After(300 * time.Millisecond):
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := webchat.NewClient(srv.URL, webchat.WithoutRetry())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	chat, err := c.StartAPISession(ctx, webchat.StartRequest{APIKey: "k"})
	require.NoError(t, err)
	endErr := make(chan error, 1)
	go func() {
		<-stillHereIn
		endErr <- chat.End(ctx)
	}()
	conv := &webchat.Conversation{Chat: chat, Source: blockingSource{}, KeepAlive: 5 * time.Millisecond}
	err = conv.Run(ctx)
	close(runReturned)
	require.NoError(t, err, "ended by End: the crossing still-here's 404 is not the conversation's error")
	require.NoError(t, <-endErr)
	assert.True(t, chat.Ended())
}

// A conversation that the program ends (its context cancelled) at any
// step sends POST /chat/end, so the agent is not left with an orphaned
// chat; every goroutine has stopped (goleak in TestMain).
func TestConversationCancelledAtEveryStepEndsTheChat(t *testing.T) {
	for _, overSQS := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "sqs"}[overSQS], func(t *testing.T) { cancelAtEveryStep(t, overSQS) })
	}
}

func cancelAtEveryStep(t *testing.T, overSQS bool) {
	// run cancels the conversation's context when the step-th message
	// arrives (never for -1; before Run for 0) and returns how many
	// messages arrived and Run's error.
	run := func(step int) (int, *webchat.Chat, *webchattest.Server, error) {
		srv, c := newFake(t)
		chat, err := c.StartAPISession(context.Background(), startReq(srv))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		seen := func() {
			if n++; n == step {
				cancel()
			}
		}
		if step == 0 {
			cancel()
		}
		source := srv.Source(chat.Session.ID)
		if overSQS {
			source, err = c.NewSessionSource(&chat.Session, webchat.SQSOptions{WaitTime: time.Second})
			require.NoError(t, err)
		}
		texts := 0
		conv := &webchat.Conversation{Chat: chat, Source: source, KeepAlive: 5 * time.Millisecond,
			Handlers: webchat.Handlers{
				ChatText: func(ctx context.Context, _ string) error {
					seen()
					switch texts++; texts {
					case 1, 2:
						return chat.Send(ctx, "question") // a post cancelled under way when this is the step
					case 3:
						return chat.Send(ctx, "bye")
					}
					return nil
				},
				Default: func(context.Context, webchat.AgentMessage) error { seen(); return nil },
			}}
		err = conv.Run(ctx)
		return n, chat, srv, err
	}
	total, _, _, err := run(-1)
	require.NoError(t, err)
	require.Equal(t, 17, total, "the scripted chat, CHAT_ENDED last")
	for step := 0; step < total; step++ {
		_, chat, srv, err := run(step)
		require.ErrorIs(t, err, context.Canceled, "step %d", step)
		rec, _ := srv.Session(chat.Session.ID)
		assert.True(t, rec.Ended, "step %d: POST /chat/end reached the service", step)
		assert.True(t, chat.Ended(), "step %d", step)
	}
	// Cancelled while handling CHAT_ENDED: the agent ended the chat, no
	// end is sent.
	_, chat, srv, err := run(total)
	require.ErrorIs(t, err, context.Canceled)
	rec, _ := srv.Session(chat.Session.ID)
	assert.False(t, rec.Ended, "no POST /chat/end after the agent's CHAT_ENDED")
	assert.True(t, chat.Ended())
}

// The end Run sends is bounded by EndGrace: a service that never answers
// it does not hold the program, and the failure is reported with the
// context's error.
func TestConversationEndGraceBoundsTheEnd(t *testing.T) {
	srv, c := newFake(t)
	chat, err := c.StartAPISession(context.Background(), startReq(srv))
	require.NoError(t, err)
	srv.Inject(10, webchattest.Fault{Delay: time.Hour}) // every later request hangs
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	err = (&webchat.Conversation{Chat: chat, Source: blockingSource{}, EndGrace: 100 * time.Millisecond}).Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the end gave up after its grace")
	assert.Contains(t, err.Error(), "ending the chat")
	assert.Less(t, time.Since(start), 10*time.Second, "bounded by EndGrace, not the 30 s response timeout")
}

// One failed DeleteMessage is retried: the message is handled once and
// Receive goes on.
func TestSQSDeleteFailureIsRetried(t *testing.T) {
	f := newFakeSQS(t)
	f.failDeletes = 1
	f.send(`{"type":"CHAT_TEXT","text":"one"}`)
	var deleteErrs atomic.Int32
	src, err := newSQSClient(t).NewSQSSource(f.queueURL(), webchat.SQSOptions{WaitTime: time.Second, OnDeleteError: func(error) { deleteErrs.Add(1) }})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var texts []string
	err = src.Receive(ctx, func(_ context.Context, m webchat.AgentMessage) error {
		texts = append(texts, m.Text)
		if m.Text == "one" {
			f.send(`{"type":"CHAT_TEXT","text":"two"}`) // Receive must go on to get it
		} else {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []string{"one", "two"}, texts, "each handled once")
	_, deletes := f.counts()
	assert.Equal(t, 3, deletes, "the failed delete was sent again")
	assert.Zero(t, f.pending())
	assert.Zero(t, deleteErrs.Load())
}

// A delete that fails for good (every retry) does not end Receive either:
// the hook is told, and SQS delivers the message again.
func TestSQSDeleteFailingForGoodDoesNotEndReceive(t *testing.T) {
	f := newFakeSQS(t)
	f.failDeletes = shortRetry.MaxAttempts
	f.send(`{"type":"CHAT_TEXT","text":"again"}`)
	var deleteErrs []error
	src, err := newSQSClient(t).NewSQSSource(f.queueURL(), webchat.SQSOptions{WaitTime: time.Second, OnDeleteError: func(err error) { deleteErrs = append(deleteErrs, err) }})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	err = src.Receive(ctx, func(context.Context, webchat.AgentMessage) error {
		if calls++; calls == 2 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, calls, "delivered again after its visibility timeout")
	require.Len(t, deleteErrs, 1)
	assert.True(t, errors.Is(deleteErrs[0], contactkit.ErrServer) || deleteErrs[0] != nil)
	assert.Contains(t, deleteErrs[0].Error(), "InternalError")
	assert.Zero(t, f.pending(), "the second handling deleted it")
}

// A session answer from a newer service, with a third queue and an extra
// field on a session and on a queue, survives a decode and re-encode.
func TestSessionKeepsUnknownFields(t *testing.T) {
	raw := `{"sessionDetails":{
		"id":"9c108bb3-8924-4234-a53c-be9ab284d4e3","installationId":"i-1","email":"e@example.com","name":"End User",
		"agent":"","agentImage":"","skill":"Sales","created":"2012-04-23T18:25:43.511Z","chatQueueType":"SERVERTOCLIENT",
		"serverToClientQueue":{"url":"https://sqs.us-east-1.amazonaws.com/1/q","arn":"arn:aws:sqs:us-east-1:1:q","created":"2012-04-23T18:25:43.511Z","lastUsed":"2012-04-23T18:25:43.511Z","chatQueueType":"SERVERTOCLIENT","fifo":true},
		"queueStatusQueue":{"url":"https://sqs.us-east-1.amazonaws.com/1/s","arn":"arn:aws:sqs:us-east-1:1:s","created":"2012-04-23T18:25:43.511Z","lastUsed":"2012-04-23T18:25:43.511Z","chatQueueType":"QUEUESTATUS"},
		"priority":{"level":2,"reason":"vip"}}}`
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat/apiqueue", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(raw))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := webchat.NewClient(srv.URL)
	require.NoError(t, err)
	chat, err := c.StartAPISession(context.Background(), webchat.StartRequest{APIKey: "k"})
	require.NoError(t, err)
	s := chat.Session
	assert.Equal(t, "Sales", s.Skill)
	assert.Contains(t, s.Unknown, "queueStatusQueue")
	assert.Contains(t, s.Unknown, "priority")
	assert.JSONEq(t, `true`, string(s.ServerToClientQueue.Unknown["fifo"]))

	back, err := json.Marshal(map[string]webchat.Session{"sessionDetails": s})
	require.NoError(t, err)
	assert.JSONEq(t, raw, string(back), "nothing dropped")
	var again webchat.Session
	require.NoError(t, json.Unmarshal(back[len(`{"sessionDetails":`):len(back)-1], &again))
	assert.Equal(t, s, again)
}
