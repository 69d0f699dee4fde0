// Package salesforce implements jtel's writeCallStatistics: after each
// call the jtel ACD POSTs one JSON record per line of call data (several
// per call) to a REST endpoint, typically in Salesforce, and reads the
// status code to decide whether to send the record again.
//
// Both sides are here:
//
//   - Record is the typed record (bOutbound as bool, jtel-local times,
//     nDuration with -1 for "no connection", CONNRES and the Q.850 cause as
//     named constants). GroupCalls folds the records of one call into a
//     CallSummary: agents tried, who answered, groups, transaction codes.
//   - NewHandler is the receiving side, an http.Handler around your
//     function. It answers exactly the documented codes: 200 written, 409
//     conflict and 404 record not found (jtel does not resend), 423 locked
//     (jtel resends). Any other failure of your function, and any panic,
//     answers 423 too, so that jtel sends again and no record is lost.
//   - Sender posts records the way jtel does, with the documented
//     retransmission rules: 423, connection errors and 502/503/504 are
//     resent with backoff until success or the context ends; 409 and 404
//     are final.
//
// In the product jtel is the HTTP client and the customer's system the
// server. Package salesforcetest provides a scripted endpoint for tests.
package salesforce
