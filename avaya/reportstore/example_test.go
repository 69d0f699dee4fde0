package reportstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/reportstore"
)

// Export the documented Agent Talking Summary day by day; a second run
// continues where the first stopped.
func ExampleExporter_Run() {
	srv := avayatest.NewServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "reports")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	client, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token))
	if err != nil {
		panic(err)
	}
	db, err := reportstore.Open(ctx, filepath.Join(dir, "reports.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	may1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	exp, err := reportstore.New(ctx, db, client, reportstore.Config{
		ReportKey: avayatest.AgentTalkingSummary, Start: may1, Window: 24 * time.Hour,
	})
	if err != nil {
		panic(err)
	}
	for _, until := range []time.Time{may1.AddDate(0, 0, 2), may1.AddDate(0, 0, 3)} {
		p, err := exp.Run(ctx, until)
		if err != nil {
			panic(err)
		}
		fmt.Printf("stored %d windows, next %s\n", p.Windows, p.Next.Format("2006-01-02"))
	}
	var agent, talk string
	var ms int64
	_ = db.QueryRow(`SELECT agent, total_talking_ms, total_talking_text FROM `+exp.Table()+` LIMIT 1`).Scan(&agent, &ms, &talk)
	fmt.Println(exp.Table()+":", agent, ms, talk)
	// Output:
	// stored 2 windows, next 2024-05-03
	// stored 1 windows, next 2024-05-04
	// avaya_report_5b0b4bd4: Agent1(200) 12673424 3:31:13
}
