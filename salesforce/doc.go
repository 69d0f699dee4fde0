// Package salesforce implements jtel's writeCallStatistics: after each
// call the jtel ACD POSTs one JSON record per line of call data (several
// per call) to a REST endpoint, typically in Salesforce, and reads the
// status code to decide whether to send the record again.
//
// Both sides are here:
//
//   - Record is the typed record (bOutbound as bool, jtel-local times,
//     nDuration with -1 for "no connection", CONNRES and the Q.850 cause as
//     named constants). It is read leniently where the document leaves
//     room (numbers in any notation, times with or without a zone,
//     Windows-1252 names) and keeps the fields the document does not list
//     in Record.Unknown, encoding them back unchanged. GroupCalls folds the
//     records of one call into a CallSummary: agents tried, who answered,
//     groups, transaction codes.
//   - NewHandler is the receiving side, an http.Handler around your
//     function. It answers exactly the documented codes: 200 written, 409
//     conflict and 404 record not found (jtel does not resend), 423 locked
//     (jtel resends). Your function picks them by returning nil,
//     contactkit.ErrConflict, contactkit.ErrNotFound or
//     contactkit.ErrLocked; any other failure of your function, and any
//     panic, answers 423 too, so that jtel sends again and no record is
//     lost. A body is read whatever its Content-Type; one that cannot be
//     read at all goes to a hook (HandlerUnreadable; by default it is
//     logged without credentials) and is answered 423. The handler never
//     answers 400, which is not in jtel's table.
//   - Sender posts records the way jtel does, with the documented
//     retransmission rules: 423, connection errors, timed-out attempts and
//     429/502/503/504 are resent, at least RetryPolicy.MinWait apart
//     whatever Retry-After says, until success, the policy's MaxAttempts
//     or the end of the context; 409 and 404 are final. The bearer token
//     (a contactkit.TokenSource) is fetched for every attempt.
//
// In the product jtel is the HTTP client and the customer's system the
// server. Package salesforcetest provides a scripted endpoint for tests;
// examples/salesforce is a receiver with the timeouts, limits and
// graceful shutdown a production endpoint needs.
package salesforce
