// Package acd is a client for the jtel ACD REST API's AcdEvents: voice
// mails, faxes, callback requests, SMS, emails and tickets that the ACD
// distributes to agents.
//
// A client works on one client account. Its base URL carries the
// account's ClientsID, https://host:port/rest/v1.0/{ClientsID}, and every
// call authenticates with a jtel API token (Authorization: Bearer):
//
//	c, err := acd.NewAccountClient("https://jtel.example.com:8443", "1001",
//		contactkit.StaticToken(os.Getenv("JTEL_TOKEN")),
//		acd.WithLocation(berlin)) // jtel timestamps carry no zone
//
//	for ev, err := range c.AllEvents(ctx) { ... }   // streamed, one at a time
//	ev, err := c.GetEvent(ctx, 2039)
//	ev, err := c.CreateEvent(ctx, &acd.NewEvent{Type: acd.Callback, ...})
//
// Reads are retried on connection errors, 429, 502, 503 and 504. Creating
// an event is never repeated once the request may have reached jtel.
// Errors are the shared *contactkit.APIError, *contactkit.ValidationError
// and *contactkit.DecodeError; match them with errors.Is against the
// contactkit sentinels (contactkit.ErrNotFound, contactkit.ErrTimeout...).
//
// AllEvents streams: each record, and each envelope field it skips, is
// capped at WithMaxResponseBytes (contactkit.ErrTooLarge beyond), so a
// hostile or broken server cannot make it hold more. Event keeps the
// fields this SDK does not know in Event.Unknown and writes them back
// when encoded.
//
// Package acdtest provides an in-memory jtel server for tests and examples.
package acd
