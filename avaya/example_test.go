package avaya_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

// The examples run against the in-process fake; for a real server pass its
// address, e.g. http://10.0.0.101:9080, and the service user key.

func ExampleClient_RecordingAudio() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	audio, err := c.RecordingAudio(context.Background(), avayatest.DocumentedRecording1, avaya.WAV)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer audio.Body.Close()
	n, _ := io.Copy(io.Discard, audio.Body) // or into a file: nothing is buffered
	fmt.Println(audio.ContentType, n, "bytes")
	// Output: audio/wav 391850 bytes
}

func ExampleClient_CallAudio() {
	srv := avayatest.NewServer()
	defer srv.Close()
	srv.PathForms(avayatest.AlternativeForm) // a server with only /rest/api/v1/calls/{key}/audio
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	audio, err := c.CallAudio(context.Background(), avayatest.DocumentedCall, avaya.SPX)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer audio.Body.Close()
	fmt.Println(audio.Length, "bytes for both recordings of the call")
	// Output: 92186 bytes for both recordings of the call
}

func ExampleClient_RecordingListenLink() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	link, err := c.RecordingListenLink(context.Background(), avayatest.DocumentedRecording1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(link.Path, link.Query().Get("id"))
	// Output: /extlisten/recording/index.html 83849370-5753-4186-9fc5-9c069e615734
}

func ExampleClient_CallRecordings() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	recs, _ := c.CallRecordings(context.Background(), avayatest.DocumentedCall)
	for _, r := range recs {
		fmt.Println(r.StartTime.Format(time.RFC3339), r.Duration, r.Status)
	}
	// Output:
	// 2019-09-17T15:49:05Z 48.974s SAVED
	// 2019-09-17T17:00:43Z 59.347s SAVED
}

func ExampleClient_Recordings() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	day := time.Date(2019, 9, 17, 0, 0, 0, 0, time.UTC)
	recs, _ := c.Recordings(context.Background(), day, day.Add(24*time.Hour))
	fmt.Println(len(recs), "recordings on", day.Format("2006-01-02"))
	// Output: 2 recordings on 2019-09-17
}

func ExampleClient_RunReport() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	mdt := time.FixedZone("MDT", -6*60*60)
	from := time.Date(2019, 9, 9, 0, 0, 0, 0, mdt)
	rep, err := c.RunReport(context.Background(), avayatest.AgentTalkingSummary,
		avaya.TimeframeParam("Report Timeframe", from, from.Add(48*time.Hour-time.Second)),
		avaya.PBXUsersParam("Rows (Agent)", "Agent1(200)"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range rep.Table() {
		fmt.Printf("%-12s %-14s %s\n", line[0], line[4], line[5])
	}
	cell, _ := rep.Cell(0, "Avg Talking")
	avg, _ := cell.Value.Duration()
	fmt.Println("average talking:", avg.Round(time.Second))
	// Output:
	// Agent        Total Calls    Total Talking
	// Agent1(200)  14             3:31:13
	// average talking: 30m10s
}

func ExampleClient_PauseRecording() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	ctx := context.Background()

	state, _ := c.PauseRecording(ctx, "Nate Thatcher(123)") // while the card number is read out
	fmt.Println(state)
	state, _ = c.ResumeRecording(ctx, "nthatcher")
	fmt.Println(state)
	// Output:
	// PAUSED
	// RECORDING
}

func ExampleClient_AgentMapping() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	m, _ := c.AgentMapping(context.Background())
	fmt.Println(m["nthatcher"])
	// Output: Nate Thatcher (123)
}

func ExampleClient_Archive() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	dir, _ := osTempDir()
	defer removeAll(dir)

	day := time.Date(2019, 9, 17, 0, 0, 0, 0, time.UTC)
	res, err := c.Archive(context.Background(), day, day.Add(24*time.Hour), dir, avaya.ArchiveOptions{Format: avaya.WAV})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Line())
	res, _ = c.Archive(context.Background(), day, day.Add(24*time.Hour), dir, avaya.ArchiveOptions{Format: avaya.WAV})
	fmt.Println(res.Line())
	// Output:
	// [2/2] 2 downloaded, 0 skipped, 0 failed, 0.8 MiB
	// [2/2] 0 downloaded, 2 skipped, 0 failed, 0.0 MiB
}

func ExampleParseKey() {
	uuid, start, _ := avaya.ParseKey("89e08e9f-a2aa-4059-9f93-1f53e3719431-1568754442049")
	fmt.Println(uuid, start.Format(time.RFC3339Nano))
	// Output: 89e08e9f-a2aa-4059-9f93-1f53e3719431 2019-09-17T21:07:22.049Z
}
