package summarystore_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/internal/sqltest"
	"github.com/contactkit/contactkit/thulium"
	"github.com/contactkit/contactkit/thulium/summarystore"
	"github.com/contactkit/contactkit/thulium/thuliumtest"
)

// TestMain stops the package's PostgreSQL cluster and checks for leaked
// goroutines (goleak).
func TestMain(m *testing.M) { sqltest.Main(m) }

var warsaw = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

var dec1 = time.Date(2024, 12, 1, 0, 0, 0, 0, warsaw)

func client(t *testing.T, srv *thuliumtest.Server, opts ...thulium.Option) *thulium.Client {
	t.Helper()
	opts = append([]thulium.Option{thulium.WithLocation(warsaw)}, opts...)
	c, err := thulium.NewClient(srv.URL(), srv.Credentials(), opts...)
	require.NoError(t, err)
	return c
}

type stored struct {
	Series, User       string
	Period, Window     time.Time
	Incoming, Answered int
	ChatSum, WaitAvg   int64
	ServiceLevel       sql.NullFloat64
	Happy              int
	JSON               string
}

func load(t *testing.T, db *sql.DB) []stored {
	t.Helper()
	rs, err := db.Query(`SELECT series, user_name, period_start, window_start, incoming, answered, chat_time_sum_s, wait_time_avg_s,
	service_level_percent, rating_happy, row_json FROM thulium_chat_summary ORDER BY series, user_name`)
	require.NoError(t, err)
	defer rs.Close()
	var out []stored
	for rs.Next() {
		var s stored
		var p, w sqldb.Time
		require.NoError(t, rs.Scan(&s.Series, &s.User, &p, &w, &s.Incoming, &s.Answered, &s.ChatSum, &s.WaitAvg, &s.ServiceLevel, &s.Happy, &s.JSON))
		s.Period, s.Window = p.Time, w.Time
		out = append(out, s)
	}
	require.NoError(t, rs.Err())
	return out
}

func TestExportByDayDurationsInSeconds(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			srv := thuliumtest.NewServer(thuliumtest.WithLocation(warsaw))
			defer srv.Close()
			db := sqltest.Open(t, k)
			e, err := summarystore.New(context.Background(), db, client(t, srv), summarystore.Config{
				AggregateBy: thulium.ByDay, Start: dec1.Add(15 * time.Hour), // the period holding Start
				Query: thulium.SummaryQuery{Limit: 2}, // several pages per window
			})
			require.NoError(t, err)
			p, err := e.Run(context.Background(), dec1.AddDate(0, 0, 3).Add(time.Minute))
			require.NoError(t, err)
			assert.Equal(t, 3, p.Windows)
			assert.True(t, p.Next.Equal(dec1.AddDate(0, 0, 3)))
			got := load(t, db)
			require.Len(t, got, 9)
			want := thuliumtest.Report(dec1, dec1.AddDate(0, 0, 3).Add(-time.Second), thulium.ByDay, thuliumtest.DefaultUsers, nil, 20)
			require.Len(t, want, 9)
			byKey := map[string]thulium.SummaryRow{}
			for _, w := range want {
				byKey[w.Series+"|"+w.UserName] = w
			}
			for _, g := range got {
				w, ok := byKey[g.Series+"|"+g.User]
				require.True(t, ok, g.Series+"|"+g.User)
				assert.Equal(t, w.Incoming, g.Incoming)
				assert.Equal(t, w.Answered, g.Answered)
				assert.Equal(t, int64(w.ChatTime.Sum/time.Second), g.ChatSum, "durations as seconds")
				assert.Equal(t, int64(w.WaitTime.Avg/time.Second), g.WaitAvg)
				assert.Equal(t, w.Rating.Rate.Happy, g.Happy)
				if w.ServiceLevelPercent == nil {
					assert.False(t, g.ServiceLevel.Valid)
				} else {
					assert.InDelta(t, *w.ServiceLevelPercent, g.ServiceLevel.Float64, 1e-9)
				}
				period, err := w.SeriesStart(thulium.ByDay, warsaw)
				require.NoError(t, err)
				assert.True(t, g.Period.Equal(period))
				assert.True(t, g.Window.Equal(period), "one day per window")
				js, err := w.MarshalJSON()
				require.NoError(t, err)
				assert.JSONEq(t, string(js), g.JSON)
			}
		})
	}
}

func TestWindowExportedTwiceHasItsRowsOnce(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			srv := thuliumtest.NewServer(thuliumtest.WithLocation(warsaw))
			defer srv.Close()
			db := sqltest.Open(t, k)
			cfg := summarystore.Config{AggregateBy: thulium.ByWeek, Start: dec1}
			e, err := summarystore.New(context.Background(), db, client(t, srv), cfg)
			require.NoError(t, err)
			_, err = e.Run(context.Background(), dec1.AddDate(0, 0, 16))
			require.NoError(t, err)
			before := load(t, db)
			require.NotEmpty(t, before)
			first := summarystore.PeriodStart(dec1, thulium.ByWeek, warsaw)
			require.NoError(t, e.ExportWindow(context.Background(), first.Add(time.Hour)))
			after := load(t, db)
			assert.Equal(t, before, after)
			next, err := e.Next(context.Background())
			require.NoError(t, err)
			assert.True(t, next.After(first.AddDate(0, 0, 7)), "re-exporting does not rewind")
		})
	}
}

func TestInterruptedExportResumesAtTheFailedWindow(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			srv := thuliumtest.NewServer(thuliumtest.WithLocation(warsaw))
			defer srv.Close()
			db := sqltest.Open(t, k)
			cfg := summarystore.Config{AggregateBy: thulium.ByDay, Start: dec1, Query: thulium.SummaryQuery{Limit: 2}}
			e, err := summarystore.New(context.Background(), db, client(t, srv, thulium.WithoutRetry()), cfg)
			require.NoError(t, err)
			// Window 1 takes two pages; window 2's second page fails: nothing of window 2 is stored.
			srv.Inject(3, thuliumtest.Fault{}) // let three requests through
			srv.FailNext(1, http.StatusInternalServerError)
			until := dec1.AddDate(0, 0, 4)
			p, err := e.Run(context.Background(), until)
			require.Error(t, err)
			assert.ErrorIs(t, err, contactkit.ErrServer)
			assert.Equal(t, 1, p.Windows)
			assert.Len(t, load(t, db), 3, "window 1 whole, nothing of window 2")

			srv.ResetRequests()
			e2, err := summarystore.New(context.Background(), db, client(t, srv), cfg)
			require.NoError(t, err)
			p, err = e2.Run(context.Background(), until)
			require.NoError(t, err)
			assert.Equal(t, 3, p.Windows)
			reqs := srv.Requests()
			require.NotEmpty(t, reqs)
			assert.Contains(t, reqs[0].Query, "date_from=2024-12-02+00%3A00%3A00", "resumed at the failed window")
			got := load(t, db)
			assert.Len(t, got, 12)
		})
	}
}

func TestNewValidates(t *testing.T) {
	srv := thuliumtest.NewServer()
	defer srv.Close()
	db := sqltest.Open(t, sqltest.SQLite)
	c := client(t, srv)
	for _, cfg := range []summarystore.Config{
		{},
		{Start: dec1, AggregateBy: thulium.ByHourOfDay},
		{Start: dec1, AggregateBy: "fortnight"},
		{Start: dec1, Periods: -1},
	} {
		_, err := summarystore.New(context.Background(), db, c, cfg)
		var ve *contactkit.ValidationError
		assert.True(t, errors.As(err, &ve), "%+v: %v", cfg, err)
	}
}

func TestPeriodStart(t *testing.T) {
	at := time.Date(2024, 12, 5, 13, 47, 12, 0, warsaw) // a Thursday
	for agg, want := range map[thulium.Aggregation]time.Time{
		thulium.ByMinute: time.Date(2024, 12, 5, 13, 47, 0, 0, warsaw),
		thulium.ByHour:   time.Date(2024, 12, 5, 13, 0, 0, 0, warsaw),
		thulium.ByDay:    time.Date(2024, 12, 5, 0, 0, 0, 0, warsaw),
		thulium.ByWeek:   time.Date(2024, 12, 2, 0, 0, 0, 0, warsaw),
		thulium.ByMonth:  time.Date(2024, 12, 1, 0, 0, 0, 0, warsaw),
		thulium.ByYear:   time.Date(2024, 1, 1, 0, 0, 0, 0, warsaw),
	} {
		assert.True(t, summarystore.PeriodStart(at, agg, warsaw).Equal(want), agg)
	}
}
