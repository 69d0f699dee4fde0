// Package thulium is a client for the Thulium REST API's chat report
// summary (GET chats/reports/summary): counts of incoming, answered and
// abandoned chats, chat and wait times, service level and ratings, per
// user and per period.
//
// A Thulium system lives at https://<system-name>.thulium.com/api/ and
// authenticates an API user with HTTP Basic:
//
//	c, err := thulium.NewSystemClient("acme",
//		thulium.WithBasicAuth(os.Getenv("THULIUM_USER"), os.Getenv("THULIUM_PASSWORD")))
//
//	q := thulium.SummaryQuery{From: from, To: to, AggregateBy: thulium.ByDay, UserLogins: []string{"jkowalski"}}
//	for row, err := range c.AllChatReportSummary(ctx, q) { ... } // pages of 100 via offset
//
// Dates go on the wire without a zone ("2019-11-01 11:12:00"). Thulium
// does not document which zone it assumes; the client writes them in the
// system's zone, Europe/Warsaw unless WithLocation says otherwise, since
// Thulium systems are Poland-based.
//
// Errors come back as Thulium's {"request_id", "errors": [...]} body: the
// *APIError carries the request id (what Thulium support asks for) and
// every message. WithLanguage(thulium.Polish) asks for Polish messages.
//
// Package thuliumtest provides an in-memory Thulium server for tests and
// examples.
package thulium
