package s3archive_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/s3archive"
)

// Archive yesterday's recordings into a bucket, with the endpoint and
// keys from the environment (an S3-compatible store when
// AWS_ENDPOINT_URL_S3 is set, AWS otherwise).
func ExampleNew() {
	store, err := s3archive.New("recordings",
		s3archive.WithEndpoint(os.Getenv("AWS_ENDPOINT_URL_S3")),
		s3archive.WithRegion("eu-central-1"),
		s3archive.WithPrefix("avaya/2024"),
		s3archive.WithStaticCredentials("AKIDEXAMPLE", "example-secret", ""))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(store.URL("k.wav"))

	c, _ := avaya.NewClient("https://tenant.example.com", contactkit.StaticToken("service-user-key"),
		avaya.WithAudioRateLimit(avaya.CloudAudioLimit()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a real program would run it
	to := time.Now()
	_, err = c.ArchiveTo(ctx, to.Add(-24*time.Hour), to, store, avaya.ArchiveOptions{Format: avaya.WAV})
	fmt.Println(errors.Is(err, context.Canceled))
	// Output:
	// s3://recordings/avaya/2024/k.wav
	// true
}
