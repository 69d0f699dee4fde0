package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
)

// The receiving side: your function decides the answer jtel gets.
func ExampleNewHandler() {
	written := 0
	h, err := salesforce.NewHandler(func(_ context.Context, r *salesforce.Record) error {
		if r.SalesForceID == "" {
			return contactkit.ErrNotFound // 404: jtel does not resend
		}
		written++
		return nil // 200
	}, salesforce.RequireBearer("token-from-your-secrets"),
		salesforce.HandlerUnreadable(func(_ context.Context, body []byte, err error) error {
			var ve *contactkit.ValidationError
			if errors.As(err, &ve) {
				fmt.Printf("kept for inspection: %s (field %s: %s)\n", body, ve.Field, ve.Reason)
			}
			return contactkit.ErrLocked // 423: jtel sends it again
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	post := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/writeCallStatistics", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer token-from-your-secrets")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	fmt.Println(post(`{"SalesForceID":"0035g00000ABCDeAAF","jtelStatisticsPartAID":1,"bOutbound":0,"dtCallStart":"2024-05-06T09:30:00","nDuration":180,"CONNRES":1,"Cause":16}`))
	fmt.Println(post(`{"SalesForceID":"","jtelStatisticsPartAID":2}`))
	fmt.Println(post(`{"SalesForceID":"0035g00000ABCDfAAF","jtelStatisticsPartAID":3,"dtCallStart":"2024-05-06T09:30:00+02:00","nDuration":12.0,"Queue":"de"}`))
	fmt.Println(post(`{"bOutbound":"maybe"}`))
	fmt.Println(written, "written")
	// Output:
	// 200
	// 404
	// 200
	// kept for inspection: {"bOutbound":"maybe"} (field bOutbound: want 0 or 1)
	// 423
	// 2 written
}

// The sending side, as jtel behaves: 423 is sent again until written.
func ExampleSender_Send() {
	srv := salesforcetest.NewServer()
	defer srv.Close()
	srv.Script(423, 200)

	s, _ := salesforce.NewSender(srv.URL(), contactkit.StaticToken(srv.Token),
		salesforce.WithRetry(contactkit.RetryPolicy{MaxAttempts: 5, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}))
	r := salesforcetest.DocumentedCall(4711, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC))[2]
	err := s.Send(context.Background(), &r)
	fmt.Println(err, len(srv.Deliveries()), "deliveries")

	srv.Script(409)
	err = s.Send(context.Background(), &r)
	fmt.Println(errors.Is(err, contactkit.ErrConflict))
	// Output:
	// <nil> 2 deliveries
	// true
}

func ExampleNewSender() {
	s, err := salesforce.NewSender("https://acme.my.salesforce.com/services/apexrest/jtel/writeCallStatistics",
		contactkit.TokenFunc(func(context.Context) (string, error) {
			return "fresh OAuth access token", nil // asked again for every attempt
		}),
		salesforce.WithResponseTimeout(10*time.Second))
	fmt.Println(s != nil, err)
	// Output: true <nil>
}

func ExampleGroupCalls() {
	records := salesforcetest.DocumentedCall(4711, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC))
	for _, c := range salesforce.GroupCalls(records) {
		fmt.Println(c.StatisticsPartAID, c.AgentsTried, "answered by", c.AnsweredBy)
		fmt.Println(c.Groups, c.TransactionCodes, c.TalkDuration)
	}
	// Output:
	// 4711 [agent.w agent.x agent.y agent.z] answered by agent.y
	// [ACD Group 1 ACD Group 2] [AAA BBB CCC] 6m0s
}

func ExampleRecord_Connected() {
	r := salesforce.Record{DurationSeconds: salesforce.NoConnection, Result: salesforce.Busy, Cause: salesforce.CauseUserBusy}
	fmt.Println(r.Connected(), r.Result, "-", r.Cause)
	// Output: false Busy - user busy
}
