// Package webservice receives the requests of Avaya Call Reporting's Web
// Service Integration (section 7.0 of the API document): when a call
// finishes and meets the profile's criteria, the Call Reporting server
// sends a GET or POST to the profile's Target URL with the URL parameters
// and HTTP headers an admin configured, carrying data of the call.
//
// The document's use cases are "push a recording link to Salesforce each
// time a phone call is recorded" and "notify another system (like a CRM)
// to create a record each time a phone call finishes". A Receiver is the
// http.Handler for that URL: it checks a shared secret sent in a custom
// header (configure one in the profile: "X-Avaya-Secret: <long random
// value>"), answers at once, and hands each request to your function on a
// bounded queue with a fixed pool of workers, so Avaya is never kept
// waiting and a burst never grows goroutines or memory without bound.
//
//	rc, err := webservice.New("X-Avaya-Secret", os.Getenv("AVAYA_WS_SECRET"),
//		func(ctx context.Context, r *webservice.Request) error {
//			key, err := r.CallKey()
//			if err != nil {
//				return err // logged; a *ParamError is not retried
//			}
//			link, err := client.CallListenLink(ctx, key)
//			...
//		})
//	srv := webservice.NewServer(":8080", rc, nil)
//	go srv.ListenAndServe()
//	...
//	srv.Shutdown(ctx) // no new requests
//	rc.Shutdown(ctx)  // finish the queued ones
//
// The parameter names are the admin's choice, so Request keeps them all
// (Params) and its typed helpers read the commonly sent values under the
// names set with WithNames: CallKey, RecordingKey, StartTime, EndTime,
// Duration, Extension, Agent, Caller, Callee and Direction. Times and
// durations are read leniently (ParseTime, ParseDuration); a value that
// cannot be read is a *ParamError naming the parameter.
//
// avayatest.WebServiceProfile sends what Avaya's profile sends, for tests.
package webservice
