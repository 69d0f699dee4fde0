package webchat_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/testtool"
	"github.com/contactkit/contactkit/webchat"
	"github.com/contactkit/contactkit/webchat/webchattest"
)

// localSQS starts the npm package local-aws-sqs@2.0.2 on 127.0.0.1 with one
// queue whose visibility timeout is 1 s, and returns its endpoint, the
// queue URL and an SQS client for the test's own use. .ci/run installs the
// package into .ci/node.
func localSQS(t *testing.T) (endpoint, queueURL string, client *sqs.Client) {
	t.Helper()
	module := testtool.NodeModule(t, "local-aws-sqs", "LOCAL_AWS_SQS_MODULE")
	port := testtool.FreePort(t)
	testtool.StartNode(t, `
const { createSqsServer } = require(process.argv[2]);
createSqsServer({
  port: Number(process.argv[3]), hostname: "127.0.0.1", emulateQueueCreationLifecycle: false,
  queues: [{ QueueName: "mm-queue-test", Attributes: { VisibilityTimeout: "1" } }],
}).then(() => console.log("ready"), (e) => { console.error(e); process.exit(1); });
`, module, strconv.Itoa(port))
	endpoint = "http://127.0.0.1:" + strconv.Itoa(port)
	client = sqs.New(sqs.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(endpoint)})
	out, err := client.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("mm-queue-test")})
	require.NoError(t, err)
	return endpoint, aws.ToString(out.QueueUrl), client
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
	srv := webchattest.NewServer(webchattest.WithDelivery(webchattest.Delivery{
		QueueURL: func(string) (string, string) { return queueURL, "arn:aws:sqs:us-east-1:123456789012:mm-queue-test" },
		Send: func(ctx context.Context, _ string, body string) error {
			_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)})
			return err
		},
	}))
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
