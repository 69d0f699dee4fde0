package reportstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/avaya/avayatest"
	"github.com/contactkit/contactkit/avaya/reportstore"
	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/internal/sqltest"
)

// TestMain stops the package's PostgreSQL cluster and checks for leaked
// goroutines (goleak).
func TestMain(m *testing.M) { sqltest.Main(m) }

var fast = avaya.WithRetry(contactkit.RetryPolicy{MaxAttempts: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond})

const key = "11111111-2222-3333-4444-555555555555"

// reportServer answers the historic report with rows that depend on the
// window asked for (one per agent, numbers from the window's day), and
// records the windows asked for. failAt answers that request (1-based)
// 500; cached answers the next n requests 202.
type reportServer struct {
	*httptest.Server
	mu      sync.Mutex
	starts  []time.Time
	failAt  int
	cached  int
	calls   int
	badCell bool
}

func newReportServer(t *testing.T) *reportServer {
	s := &reportServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *reportServer) serve(w http.ResponseWriter, r *http.Request) {
	var req avaya.ReportRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var tf struct{ Start, End string }
	_ = json.Unmarshal(req.Parameters[0].Value, &tf)
	start, err := time.Parse(avaya.TimeframeLayout, tf.Start)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.calls++
	n, cached, bad := s.calls, s.cached > 0, s.badCell
	if cached {
		s.cached--
	} else if n != s.failAt {
		s.starts = append(s.starts, start)
	}
	s.mu.Unlock()
	switch {
	case cached:
		w.WriteHeader(http.StatusAccepted)
		return
	case n == s.failAt:
		http.Error(w, `{"message":"boom"}`, http.StatusInternalServerError)
		return
	}
	day := start.Day()
	rows := []string{}
	for i, agent := range []string{"Agent1(200)", "Agent2(201)", "Agent3(202)"} {
		talk := (day*1000 + i) * 1000
		calls := fmt.Sprintf("%d", day+i)
		if bad && i == 1 {
			calls = `"n/a"`
		}
		rows = append(rows, fmt.Sprintf(`{"values":{"0":{"value":%q},"1":{"value":%s,"formattedValue":"%d"},"2":{"value":%d,"formattedValue":"x"},"3":{"value":%d.5}}}`,
			agent, calls, day+i, talk, i))
	}
	fmt.Fprintf(w, `{"reportId":48,"executionId":"exec-%d","title":"Agent Talking Summary","timeframe":{"type":"REPORT_TIMEFRAME","start":%q,"end":%q},
"columns":[{"key":"0","title":"Agent","format":"STRING"},{"key":"1","title":"Total Calls","format":"NUMBER"},
{"key":"2","title":"Total Talking","format":"DURATION"},{"key":"3","title":"Avg Score","format":"NUMBER"}],
"dataFlag":"INCLUDED","summaryItems":[],"rows":[%s],"charts":{"type":"CHARTS","rows":[]}}`,
		n, tf.Start, tf.End, joinRows(rows))
}

func joinRows(rows []string) string {
	out := ""
	for i, r := range rows {
		if i > 0 {
			out += ","
		}
		out += r
	}
	return out
}

func (s *reportServer) asked() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.starts...)
}

var may1 = time.Date(2024, 5, 1, 0, 0, 0, 0, time.FixedZone("-06:00", -6*3600))

func newExporter(t *testing.T, db *sql.DB, url string, cfg reportstore.Config) *reportstore.Exporter {
	t.Helper()
	c, err := avaya.NewClient(url, contactkit.StaticToken("k"), fast)
	require.NoError(t, err)
	if cfg.ReportKey == "" {
		cfg.ReportKey = key
	}
	if cfg.Start.IsZero() {
		cfg.Start = may1
	}
	e, err := reportstore.New(context.Background(), db, c, cfg)
	require.NoError(t, err)
	return e
}

type row struct {
	Start      time.Time
	Index      int
	Agent      string
	Calls      float64
	TalkMS     int64
	TalkText   sql.NullString
	Score      float64
	ExecutionI string
}

func rows(t *testing.T, db *sql.DB, table string) []row {
	t.Helper()
	rs, err := db.Query(`SELECT window_start, row_index, agent, total_calls, total_talking_ms, total_talking_text, avg_score, execution_id FROM ` +
		table + ` ORDER BY window_start, row_index`)
	require.NoError(t, err)
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		var at sqldb.Time
		require.NoError(t, rs.Scan(&at, &r.Index, &r.Agent, &r.Calls, &r.TalkMS, &r.TalkText, &r.Score, &r.ExecutionI))
		r.Start = at.Time
		out = append(out, r)
	}
	require.NoError(t, rs.Err())
	return out
}

func TestExportWindowsColumnsFollowReport(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			db := sqltest.Open(t, k)
			srv := newReportServer(t)
			e := newExporter(t, db, srv.URL, reportstore.Config{})
			assert.Equal(t, "avaya_report_11111111", e.Table())
			p, err := e.Run(context.Background(), may1.AddDate(0, 0, 3).Add(time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 3, p.Windows)
			assert.True(t, p.Next.Equal(may1.AddDate(0, 0, 3)))
			got := rows(t, db, e.Table())
			require.Len(t, got, 9)
			assert.Equal(t, row{Start: may1.UTC(), Index: 0, Agent: "Agent1(200)", Calls: 1, TalkMS: 1000000,
				TalkText: sql.NullString{String: "x", Valid: true}, Score: 0.5, ExecutionI: "exec-1"}, got[0])
			assert.Equal(t, "Agent3(202)", got[8].Agent)
			assert.InDelta(t, 5, got[8].Calls, 0)
			assert.Equal(t, int64(3002000), got[8].TalkMS)
			asked := srv.asked()
			require.Len(t, asked, 3)
			for i, at := range asked {
				assert.True(t, at.Equal(may1.AddDate(0, 0, i)), "window %d asked for %s", i, at)
			}
		})
	}
}

func TestWindowExportedTwiceHasItsRowsOnce(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			db := sqltest.Open(t, k)
			srv := newReportServer(t)
			e := newExporter(t, db, srv.URL, reportstore.Config{})
			_, err := e.Run(context.Background(), may1.AddDate(0, 0, 2))
			require.NoError(t, err)
			before := rows(t, db, e.Table())
			require.Len(t, before, 6)
			require.NoError(t, e.ExportWindow(context.Background(), may1))
			after := rows(t, db, e.Table())
			require.Len(t, after, 6)
			assert.Equal(t, "exec-3", after[0].ExecutionI, "the window's rows were replaced by the new run")
			after[0].ExecutionI, after[1].ExecutionI, after[2].ExecutionI = "exec-1", "exec-1", "exec-1"
			assert.Equal(t, before, after)
			next, err := e.Next(context.Background())
			require.NoError(t, err)
			assert.True(t, next.Equal(may1.AddDate(0, 0, 2)), "re-exporting an old window does not rewind the export")
			// A second exporter of the same export finds the state.
			p, err := newExporter(t, db, srv.URL, reportstore.Config{}).Run(context.Background(), may1.AddDate(0, 0, 2))
			require.NoError(t, err)
			assert.Zero(t, p.Windows)
		})
	}
}

func TestInterruptedExportResumesAtTheFailedWindow(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			db := sqltest.Open(t, k)
			srv := newReportServer(t)
			srv.failAt = 3 // the third window's request fails (and its retry succeeds: fail twice)
			c, err := avaya.NewClient(srv.URL, contactkit.StaticToken("k"), avaya.WithoutRetry())
			require.NoError(t, err)
			e, err := reportstore.New(context.Background(), db, c, reportstore.Config{ReportKey: key, Start: may1})
			require.NoError(t, err)
			until := may1.AddDate(0, 0, 5)
			p, err := e.Run(context.Background(), until)
			require.Error(t, err)
			assert.ErrorIs(t, err, contactkit.ErrServer)
			var we *sqldb.WindowError
			require.ErrorAs(t, err, &we)
			assert.True(t, we.Start.Equal(may1.AddDate(0, 0, 2)))
			assert.Equal(t, 2, p.Windows)
			assert.Len(t, rows(t, db, e.Table()), 6)

			// A new run (a new process) continues with the failed window.
			e2 := newExporter(t, db, srv.URL, reportstore.Config{})
			p, err = e2.Run(context.Background(), until)
			require.NoError(t, err)
			assert.Equal(t, 3, p.Windows)
			asked := srv.asked()
			require.Len(t, asked, 5)
			assert.True(t, asked[2].Equal(may1.AddDate(0, 0, 2)), "resumed at the failed window, not before")
			got := rows(t, db, e.Table())
			require.Len(t, got, 15)
			seen := map[time.Time]int{}
			for _, r := range got {
				seen[r.Start]++
			}
			assert.Len(t, seen, 5)
		})
	}
}

func TestCancelledExportStoresWholeWindowsOnly(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite)
	srv := newReportServer(t)
	e := newExporter(t, db, srv.URL, reportstore.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Run(ctx, may1.AddDate(0, 0, 2))
	require.ErrorIs(t, err, context.Canceled)
	_, err = db.Exec(`SELECT 1 FROM ` + e.Table())
	assert.Error(t, err, "no table: nothing was stored")
	next, err := e.Next(context.Background())
	require.NoError(t, err)
	assert.True(t, next.Equal(may1))
}

func TestCachedReportIsAskedAgain(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite)
	srv := newReportServer(t)
	srv.cached = 2
	e := newExporter(t, db, srv.URL, reportstore.Config{})
	p, err := e.Run(context.Background(), may1.AddDate(0, 0, 1))
	require.NoError(t, err)
	assert.Equal(t, 1, p.Windows)
	assert.Len(t, rows(t, db, e.Table()), 3)
}

func TestBadValueReportedWithWindowRowColumn(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			db := sqltest.Open(t, k)
			srv := newReportServer(t)
			srv.badCell = true
			e := newExporter(t, db, srv.URL, reportstore.Config{})
			_, err := e.Run(context.Background(), may1.AddDate(0, 0, 1))
			var ve *reportstore.ValueError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, 1, ve.Row)
			assert.Equal(t, "Total Calls", ve.Column)
			assert.Equal(t, `"n/a"`, ve.Value)
			assert.True(t, ve.WindowStart.Equal(may1))
			assert.Contains(t, err.Error(), `row 1 column "Total Calls"`)
			next, err := e.Next(context.Background())
			require.NoError(t, err)
			assert.True(t, next.Equal(may1), "the window was not stored and the export stays there")
		})
	}
}

// TestDocumentedReport exports the fake's documented report, after two
// 202 answers, into the table the package doc shows.
func TestDocumentedReport(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			srv := avayatest.NewServer()
			defer srv.Close()
			srv.CacheNextReports(2)
			db := sqltest.Open(t, k)
			c, err := avaya.NewClient(srv.URL(), contactkit.StaticToken(srv.Token), fast)
			require.NoError(t, err)
			e, err := reportstore.New(context.Background(), db, c, reportstore.Config{
				ReportKey: avayatest.AgentTalkingSummary, Start: may1,
				Params: []avaya.Parameter{avaya.PBXUsersParam("Rows (Agent)", "Agent1(200)")},
			})
			require.NoError(t, err)
			assert.Equal(t, "avaya_report_5b0b4bd4", e.Table())
			_, err = e.Run(context.Background(), may1.AddDate(0, 0, 1))
			require.NoError(t, err)
			var agent, talkText string
			var inbound, total float64
			var talkMS, avgMS int64
			require.NoError(t, db.QueryRow(`SELECT agent, inbound_calls, total_calls, total_talking_ms, total_talking_text, avg_talking_ms FROM avaya_report_5b0b4bd4`).
				Scan(&agent, &inbound, &total, &talkMS, &talkText, &avgMS))
			assert.Equal(t, "Agent1(200)", agent)
			assert.InDelta(t, 4, inbound, 0)
			assert.InDelta(t, 14, total, 0)
			assert.Equal(t, int64(12673424), talkMS)
			assert.Equal(t, "3:31:13", talkText)
			assert.Equal(t, int64(1810489), avgMS)
		})
	}
}

func TestColumnFormatChangeIsASchemaError(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite)
	srv := newReportServer(t)
	e := newExporter(t, db, srv.URL, reportstore.Config{})
	_, err := e.Run(context.Background(), may1.AddDate(0, 0, 1))
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE avaya_report_columns SET format = 'STRING' WHERE title = 'Total Calls'`)
	require.NoError(t, err)
	_, err = e.Run(context.Background(), may1.AddDate(0, 0, 2))
	var se *reportstore.SchemaError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "Total Calls", se.Title)
}

func TestNewValidates(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite)
	c, err := avaya.NewClient("http://127.0.0.1:1", contactkit.StaticToken("k"))
	require.NoError(t, err)
	for _, cfg := range []reportstore.Config{
		{Start: may1},
		{ReportKey: key},
		{ReportKey: key, Start: may1, Table: "x; DROP TABLE y"},
		{ReportKey: key, Start: may1, Window: time.Millisecond},
	} {
		_, err := reportstore.New(context.Background(), db, c, cfg)
		var ve *contactkit.ValidationError
		assert.True(t, errors.As(err, &ve), "%+v: %v", cfg, err)
	}
	_, err = reportstore.New(context.Background(), nil, c, reportstore.Config{ReportKey: key, Start: may1})
	assert.Error(t, err)
}
