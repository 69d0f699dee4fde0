package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

var shortRetry = contactkit.RetryPolicy{MaxAttempts: 3, MinWait: 5 * time.Millisecond, MaxWait: 20 * time.Millisecond}

// seen records what a WithTransportWrapper wrapper sees of each request.
type seen struct {
	mu  sync.Mutex
	ops []string
	uas []string
}

func (s *seen) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		s.mu.Lock()
		s.ops = append(s.ops, contactkit.OperationName(r.Context()))
		s.uas = append(s.uas, r.Header.Get("User-Agent"))
		s.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

func (s *seen) snapshot() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ops...), append([]string(nil), s.uas...)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The SQS client's HTTP is the web chat client's stack: a real
// SQS-compatible server sees the SDK's User-Agent, and the user's wrapper
// sees every SQS request, named by operation.
func TestSQSRequestsGoThroughTheClientStack(t *testing.T) {
	_, queueURL, client := localSQS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(`{"type":"CHAT_TEXT","text":"hi"}`)})
	require.NoError(t, err)

	var rec seen
	c := newSQSClient(t, webchat.WithUserAgent("shop-chat/1.2"), webchat.WithTransportWrapper(rec.wrap))
	src, err := c.NewSQSSource(queueURL, webchat.SQSOptions{WaitTime: time.Second})
	require.NoError(t, err)
	runCtx, stop := context.WithCancel(ctx)
	err = src.Receive(runCtx, func(context.Context, webchat.AgentMessage) error { stop(); return nil })
	require.ErrorIs(t, err, context.Canceled)

	ops, uas := rec.snapshot()
	assert.Contains(t, ops, "SQS ReceiveMessage")
	assert.Contains(t, ops, "SQS DeleteMessage")
	for _, ua := range uas {
		assert.True(t, strings.HasPrefix(ua, "shop-chat/1.2 contactkit/"+contactkit.Version), ua)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL)})
	require.NoError(t, err)
	assert.Empty(t, out.Messages, "deleted through the wrapped stack")
}

// Each chat keeps its own cookie jar on the one stack: the wrapper sees
// the REST calls of every chat too.
func TestChatsShareTheStack(t *testing.T) {
	srv := webchattest.NewServer()
	t.Cleanup(srv.Close)
	var rec seen
	c, err := webchat.NewClient(srv.URL(), webchat.WithTransportWrapper(rec.wrap), webchat.WithUserAgent("shop-chat/1.2"))
	require.NoError(t, err)
	ctx := context.Background()
	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	require.NoError(t, chat.StillHere(ctx))
	require.NoError(t, chat.End(ctx))
	ops, uas := rec.snapshot()
	assert.Equal(t, []string{"POST /chat/apiqueue", "POST /chat/still-here", "POST /chat/end"}, ops)
	for _, ua := range uas {
		assert.True(t, strings.HasPrefix(ua, "shop-chat/1.2 contactkit/"), ua)
	}
}

// An SQS server that echoes the request's session token and access key
// in its error: the error the user sees, and the debug log, hold neither.
func TestSQSErrorsAreRedacted(t *testing.T) {
	const (
		accessKey    = "AKIAFAKEACCESSKEY123"
		secretKey    = "fake/secret+key/0123456789abcdefghijklmn"
		sessionToken = "FwoGZXIvYXdzEFAKE//session+token/with=chars"
	)
	f := newFakeSQS(t)
	f.echoCreds = true
	var logs bytes.Buffer
	c := newSQSClient(t, webchat.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey, SessionToken: sessionToken, Source: "test"}, nil
	})
	src, err := c.NewSQSSource(f.queueURL(), webchat.SQSOptions{Credentials: creds, WaitTime: time.Second})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = src.Receive(ctx, func(context.Context, webchat.AgentMessage) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "InvalidClientTokenId", "the server's error is kept")
	for _, secret := range []string{accessKey, secretKey, sessionToken} {
		for _, form := range []string{secret, strings.ReplaceAll(secret, "/", `\/`)} {
			assert.NotContains(t, err.Error(), form)
			assert.NotContains(t, logs.String(), form)
		}
	}
	assert.Contains(t, logs.String(), "SQS ReceiveMessage", "the SQS call was logged")
}

// A web chat server that repeats the API key or the captcha token in its
// error body, plain or JSON-escaped inside JSON: Error(), Message and Body
// hold neither.
func TestStartSecretsAreRedacted(t *testing.T) {
	const apiKey = "xima-api-key-0123456789"
	const captcha = "03AGdBq2-captcha/token+value"
	for name, start := range map[string]func(c *webchat.Client, r webchat.StartRequest) error{
		"apiqueue": func(c *webchat.Client, r webchat.StartRequest) error {
			r.APIKey = apiKey
			_, err := c.StartAPISession(context.Background(), r)
			return err
		},
		"queue": func(c *webchat.Client, r webchat.StartRequest) error {
			r.APIKey, r.RecaptchaToken = "", captcha
			_, err := c.StartSession(context.Background(), r)
			return err
		},
	} {
		srv, c := newFake(t)
		secret := apiKey
		if name == "queue" {
			secret = captcha
		}
		// {"message":"invalid credential SECRET in {\"k\":\"SECRET\"}","request":"{\"k\":\"SECRET\"}"}
		escaped, _ := json.Marshal(map[string]string{"k": secret})
		body, _ := json.Marshal(map[string]string{"message": "invalid credential " + secret + " in " + string(escaped), "request": string(escaped)})
		require.Contains(t, string(body), `\"k\":\"`+secret)
		srv.Inject(1, webchattest.Fault{Status: http.StatusUnauthorized, Body: string(body)})
		err := start(c, startReq(srv))
		var apiErr *contactkit.APIError
		require.ErrorAs(t, err, &apiErr, name)
		assert.Contains(t, apiErr.Message, "invalid credential", name)
		for _, text := range []string{err.Error(), apiErr.Message, string(apiErr.Body)} {
			assert.NotContains(t, text, secret, name)
			assert.NotContains(t, text, strings.ReplaceAll(secret, "/", `\/`), name)
		}
	}
}

// A server that accepts the connection and never answers: the default
// response timeout (here 100 ms) ends every call with ErrTimeout, REST and
// SQS alike, without any caller deadline.
func TestSilentServerTimesOut(t *testing.T) {
	base := silentServer(t)
	c, err := webchat.NewClient(base, webchat.WithResponseTimeout(100*time.Millisecond), webchat.WithRetry(shortRetry))
	require.NoError(t, err)
	ctx := context.Background()
	start := time.Now()
	_, err = c.StartAPISession(ctx, webchat.StartRequest{APIKey: "k"})
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	_, err = c.CheckSession(ctx, "id")
	require.ErrorIs(t, err, contactkit.ErrTimeout)

	src, err := c.NewSQSSource(base+"/123456789012/mm-queue", webchat.SQSOptions{})
	require.NoError(t, err)
	err = src.Receive(ctx, func(context.Context, webchat.AgentMessage) error { return nil })
	require.ErrorIs(t, err, contactkit.ErrTimeout)
	assert.Less(t, time.Since(start), 10*time.Second, "not the 30 s default")
}

// With a short response timeout the long poll shrinks to a short poll,
// and empty answers are spaced by the retry policy (at least MinWait
// apart), not a tight loop.
func TestShortPollsAreSpaced(t *testing.T) {
	f := newFakeSQS(t)
	const minWait = 20 * time.Millisecond
	c := newSQSClient(t, webchat.WithResponseTimeout(time.Second), webchat.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: minWait, MaxWait: 2 * minWait}))
	src, err := c.NewSQSSource(f.queueURL(), webchat.SQSOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	time.AfterFunc(200*time.Millisecond, func() { f.send(`{"type":"CHAT_TEXT","text":"late"}`) })
	start := time.Now()
	err = src.Receive(ctx, func(context.Context, webchat.AgentMessage) error { cancel(); return nil })
	require.ErrorIs(t, err, context.Canceled)
	elapsed := time.Since(start)
	assert.Zero(t, f.pending(), "received and deleted")
	receives, _ := f.counts()
	assert.LessOrEqual(t, receives, int(elapsed/minWait)+2, "%d short polls in %s", receives, elapsed)
	assert.GreaterOrEqual(t, receives, 2, "polled again after an empty answer")
}
