package acdtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/acd"
	"github.com/contactkit/contactkit/acd/acdtest"
)

// A fake jtel server in a test: point the client at it, make it misbehave,
// and read what it received.
func ExampleNewServer() {
	srv := acdtest.NewServer()
	defer srv.Close()
	c, _ := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), acd.WithoutRetry())

	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err := c.ListEvents(context.Background())
	fmt.Println("first call:", errors.Is(err, contactkit.ErrServer))

	list, _ := c.ListEvents(context.Background())
	fmt.Println("second call:", list.Count, "events")

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Header.Get("Authorization"))
	}
	// Output:
	// first call: true
	// second call: 4 events
	// GET /rest/v1.0/1001/acd/events Bearer acdtest-token
	// GET /rest/v1.0/1001/acd/events Bearer acdtest-token
}

// GenerateEvents makes the list endpoint answer many synthetic events
// without holding them, for load and memory tests.
func ExampleServer_GenerateEvents() {
	srv := acdtest.NewServer(acdtest.WithoutSampleEvents())
	defer srv.Close()
	srv.GenerateEvents(10_000)
	c, _ := acd.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	n := 0
	for _, err := range c.AllEvents(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n++
	}
	fmt.Println(n, "events streamed")
	// Output: 10000 events streamed
}
