package webchat_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// localSQS is webchattest.LocalSQS: local-aws-sqs with a 1 s visibility
// timeout.
func localSQS(t *testing.T) (endpoint, queueURL string, client *sqs.Client) {
	t.Helper()
	return webchattest.LocalSQS(t)
}

func TestSQSAtLeastOnce(t *testing.T) {
	_, queueURL, client := localSQS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(`{"type":"CHAT_TEXT","text":"hello from the agent"}`)})
	require.NoError(t, err)

	src, err := newSQSClient(t).NewSQSSource(queueURL, webchat.SQSOptions{WaitTime: time.Second})
	require.NoError(t, err)
	var calls atomic.Int32
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	err = src.Receive(runCtx, func(_ context.Context, m webchat.AgentMessage) error {
		require.Equal(t, "hello from the agent", m.Text)
		if calls.Add(1) == 1 {
			return errors.New("handler failed: leave it on the queue")
		}
		stop()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 2, calls.Load(), "the failed message was delivered again")
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "after the queue's visibility timeout")

	// The second, successful handling deleted it: nothing is left, even
	// after the visibility timeout.
	time.Sleep(1100 * time.Millisecond)
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), WaitTimeSeconds: 1})
	require.NoError(t, err)
	assert.Empty(t, out.Messages)
}

func TestSQSStopsPromptlyOnCancel(t *testing.T) {
	_, queueURL, _ := localSQS(t)
	src, err := newSQSClient(t).NewSQSSource(queueURL, webchat.SQSOptions{}) // 20 s long polls
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err = src.Receive(ctx, func(context.Context, webchat.AgentMessage) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 10*time.Second, "a 20 s long poll is cut short by cancel")
}

// The whole chat with the agent's messages on a real SQS queue.
func TestConversationOverRealSQS(t *testing.T) {
	_, queueURL, client := localSQS(t)
	srv := webchattest.NewServer(webchattest.WithDelivery(webchattest.SQSDelivery(queueURL, client)))
	defer srv.Close()
	c, err := webchat.NewClient(srv.URL())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	chat, err := c.StartAPISession(ctx, startReq(srv))
	require.NoError(t, err)
	src, err := c.NewSessionSource(&chat.Session, webchat.SQSOptions{WaitTime: time.Second})
	require.NoError(t, err)
	var texts []string
	conv := &webchat.Conversation{Chat: chat, Source: src, Handlers: webchat.Handlers{
		ChatText: func(ctx context.Context, text string) error {
			texts = append(texts, text)
			if len(texts) == 1 {
				return chat.Send(ctx, "bye")
			}
			return nil
		},
	}}
	require.NoError(t, conv.Run(ctx))
	assert.Contains(t, texts, "Goodbye!")
	assert.True(t, chat.Ended())
}
