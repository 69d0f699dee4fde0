package webservice_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/webservice"
)

// The document's use case: when a call finishes, make an external listen
// link for it, for a CRM record. The fake Call Reporting server stands in
// for Avaya on both sides: its REST API makes the link, and its Web
// Service Integration profile sends the request.
func ExampleNew() {
	fake := avayatest.NewServer()
	defer fake.Close()
	client, err := avaya.NewClient(fake.URL(), contactkit.StaticToken(avayatest.DefaultToken))
	if err != nil {
		panic(err)
	}
	records := make(chan string, 1)
	rc, err := webservice.New("X-Avaya-Secret", "a-long-random-value", func(ctx context.Context, r *webservice.Request) error {
		key, err := r.CallKey()
		if err != nil {
			return err // a *ParamError: logged, not retried
		}
		link, err := client.CallListenLink(ctx, key)
		if err != nil {
			return err // logged, retried
		}
		start, _ := r.StartTime()
		d, _ := r.Duration()
		records <- fmt.Sprintf("call %s at %s for %v, agent %s (%s): %s", key.UUID(), start.UTC().Format("2006-01-02 15:04:05"),
			d, r.Agent(), r.Extension(), link.Path)
		return nil
	}, webservice.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(rc) // in production: webservice.NewServer(addr, rc, logger)

	profile := &avayatest.WebServiceProfile{
		TargetURL: srv.URL + "/avaya/call-finished", Method: http.MethodPost,
		Params:  avayatest.DefaultWebServiceParams(),
		Headers: http.Header{"X-Avaya-Secret": {"a-long-random-value"}},
	}
	call, _ := fake.FinishedCall(avayatest.DocumentedCall)
	res, err := profile.Send(context.Background(), call)
	if err != nil {
		panic(err)
	}
	fmt.Println("Avaya was answered", res.Status)

	srv.Close()                           // no new requests
	_ = rc.Shutdown(context.Background()) // finish the queued ones
	fmt.Println(<-records)
	// Output:
	// Avaya was answered 200
	// call 83849370-5753-4186-9fc5-9c069e615734 at 2019-09-17 15:49:05 for 1h12m37.693s, agent Nate Thatcher (123): /extlisten/call/index.html
}

// Times as Avaya may send them: epoch milliseconds (the API's own form),
// RFC 3339 with an offset, or a zone-less time in the server's zone.
func ExampleParseTime() {
	denver, _ := time.LoadLocation("America/Denver")
	for _, s := range []string{"1568735345298", "2019-09-09T00:00:00.000-06:00", "2019-09-09 00:00:00", "noon"} {
		t, err := webservice.ParseTime(s, denver)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(t.Format(time.RFC3339Nano))
	}
	// Output:
	// 2019-09-17T09:49:05.298-06:00
	// 2019-09-09T00:00:00-06:00
	// 2019-09-09T00:00:00-06:00
	// error: not a time: want epoch milliseconds (1568735345298), epoch seconds, RFC 3339 (2019-09-09T00:00:00.000-06:00), a zone-less local time (2019-09-09 00:00:00) or M/D/YYYY h:mm:ss AM
}

// Durations: milliseconds (the API's unit), a report's H:MM:SS, or units.
func ExampleParseDuration() {
	for _, s := range []string{"48974", "3:31:13", "1m30s", "48.974"} {
		d, err := webservice.ParseDuration(s)
		fmt.Println(d, err)
	}
	// Output:
	// 48.974s <nil>
	// 3h31m13s <nil>
	// 1m30s <nil>
	// 0s a bare number with a fraction is ambiguous: send milliseconds (48974) or a unit (48.974s)
}

// An admin named the parameters "cid" and "agent_ext": the typed helpers
// read them once told, and read "Call Key", "call_key" and the like alike.
func ExampleWithNames() {
	r := webservice.NewRequest(url.Values{
		"cid":       {"83849370-5753-4186-9fc5-9c069e615734-1568735345298"},
		"agent_ext": {"203"},
		"Start":     {"1568735345298"},
	}, webservice.Names{CallKey: "cid", Extension: "agentExt"}, nil)
	key, _ := r.CallKey()
	start, _ := r.StartTime()
	fmt.Println(key.UUID(), r.Extension(), start.UTC().Format(time.DateTime))
	_, err := r.Duration()
	fmt.Println(err)
	// Output:
	// 83849370-5753-4186-9fc5-9c069e615734 203 2019-09-17 15:49:05
	// webservice: parameter "duration" is missing or empty
}

// NewServer is an http.Server with the recommended limits for the receiver.
func ExampleNewServer() {
	rc, _ := webservice.New("X-Avaya-Secret", "a-long-random-value",
		func(context.Context, *webservice.Request) error { return nil })
	srv := webservice.NewServer(":8080", rc, nil)
	fmt.Println(srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	// go srv.ListenAndServe(); on SIGTERM: srv.Shutdown(ctx), then rc.Shutdown(ctx)
	_ = rc.Shutdown(context.Background())
	// Output:
	// 5s 10s 10s 1m0s
}
