// Package thulium is a client for the Thulium REST API's chat report
// summary (GET chats/reports/summary): counts of incoming, answered and
// abandoned chats, chat and wait times, service level and ratings, per
// user and per period.
//
// A Thulium system lives at https://<system-name>.thulium.com/api/ and
// authenticates an API user with HTTP Basic:
//
//	c, err := thulium.NewSystemClient("acme", contactkit.BasicAuth{
//		User: os.Getenv("THULIUM_USER"), Password: os.Getenv("THULIUM_PASSWORD")})
//
//	q := thulium.SummaryQuery{From: from, To: to, AggregateBy: thulium.ByDay, UserLogins: []string{"jkowalski"}}
//	for row, err := range c.AllChatReportSummary(ctx, q) { ... } // pages of 100 via offset
//
// AllChatReportSummary pages with limit and offset until a short page. A
// server that ignores offset (the same page again) ends it with a
// *RepeatedPageError rather than an endless loop; one that sends more
// rows than the limit loses and repeats nothing. SummaryRow keeps fields
// this SDK does not know (also inside chat_time, wait_time and rating) in
// its Unknown maps and writes them back when encoded.
//
// Dates go on the wire without a zone ("2019-11-01 11:12:00"). Thulium
// does not document which zone it assumes; the client writes them in the
// system's zone, Europe/Warsaw unless WithLocation says otherwise, since
// Thulium systems are Poland-based.
//
// Errors come back as Thulium's {"request_id", "errors": [...]} body: the
// *contactkit.APIError carries the request id (what Thulium support asks
// for) and every message in Details; match it with errors.Is against the
// contactkit sentinels (contactkit.ErrUnauthorized, ...).
// WithLanguage(thulium.Polish) asks for Polish messages. A call that gets
// no response headers, or no body bytes, within WithResponseTimeout
// (30 s by default) fails with contactkit.ErrTimeout.
//
// Package thuliumtest provides an in-memory Thulium server for tests and
// examples.
package thulium
