package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
	"github.com/contactkit/contactkit/salesforce/sqlstore"
)

// The receiver stores each record once: the documented call's five
// records, each delivered twice, are five rows and one call.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "callstats")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(dir, "callstats.db")) // or "postgres://user@host/db"
	if err != nil {
		panic(err)
	}
	defer db.Close()
	store, err := sqlstore.New(ctx, db)
	if err != nil {
		panic(err)
	}
	h, err := salesforce.NewHandler(store.Write, salesforce.HandlerUnreadable(store.Unreadable))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	for range 2 {
		for _, r := range salesforcetest.DocumentedCall(4711, time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)) {
			body, _ := json.Marshal(r)
			resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
			if err != nil {
				panic(err)
			}
			resp.Body.Close()
		}
	}
	n, _ := store.Count(ctx)
	calls, _ := store.Calls(ctx, sqlstore.CallQuery{})
	fmt.Println("records:", n)
	for _, c := range calls {
		fmt.Printf("call %d: %d records, answered by %s, codes %v\n", c.StatisticsPartAID, c.Records, c.AnsweredBy, c.TransactionCodes)
	}
	// Output:
	// records: 5
	// call 4711: 5 records, answered by agent.y, codes [AAA BBB CCC]
}
