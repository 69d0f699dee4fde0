package avaya_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

// Archive a day of recordings into a directory, paced for the cloud
// edition's audio limit, and read the manifest another system imports
// from. (avaya/s3archive's Store is a Destination for a bucket.)
func ExampleClient_ArchiveTo() {
	srv := avayatest.NewServer()
	defer srv.Close()
	srv.LimitAudio(10 * time.Millisecond) // the cloud's is 3 s: avaya.CloudAudioLimit()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token),
		avaya.WithAudioRateLimit(rate.NewLimiter(rate.Every(10*time.Millisecond), 1)))
	dir, _ := osTempDir()
	defer removeAll(dir)

	day := time.Date(2019, 9, 17, 0, 0, 0, 0, time.UTC)
	res, err := c.ArchiveTo(context.Background(), day, day.Add(24*time.Hour), avaya.Dir(dir), avaya.ArchiveOptions{
		Format:  avaya.WAV,
		CallKey: func(avaya.Recording) avaya.Key { return avayatest.DocumentedCall }, // the listing does not say
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Line())
	raw, _ := os.ReadFile(filepath.Join(dir, avaya.DefaultManifest))
	entries, _ := avaya.ReadManifest(bytes.NewReader(raw))
	for _, e := range entries {
		fmt.Println(e.Key, e.Start.Format(time.RFC3339), e.Duration, e.Size, e.SHA256[:12])
	}
	// Output:
	// [2/2] 2 downloaded, 0 skipped, 0 failed, 0.8 MiB
	// 83849370-5753-4186-9fc5-9c069e615734-1568735345298 2019-09-17T15:49:05Z 48.974s 391850 0d4e7067f28d
	// 0a72f610-8615-4ac9-8f1d-b914f9f164dc-1568739643644 2019-09-17T17:00:43Z 59.347s 474834 3cf3f4baa7ba
}

// Pace every audio request of a client to the cloud edition's one per
// 3 seconds, so that an archive never runs into its 429s.
func ExampleWithAudioRateLimit() {
	c, err := avaya.NewClient("https://tenant.example.com", contactkit.StaticToken("service-user-key"),
		avaya.WithAudioRateLimit(avaya.CloudAudioLimit()))
	fmt.Println(c != nil, err)
	// Output: true <nil>
}
