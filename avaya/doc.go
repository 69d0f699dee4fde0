// Package avaya is a client for the Avaya Call Reporting (Xima Chronicall)
// REST API: recording audio and listen links, recording records, historic
// reports, and pausing and resuming an agent's recording.
//
// Every call authenticates with a service user key (Authorization:
// Bearer), and sees what that service user may see in Call Reporting:
//
//	c, err := avaya.NewClient("http://10.0.0.101:9080", avaya.WithToken(os.Getenv("AVAYA_TOKEN")))
//
//	audio, err := c.RecordingAudio(ctx, key, avaya.WAV) // streamed, never buffered
//	defer audio.Body.Close()
//	rep, err := c.RunReport(ctx, reportUUID, avaya.TimeframeParam("Report Timeframe", from, to))
//	state, err := c.PauseRecording(ctx, "Nate Thatcher(203)")
//
// Archive copies every recording of a time frame into a directory with
// bounded concurrency, atomic writes and resumption.
//
// Package avayatest provides an in-memory Call Reporting server for tests
// and examples.
package avaya
