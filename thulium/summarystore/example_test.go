package summarystore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/summarystore"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
)

// Export the chat report summary day by day, durations as seconds.
func ExampleExporter_Run() {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "chats")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	client, err := thulium.NewClient(srv.URL(), srv.Credentials(), thulium.WithLocation(time.UTC))
	if err != nil {
		panic(err)
	}
	db, err := summarystore.Open(ctx, filepath.Join(dir, "chats.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	exp, err := summarystore.New(ctx, db, client, summarystore.Config{
		AggregateBy: thulium.ByDay, Start: time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC),
		Query: thulium.SummaryQuery{UserLogins: []string{"jkowalski"}},
	})
	if err != nil {
		panic(err)
	}
	p, err := exp.Run(ctx, time.Date(2024, 12, 3, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Printf("stored %d windows\n", p.Windows)
	rows, err := db.Query(`SELECT series, user_name, incoming, chat_time_avg_s FROM thulium_chat_summary ORDER BY series`)
	if err != nil {
		panic(err)
	}
	defer rows.Close()
	for rows.Next() {
		var series, user string
		var incoming int
		var avg int64
		_ = rows.Scan(&series, &user, &incoming, &avg)
		fmt.Printf("%s %s: %d chats, %d s average\n", series, user, incoming, avg)
	}
	// Output:
	// stored 2 windows
	// 2024-12-01 J. Kowalski: 35 chats, 247 s average
	// 2024-12-02 J. Kowalski: 34 chats, 440 s average
}
