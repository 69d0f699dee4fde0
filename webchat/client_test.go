package webchat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newFake(t *testing.T, opts ...webchattest.Option) (*webchattest.Server, *webchat.Client) {
	t.Helper()
	srv := webchattest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := webchat.NewClient(srv.URL())
	require.NoError(t, err)
	return srv, c
}

func startReq(srv *webchattest.Server) webchat.StartRequest {
	return webchat.StartRequest{InstallationID: srv.InstallationID, Email: "end.user@example.com", Name: "End User", Skill: "Sales", APIKey: srv.APIKey}
}

func TestStartCheckAndEndWithCookie(t *testing.T) {
	for _, flat := range []bool{false, true} {
		var opts []webchattest.Option
		if flat {
			opts = append(opts, webchattest.WithFlatSessions())
		}
		srv, c := newFake(t, opts...)
		ctx := context.Background()
		chat, err := c.StartAPISession(ctx, startReq(srv))
		require.NoError(t, err, "flat=%v", flat)
		assert.NotEmpty(t, chat.Session.ID)
		assert.Equal(t, webchat.ServerToClient, chat.Session.ServerToClientQueue.Type)

		s, err := c.CheckSession(ctx, chat.Session.ID)
		require.NoError(t, err)
		assert.Equal(t, chat.Session.ID, s.ID)

		require.NoError(t, chat.End(ctx))
		rec, _ := srv.Session(chat.Session.ID)
		assert.True(t, rec.Ended, "ended through the cookie alone")
		_, err = c.CheckSession(ctx, chat.Session.ID)
		require.ErrorIs(t, err, webchat.ErrNoSession, "204 after the end")
		select {
		case <-chat.Done():
		default:
			t.Fatal("Done is closed after End")
		}
	}
}

func TestEachChatHasItsOwnCookieJar(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	a, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	b, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	require.NoError(t, a.End(ctx))
	ra, _ := srv.Session(a.Session.ID)
	rb, _ := srv.Session(b.Session.ID)
	assert.True(t, ra.Ended)
	assert.False(t, rb.Ended, "ending one chat must not end the other")
	require.NoError(t, b.End(ctx))
}

func TestCaptchaStartAndErrors(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	r := startReq(srv)
	r.APIKey, r.RecaptchaToken = "", "token-from-the-captcha"
	_, err := c.StartSession(ctx, r)
	require.NoError(t, err)
	r.RecaptchaToken = "invalid"
	_, err = c.StartSession(ctx, r)
	require.ErrorIs(t, err, contactkit.ErrForbidden)

	r = startReq(srv)
	r.APIKey = "wrong-key"
	_, err = c.StartAPISession(ctx, r)
	require.ErrorIs(t, err, contactkit.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "wrong-key")

	srv.FailNext(1, 503)
	before := len(srv.Requests())
	_, err = c.StartAPISession(ctx, startReq(srv))
	require.ErrorIs(t, err, contactkit.ErrServer)
	assert.Len(t, srv.Requests(), before+1, "a start is not repeated once sent")
}

func TestValidationBeforeAnyRequest(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	var ve *contactkit.ValidationError
	r := startReq(srv)
	r.APIKey = " "
	_, err := c.StartAPISession(ctx, r)
	require.ErrorAs(t, err, &ve, "the API key is what /chat/apiqueue requires")
	assert.Equal(t, "apiKey", ve.Field)
	_, err = c.StartSession(ctx, startReq(srv))
	require.ErrorAs(t, err, &ve, "captcha token required for /chat/queue")
	assert.Equal(t, "recaptchaToken", ve.Field)
	assert.Empty(t, srv.Requests())

	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	_, err = chat.UploadScreenshot(ctx, []byte("GIF89a"))
	require.ErrorAs(t, err, &ve)
	_, err = chat.UploadScreenshot(ctx, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, webchat.MaxScreenshotBytes)...))
	require.ErrorAs(t, err, &ve)
	require.ErrorAs(t, chat.AcceptScreenshot(ctx, ""), &ve)
	require.ErrorAs(t, chat.Send(ctx, "  "), &ve)
}

// The document requires no field of a ClientChatSessionRequest but the
// endpoint's credential: what the SDK used to refuse reaches the service.
func TestStartRequestValidatesOnlyWhatTheDocumentRequires(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	cases := map[string]func(r *webchat.StartRequest){
		"no name":                    func(r *webchat.StartRequest) { r.Name = "" },
		"no skill (URL mappings)":    func(r *webchat.StartRequest) { r.Skill = "" },
		"no email":                   func(r *webchat.StartRequest) { r.Email = "" },
		"email with a display name":  func(r *webchat.StartRequest) { r.Email = "End User <end.user@example.com>" },
		"custom info without a name": func(r *webchat.StartRequest) { r.CustomChatInfo = []webchat.CustomInfo{{Value: "x"}} },
	}
	for name, mutate := range cases {
		r := startReq(srv)
		mutate(&r)
		chat, err := c.StartAPISession(ctx, r)
		require.NoError(t, err, name)
		require.NoError(t, chat.End(ctx), name)
		r.APIKey, r.RecaptchaToken = "", "captcha-token"
		chat, err = c.StartSession(ctx, r)
		require.NoError(t, err, name)
		require.NoError(t, chat.End(ctx), name)
	}
}

// The document marks the session id of GET /chat/queue optional.
func TestCheckSessionWithoutID(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	_, err := c.CheckSession(ctx, "")
	require.ErrorIs(t, err, webchat.ErrNoSession, "sent, and the service's 204 read")
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/chat/queue", reqs[0].Path)
	assert.Empty(t, reqs[0].Query, "no existingChatSessionId")

	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	s, err := chat.Check(ctx)
	require.NoError(t, err)
	assert.Equal(t, chat.Session.ID, s.ID)
	require.NoError(t, chat.End(ctx))
	_, err = chat.Check(ctx)
	require.ErrorIs(t, err, webchat.ErrNoSession)
}

func TestKeepAliveTiming(t *testing.T) {
	srv, c := newFake(t)
	chat, err := c.StartAPISession(context.Background(), startReq(srv))
	require.NoError(t, err)
	// Five still-heres, spaced by the interval: a lower bound on the
	// time they take holds however busy the machine is.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if rec, _ := srv.Session(chat.Session.ID); rec.StillHere >= 5 {
				cancel()
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	start := time.Now()
	err = chat.KeepAlive(ctx, 20*time.Millisecond)
	require.ErrorIs(t, err, context.Canceled)
	assert.GreaterOrEqual(t, time.Since(start), 95*time.Millisecond, "one still-here every 20 ms, not faster")
	rec, _ := srv.Session(chat.Session.ID)
	assert.GreaterOrEqual(t, rec.StillHere, 5)

	done := make(chan error, 1)
	go func() { done <- chat.KeepAlive(context.Background(), 20*time.Millisecond) }()
	time.Sleep(60 * time.Millisecond)
	require.NoError(t, chat.End(context.Background()))
	select {
	case err := <-done:
		require.NoError(t, err, "the end stops the keep-alive")
	case <-time.After(10 * time.Second):
		t.Fatal("keep-alive did not stop on End")
	}
}

func TestConversationUntilAgentEnds(t *testing.T) {
	srv, c := newFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	var mu sync.Mutex
	var seen []webchat.MessageType
	var texts []string
	conv := &webchat.Conversation{Chat: chat, Source: srv.Source(chat.Session.ID), KeepAlive: 20 * time.Millisecond, Handlers: webchat.Handlers{
		ChatText: func(ctx context.Context, text string) error {
			mu.Lock()
			texts = append(texts, text)
			n := len(texts)
			mu.Unlock()
			switch n {
			case 1:
				return chat.Send(ctx, "Where is my order?")
			case 2:
				return chat.Send(ctx, "Please take a screenshot")
			case 3:
				return chat.Send(ctx, "ok, bye")
			}
			return nil
		},
		TakeScreenshot: func(ctx context.Context) error {
			uuid, err := chat.UploadScreenshot(ctx, append([]byte("\x89PNG\r\n\x1a\n"), 0, 0))
			if err != nil {
				return err
			}
			return chat.AcceptScreenshot(ctx, uuid)
		},
		Default: func(_ context.Context, m webchat.AgentMessage) error {
			mu.Lock()
			seen = append(seen, m.Type)
			mu.Unlock()
			return nil
		},
	}}
	require.NoError(t, conv.Run(ctx), "CHAT_ENDED ends the conversation cleanly")
	assert.True(t, chat.Ended())
	assert.Equal(t, []string{"Hello End User, how can I help?", "You wrote: Where is my order?", "You wrote: Please take a screenshot", "You wrote: ok, bye", "Goodbye!"}, texts)
	for _, want := range []webchat.MessageType{webchat.EstimatedWaitTime, webchat.ChatStarted, webchat.AgentTyping, webchat.ChatTransferred, webchat.ChatEnded} {
		assert.Contains(t, seen, want)
	}
	rec, _ := srv.Session(chat.Session.ID)
	assert.Len(t, rec.Screenshots, 1)
	assert.Len(t, rec.Notified, 1)
}

func TestConversationForceCloseAndLocalEnd(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	srv.ForceClose(chat.Session.ID)
	conv := &webchat.Conversation{Chat: chat, Source: srv.Source(chat.Session.ID)}
	err = conv.Run(ctx)
	require.ErrorIs(t, err, webchat.ErrChatClosed)
	assert.Contains(t, err.Error(), "FORCE_CLOSE")

	chat, err = c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	srv.MultimediaDown(chat.Session.ID)
	err = (&webchat.Conversation{Chat: chat, Source: srv.Source(chat.Session.ID)}).Run(ctx)
	require.ErrorIs(t, err, webchat.ErrChatClosed)

	chat, err = c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	conv = &webchat.Conversation{Chat: chat, Source: srv.Source(chat.Session.ID), Handlers: webchat.Handlers{
		ChatText: func(ctx context.Context, _ string) error { return chat.End(ctx) },
	}}
	require.NoError(t, conv.Run(ctx), "End from a handler ends the conversation")

	chat, err = c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = (&webchat.Conversation{Chat: chat, Source: srv.Source(chat.Session.ID)}).Run(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestInMemoryAtLeastOnce(t *testing.T) {
	srv, c := newFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	var calls atomic.Int32
	err = srv.Source(chat.Session.ID).Receive(ctx, func(_ context.Context, m webchat.AgentMessage) error {
		if m.Type != webchat.ChatText {
			return nil
		}
		if calls.Add(1) == 1 {
			return errors.New("database busy")
		}
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 2, calls.Load(), "the failed message came again")
}

func TestNewClientDefaults(t *testing.T) {
	c, err := webchat.NewClient("")
	require.NoError(t, err)
	assert.Equal(t, webchat.DefaultBaseURL, c.BaseURL().String())
	_, err = webchat.NewClient("mm-v2.ximasoftware.com")
	require.Error(t, err)
	_, err = webchat.NewClient("", webchat.WithRetry(contactkit.RetryPolicy{}))
	require.Error(t, err, "options are checked")
	_, err = c.NewSessionSource(&webchat.Session{}, webchat.SQSOptions{})
	require.Error(t, err)
	_, err = c.NewSQSSource("not a url", webchat.SQSOptions{})
	var ve *contactkit.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.True(t, strings.HasPrefix(webchat.DefaultBaseURL, "https://mm-v1."))
}
