package thulium_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/benchutil"
	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
)

// pageServer answers pages of 100 distinct rows, pre-encoded, until total
// rows have been served, so the server itself allocates next to nothing
// and the heap figures belong to the client.
func pageServer(b *testing.B, total int) *httptest.Server {
	b.Helper()
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := thuliumtest.Report(from, from.AddDate(0, 0, total/2-1), thulium.ByDay, []string{"jkowalski", "anowak"}, nil, 20)
	var pages [][]byte
	for i := 0; i < len(rows); i += 100 {
		page, err := json.Marshal(rows[i:min(i+100, len(rows))])
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, page)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		w.Header().Set("Content-Type", "application/json")
		if offset >= total || offset%100 != 0 {
			_, _ = w.Write([]byte("[]"))
			return
		}
		_, _ = w.Write(pages[offset/100])
	}))
	b.Cleanup(srv.Close)
	return srv
}

func baselinePage(ctx context.Context, hc *http.Client, url string) ([]thulium.SummaryRow, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("api_user", "api_pass")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var rows []thulium.SummaryRow
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
		return nil, err
	}
	// Drain to EOF as the SDK does, so the connection is reused.
	_, err = io.Copy(io.Discard, resp.Body)
	return rows, err
}

func benchQuery() thulium.SummaryQuery {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return thulium.SummaryQuery{From: from, To: from.AddDate(0, 0, 49), AggregateBy: thulium.ByDay, UserLogins: []string{"jkowalski", "anowak"}}
}

// BenchmarkPage decodes one 100-row page: the SDK beside a hand-written
// net/http + encoding/json call into the same row type.
func BenchmarkPage(b *testing.B) {
	srv := pageServer(b, 100)
	ctx := context.Background()
	c, err := thulium.NewClient(srv.URL+"/api/", contactkit.BasicAuth{User: "api_user", Password: "api_pass"}, thulium.WithHTTPClient(srv.Client()), thulium.WithLocation(time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	q := benchQuery()
	url := srv.URL + "/api/chats/reports/summary?user_logins[]=jkowalski&user_logins[]=anowak&date_from=2024-01-01+00%3A00%3A00&date_to=2024-02-19+00%3A00%3A00&aggregate_by=day"
	sdk := func() error {
		rows, err := c.ChatReportSummary(ctx, q)
		if err == nil && len(rows) != 100 {
			err = fmt.Errorf("%d rows", len(rows))
		}
		return err
	}
	base := func() error {
		rows, err := baselinePage(ctx, srv.Client(), url)
		if err == nil && len(rows) != 100 {
			err = fmt.Errorf("%d rows", len(rows))
		}
		return err
	}
	b.Run("baseline", func(b *testing.B) { benchutil.Loop(b, base) })
	b.Run("sdk", func(b *testing.B) { benchutil.Loop(b, sdk) })
	b.Run("ratio", func(b *testing.B) { benchutil.Ratio(b, sdk, base) })
}

// BenchmarkIterate10k walks 10,000 rows over 100 pages with
// AllChatReportSummary beside a baseline that collects every page into
// one slice, in turn (alternating which goes first), and reports the
// time and peak heap growth of each.
func BenchmarkIterate10k(b *testing.B) {
	const total = 10_000
	srv := pageServer(b, total)
	ctx := context.Background()
	c, err := thulium.NewClient(srv.URL+"/api/", contactkit.BasicAuth{User: "api_user", Password: "api_pass"}, thulium.WithHTTPClient(srv.Client()), thulium.WithLocation(time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	sdk := func(sample func()) error {
		n := 0
		for _, err := range c.AllChatReportSummary(ctx, benchQuery()) {
			if err != nil {
				return err
			}
			if n++; n%100 == 0 {
				sample()
			}
		}
		if n != total {
			return fmt.Errorf("%d rows", n)
		}
		return nil
	}
	baseline := func(sample func()) error {
		var all []thulium.SummaryRow
		for offset := 0; ; offset += 100 {
			rows, err := baselinePage(ctx, srv.Client(), srv.URL+"/api/chats/reports/summary?limit=100&offset="+strconv.Itoa(offset))
			if err != nil {
				return err
			}
			all = append(all, rows...)
			sample()
			if len(rows) < 100 {
				break
			}
		}
		if len(all) != total {
			return fmt.Errorf("%d rows", len(all))
		}
		return nil
	}
	b.ReportAllocs()
	benchutil.PeakRatio(b, sdk, baseline)
}
