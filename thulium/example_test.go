package thulium_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
)

// The examples run against the in-process fake; for a real system use
// NewSystemClient("your-system-name", contactkit.BasicAuth{User: user, Password: password}).

func ExampleNewClient() {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	c, err := thulium.NewClient(srv.URL(), srv.Credentials(), thulium.WithLocation(time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Location())
	// Output: UTC
}

func ExampleNewSystemClient() {
	c, err := thulium.NewSystemClient("acme", contactkit.BasicAuth{User: "api_user", Password: "api_pass"}, thulium.WithLanguage(thulium.Polish))
	fmt.Println(c != nil, err)
	_, err = thulium.NewSystemClient("acme.thulium.com", contactkit.BasicAuth{User: "api_user", Password: "api_pass"})
	fmt.Println(err)
	// Output:
	// true <nil>
	// contactkit: invalid system: must be a Thulium system name such as acme (lower-case letters, digits, hyphens)
}

func ExampleClient_ChatReportSummary() {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	c, _ := thulium.NewClient(srv.URL(), srv.Credentials(), thulium.WithLocation(time.UTC))

	rows, err := c.ChatReportSummary(context.Background(), thulium.SummaryQuery{
		From:        time.Date(2021, 10, 1, 0, 0, 0, 0, time.UTC),
		To:          time.Date(2021, 12, 31, 23, 59, 59, 0, time.UTC),
		AggregateBy: thulium.ByMonth,
		SumUsers:    true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		month, _ := r.SeriesStart(thulium.ByMonth, time.UTC)
		fmt.Printf("%s: %d incoming, %d answered\n", month.Format("January 2006"), r.Incoming, r.Answered)
	}
	// Output:
	// October 2021: 31 incoming, 29 answered
	// November 2021: 10 incoming, 10 answered
	// December 2021: 37 incoming, 37 answered
}

func ExampleClient_AllChatReportSummary() {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	c, _ := thulium.NewClient(srv.URL(), srv.Credentials(), thulium.WithLocation(time.UTC))

	q := thulium.SummaryQuery{
		From:        time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		To:          time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC),
		AggregateBy: thulium.ByDay,
		UserLogins:  []string{"jkowalski", "anowak"},
	}
	rows, answered := 0, 0
	for r, err := range c.AllChatReportSummary(context.Background(), q) {
		if err != nil {
			fmt.Println(err)
			return
		}
		rows++
		answered += r.Answered
	}
	fmt.Println(rows, "rows in", len(srv.Requests()), "pages;", answered > 0)
	// Output: 732 rows in 8 pages; true
}

func ExampleSummaryRow_SeriesStart() {
	r := thulium.SummaryRow{Series: "2021-W49"}
	week, _ := r.SeriesStart(thulium.ByWeek, time.UTC)
	fmt.Println(week.Format("Monday 2006-01-02"))
	// Output: Monday 2021-12-06
}

func ExampleWithLanguage() {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	c, _ := thulium.NewClient(srv.URL(), contactkit.BasicAuth{User: srv.User, Password: "wrong"}, thulium.WithLanguage(thulium.Polish), thulium.WithLocation(time.UTC))
	_, err := c.ChatReportSummary(context.Background(), thulium.SummaryQuery{From: time.Unix(0, 0), To: time.Unix(86400, 0)})
	var apiErr *contactkit.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
	}
	// Output: 401 Brak autoryzacji
}
