// Package contactkit is a Go SDK for contact-center platform APIs. This
// root package holds no code; each API lives in its own package:
//
//   - acd: the jtel ACD REST API's AcdEvents (voice mails, callbacks,
//     tickets, ...), with a streaming list.
//   - thulium: Thulium's chat report summary, with offset paging.
//   - avaya: Avaya Call Reporting / Xima Chronicall: recordings, historic
//     reports, agents and realtime metrics.
//   - webchat: the Xima web chat cloud service and its SQS message queues.
//   - chatexport: jtel's chat report export (PDF transcript, template
//     variables, two-phase post) and its receiving side.
//   - salesforce: jtel's writeCallStatistics records, receiver and sender.
//
// Every package has the same shape: NewClient(baseURL, opts...) with the
// options WithHTTPClient, WithUserAgent, WithLogger, WithRetry,
// WithoutRetry and WithMaxResponseBytes plus the API's auth option; calls
// take a context first; bad input is a *ValidationError before any
// request; every non-success answer is an *APIError that errors.Is matches
// against ErrNotFound and friends. Each package ships a fake server in its
// <pkg>test package for your own tests.
//
// Start with the tour, which runs every package against the fakes:
//
//	go run ./examples/quickstart
package contactkit
