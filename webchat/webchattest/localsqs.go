package webchattest

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/contactkit/contactkit/internal/testtool"
)

// LocalSQS starts the npm package local-aws-sqs@2.0.2 (which .ci/run
// installs into .ci/node) on 127.0.0.1 with one queue whose visibility
// timeout is 1 s, and returns its endpoint, the queue URL and an SQS
// client for the test's own use. Without node or the package the test is
// skipped locally and fails under CI=true.
func LocalSQS(t testing.TB) (endpoint, queueURL string, client *sqs.Client) {
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
	if err != nil {
		t.Fatalf("local-aws-sqs: %v", err)
	}
	return endpoint, aws.ToString(out.QueueUrl), client
}

// SQSDelivery sends every session's agent messages to the one queue at
// queueURL (a LocalSQS queue, say): for WithDelivery.
func SQSDelivery(queueURL string, client *sqs.Client) Delivery {
	return Delivery{
		QueueURL: func(string) (string, string) { return queueURL, "arn:aws:sqs:us-east-1:123456789012:mm-queue-test" },
		Send: func(ctx context.Context, _ string, body string) error {
			_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)})
			return err
		},
	}
}
