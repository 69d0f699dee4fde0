package wallboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/wallboard"
)

// A wallboard and a web-site widget for two metrics, fed by one
// subscription. Browsers open /; a site embeds the widget with
// <script src="https://board.example.com/board/widget.js" async></script>;
// a poller reads /snapshot.json, as here.
func Example() {
	fake := avayatest.NewServer() // a real server: its URL, and the key from the environment
	defer fake.Close()
	fake.InitDelay(0)
	fake.FreezeRealtime()
	c, _ := avaya.NewClient(fake.URL(), contactkit.StaticToken(fake.Token))

	h, err := wallboard.New(c, wallboard.Config{
		Title: "Support line",
		Metrics: []wallboard.Metric{
			{ID: avayatest.MetricCallsInQueue, Amber: 5, Red: 10, Widget: "{value} calls in queue"},
			{ID: avayatest.MetricLongestWait, Label: "Current Wait", Amber: 60, Red: 180, Widget: "Current wait {value}"},
		},
		AllowOrigins: []string{"https://www.example.com"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	mux := http.NewServeMux()
	mux.Handle("/board/", http.StripPrefix("/board", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var snap struct {
		State   string
		Metrics []struct{ Label string }
		Values  []avaya.MetricResult
	}
	for snap.State != wallboard.StateConnected || len(snap.Values) < 2 {
		time.Sleep(10 * time.Millisecond)
		resp, err := http.Get(srv.URL + "/board/snapshot.json")
		if err != nil {
			fmt.Println(err)
			return
		}
		_ = json.NewDecoder(resp.Body).Decode(&snap)
		resp.Body.Close()
	}
	fmt.Println(snap.State, len(snap.Values), "values")
	for _, m := range snap.Metrics {
		fmt.Println(m.Label)
	}
	// Output:
	// connected 2 values
	// Calls in Queue
	// Current Wait
}
