// Package contactkit is a Go SDK for contact-center platform APIs. Each
// API lives in its own package:
//
//   - acd: the jtel ACD REST API's events (voice mails, callbacks,
//     tickets, ...), with a streaming list.
//   - thulium: Thulium's chat report summary, with offset paging.
//   - avaya: Avaya Call Reporting / Xima Chronicall: recordings, historic
//     reports, agents and realtime metrics.
//   - webchat: the Xima web chat cloud service and its SQS message queues.
//   - chatexport: jtel's chat report export (PDF transcript, template
//     variables, two-phase post) and its receiving side.
//   - salesforce: jtel's writeCallStatistics records, receiver and sender.
//
// This root package holds what they share, once: the error types and
// sentinels, the retry policy and the credential types. They live here,
// as aws-sdk-go-v2 keeps its shared types in package aws and stripe-go in
// package stripe, so that go doc shows their fields, an errors.Is written
// against one API works against every other, and no package re-exports
// another's names.
//
// # The shape of every client
//
// Credentials an API requires are a constructor argument, so they cannot
// be forgotten:
//
//	jtel, err := acd.NewClient(baseURL, contactkit.StaticToken(token))
//	thu, err := thulium.NewClient(baseURL, contactkit.BasicAuth{User: u, Password: p})
//	cr, err := avaya.NewClient(baseURL, contactkit.TokenFunc(vault.ServiceKey))
//
// Options are typed per package (acd.Option does not compile in
// thulium.NewClient) but have the same names everywhere: WithHTTPClient,
// WithUserAgent, WithLogger, WithRetry, WithoutRetry,
// WithMaxResponseBytes, WithResponseTimeout and WithTransportWrapper,
// plus each API's own. Calls take a context first.
//
// # What every client promises
//
//   - One request path: REST calls, the Avaya websocket dial, the per-chat
//     clients and the SQS client all go through the same stack, so the
//     User-Agent, logger, timeouts, redaction and a tracing wrapper apply
//     to all of them. Each request's context carries OperationName.
//   - No call hangs without a deadline: each attempt must see response
//     headers, and each body read its next bytes, within
//     DefaultResponseTimeout (30 s) unless WithResponseTimeout says
//     otherwise; errors.Is(err, ErrTimeout) matches.
//   - Safe retries: calls that may be repeated retry connection errors,
//     429, 502, 503 and 504 with jittered backoff; calls that create
//     something are never resent once they may have arrived. Retry-After is
//     clamped to [RetryPolicy.MinWait, RetryPolicy.MaxWait]. Credentials
//     are applied on every attempt (a TokenFunc is asked each time) and
//     only sent to the client's own host.
//   - Secrets never logged: every credential the client was given or
//     fetched, and every key a request carries, is removed by value from
//     logs and errors, in plain, JSON-escaped, URL-escaped and base64 form,
//     before any body is cut; secret-named fields are removed by name.
//   - Bad input is a *ValidationError before any request (path parameters
//     that are empty, "." or ".." included); every non-success answer is
//     an *APIError; a body that cannot be decoded is a *DecodeError.
//   - Unknown fields survive: a value decoded and re-encoded keeps what a
//     newer server added.
//
// Each package ships a fake server in its <pkg>test package for your own
// tests. Start with the tour, which runs every package against the fakes:
//
//	go run ./examples/quickstart
package contactkit
