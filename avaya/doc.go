// Package avaya is a client for the Avaya Call Reporting (Xima Chronicall)
// REST API: recording audio and listen links, recording records, historic
// reports, pausing and resuming an agent's recording, and realtime metrics
// (values and a websocket subscription).
//
// Every call authenticates with a service user key (Authorization:
// Bearer; the websocket's auth_token parameter), a constructor argument,
// and sees what that service user may see in Call Reporting:
//
//	c, err := avaya.NewClient("http://10.0.0.101:9080", contactkit.StaticToken(os.Getenv("AVAYA_TOKEN")))
//
//	audio, err := c.RecordingAudio(ctx, key, avaya.WAV) // streamed, never buffered
//	defer audio.Body.Close()
//	rep, err := c.RunReport(ctx, reportUUID, avaya.TimeframeParam("Report Timeframe", from, to))
//	state, err := c.PauseRecording(ctx, "Nate Thatcher(203)")
//	for u, err := range c.Subscribe(ctx, metricIDs, avaya.SubscribeOptions{}) { ... }
//
// Errors are the shared ones of the root package: errors.Is(err,
// contactkit.ErrNotFound), errors.As(err, &apiErr) with a
// *contactkit.APIError, *contactkit.ValidationError for bad input (an
// empty, "." or ".." agent id or key) before anything is sent. Call
// Reporting answers 400 for a bad format or malformed report request, 401
// for a bad key, 403 when the service user may not see the recording,
// call, agent or data, 404 for an unknown key or agent; the cloud edition
// adds 429 (one audio request per 3 s, waited out by the retry policy)
// and 509 (contactkit.ErrEgressLimit, not retried).
//
// Every request, the websocket handshake included, goes through one HTTP
// stack, so WithHTTPClient, WithUserAgent, WithLogger,
// WithTransportWrapper and WithResponseTimeout apply everywhere. One
// policy (WithRetry) spaces every wait: retries, websocket redials, the
// historic report's 202 polls and WaitForMetricValues; the two poll loops
// stop after MaxPolls with ErrNotReady.
//
// Archive copies every recording of a time frame into a directory with
// bounded concurrency, size checks (SPX against the listing, WAV against
// its own RIFF header and Content-Length), atomic renames,
// resumption of broken downloads (HTTP Range) and of earlier runs.
//
// Package avayatest provides an in-memory Call Reporting server for tests
// and examples.
package avaya
