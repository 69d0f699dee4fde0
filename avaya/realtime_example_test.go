package avaya_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
)

func ExampleClient_Metrics() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	ms, _ := c.Metrics(context.Background())
	fmt.Println(ms[0].ID, ms[0].Name, ms[0].CategoryType)
	// Output: K0FLAEB6 Calls in Queue NONE
}

func ExampleClient_MetricValues() {
	srv := avayatest.NewServer()
	defer srv.Close()
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	ctx := context.Background()

	v, err := c.MetricValues(ctx, avayatest.MetricAgentAvailable) // first ask: still initializing (206)
	fmt.Println(err, len(v.Results), "ready,", len(v.Initializing), "initializing")

	v, err = c.WaitForMetricValues(ctx, avayatest.MetricAgentAvailable)
	fmt.Println(err, len(v.Results), "ready,", len(v.Initializing), "initializing")
	// Output:
	// <nil> 0 ready, 2 initializing
	// <nil> 2 ready, 0 initializing
}

func ExampleMetricValue_DurationAt() {
	v := avaya.MetricValue{
		Type:             avaya.DurationValue,
		LastUpdateTime:   time.Date(2018, 9, 24, 13, 17, 35, 661e6, time.FixedZone("", -6*3600)),
		FinishedDuration: 20521, NumCountingUp: 2, NumCountingDown: 1,
	}
	d, _ := v.DurationAt(v.LastUpdateTime.Add(10 * time.Second))
	fmt.Println(d) // 20521 ms + (2-1) x 10000 ms
	// Output: 30.521s
}

func ExampleClient_Subscribe() {
	srv := avayatest.NewServer()
	defer srv.Close()
	srv.InitDelay(0)
	c, _ := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	board := avaya.NewBoard()
	for u, err := range c.Subscribe(ctx, []string{avayatest.MetricCallsInQueue}, avaya.SubscribeOptions{}) {
		if err != nil {
			fmt.Println(errors.Is(err, context.DeadlineExceeded))
			return
		}
		board.Apply(u.MetricResult)
		if !u.Snapshot {
			break // one live update is enough for the example
		}
	}
	v, _ := board.Get(avaya.MetricKey{MetricID: avayatest.MetricCallsInQueue})
	fmt.Println(v.Type)
	// Output: COUNT
}
