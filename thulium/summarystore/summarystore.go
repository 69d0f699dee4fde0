// Package summarystore exports Thulium's chat report summary
// (thulium.Client.AllChatReportSummary) into a SQL database, one window
// of aggregation periods at a time, each window stored exactly once:
//
//	db, err := summarystore.Open(ctx, "chats.db") // or "postgres://user@host/db"
//	exp, err := summarystore.New(ctx, db, client, summarystore.Config{
//		AggregateBy: thulium.ByDay,
//		Start:       time.Date(2024, 12, 1, 0, 0, 0, 0, client.Location()),
//	})
//	progress, err := exp.Run(ctx, time.Now()) // every whole day up to now
//
// A window is Periods aggregation periods (one by default), aligned to
// the period's start in the Thulium system's zone (the client's
// Location): midnight for days, Monday for weeks, the 1st for months. Run
// fetches every page of the window's report (date_from the window's
// start, date_to one second before its end) and stores its rows in one
// transaction together with the export's new position: a window is stored
// whole or not at all, a rerun continues with the first window not
// stored, and re-exporting a window (ExportWindow) replaces its rows, so a
// window exported twice has its rows once.
//
// It works on database/sql with any driver and is tested on SQLite
// (modernc.org/sqlite, the embedded default) and PostgreSQL (pgx).
//
// # Tables (created or migrated on first use, versioned in contactkit_schema)
//
// Schema version 1 of the component "thulium/summarystore" (times are
// TIMESTAMPTZ in PostgreSQL and UTC text in SQLite; durations are whole
// seconds):
//
//	CREATE TABLE thulium_chat_summary (
//		export_name  TEXT NOT NULL,          -- Config.Name
//		aggregate_by TEXT NOT NULL,          -- day, week, month...
//		series       TEXT NOT NULL,          -- the period as Thulium names it: 2021-12
//		user_name    TEXT NOT NULL,          -- '' for a row of summed users
//		period_start TIMESTAMPTZ,            -- the series read as a time, NULL if unreadable
//		window_start TIMESTAMPTZ NOT NULL,
//		incoming INTEGER NOT NULL, incoming_to_agent INTEGER NOT NULL,
//		incoming_including_empty INTEGER NOT NULL, abandoned INTEGER NOT NULL,
//		answered INTEGER NOT NULL, incoming_to_bot INTEGER NOT NULL,
//		transferred_by_bot INTEGER NOT NULL, finished_by_bot INTEGER NOT NULL,
//		service_level_percent NUMERIC, sla_percent NUMERIC,       -- NULL when sent as null
//		chat_time_min_s BIGINT NOT NULL, chat_time_max_s BIGINT NOT NULL,
//		chat_time_sum_s BIGINT NOT NULL, chat_time_avg_s BIGINT NOT NULL,
//		wait_time_min_s BIGINT NOT NULL, wait_time_max_s BIGINT NOT NULL,
//		wait_time_sum_s BIGINT NOT NULL, wait_time_avg_s BIGINT NOT NULL,
//		rating_sad INTEGER NOT NULL, rating_neutral INTEGER NOT NULL, rating_happy INTEGER NOT NULL,
//		satisfaction_percent NUMERIC, rated_percent NUMERIC,
//		row_json     TEXT NOT NULL,          -- the row as received, unknown fields kept
//		exported_at  TIMESTAMPTZ NOT NULL,
//		PRIMARY KEY (export_name, series, user_name)
//	);
//	CREATE INDEX thulium_chat_summary_window ON thulium_chat_summary (export_name, window_start);
//
// The export's position is kept in the shared contactkit_export_state
// table (component "thulium/summarystore", name Config.Name), as in
// avaya/reportstore.
package summarystore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/thulium"
)

// Component names this store in contactkit_schema and
// contactkit_export_state.
const Component = "thulium/summarystore"

// Table is where the rows go.
const Table = "thulium_chat_summary"

var intColumns = []string{
	"incoming", "incoming_to_agent", "incoming_including_empty", "abandoned", "answered",
	"incoming_to_bot", "transferred_by_bot", "finished_by_bot",
	"chat_time_min_s", "chat_time_max_s", "chat_time_sum_s", "chat_time_avg_s",
	"wait_time_min_s", "wait_time_max_s", "wait_time_sum_s", "wait_time_avg_s",
	"rating_sad", "rating_neutral", "rating_happy",
}

var migrations = []sqldb.Migration{{
	Version: 1, Name: "chat summary",
	Up: func(d sqldb.Dialect) []string {
		var cols strings.Builder
		for _, c := range intColumns {
			typ := "INTEGER"
			if strings.HasSuffix(c, "_s") {
				typ = "BIGINT"
			}
			fmt.Fprintf(&cols, "\t%s %s NOT NULL,\n", c, typ)
		}
		return []string{
			d.DDL(`CREATE TABLE ` + Table + ` (
	export_name TEXT NOT NULL,
	aggregate_by TEXT NOT NULL,
	series TEXT NOT NULL,
	user_name TEXT NOT NULL,
	period_start {time},
	window_start {time} NOT NULL,
` + cols.String() + `	service_level_percent {numeric},
	sla_percent {numeric},
	satisfaction_percent {numeric},
	rated_percent {numeric},
	row_json TEXT NOT NULL,
	exported_at {time} NOT NULL,
	PRIMARY KEY (export_name, series, user_name)
)`),
			`CREATE INDEX thulium_chat_summary_window ON ` + Table + ` (export_name, window_start)`,
		}
	},
}}

// Open opens the database a DSN names: a postgres:// or postgresql://
// URL is PostgreSQL (pgx); anything else is a SQLite file, created when
// missing, in WAL mode.
func Open(ctx context.Context, dsn string) (*sql.DB, error) { return sqldb.Open(ctx, dsn) }

// Config says what to export and in which windows.
type Config struct {
	// Name names the export in the table and the state (default
	// "chat-summary"). Exports with other filters need other names.
	Name string
	// AggregateBy is the aggregation (default thulium.ByDay); hour_of_day
	// names no period and cannot be exported by window.
	AggregateBy thulium.Aggregation
	// Periods is how many aggregation periods one window holds (default 1).
	Periods int
	// Start: the first window starts with the period that holds Start,
	// when the export has not run yet. Required.
	Start time.Time
	// Query holds the report's filters (UserLogins, ChatQueueIDs,
	// SumUsers, ResponseThreshold) and page size (Limit); its dates,
	// aggregation and offset are set per window.
	Query thulium.SummaryQuery
}

// Exporter exports the chat report summary.
type Exporter struct {
	db  *sql.DB
	d   sqldb.Dialect
	c   *thulium.Client
	cfg Config
	loc *time.Location
	w   *sqldb.Windows
	up  string
}

// New returns an exporter, creating or migrating its tables first.
func New(ctx context.Context, db *sql.DB, c *thulium.Client, cfg Config) (*Exporter, error) {
	switch {
	case db == nil:
		return nil, &contactkit.ValidationError{Field: "db", Reason: "is nil"}
	case c == nil:
		return nil, &contactkit.ValidationError{Field: "client", Reason: "is nil"}
	case cfg.Start.IsZero():
		return nil, &contactkit.ValidationError{Field: "Start", Reason: "is required"}
	case cfg.AggregateBy == thulium.ByHourOfDay:
		return nil, &contactkit.ValidationError{Field: "AggregateBy", Reason: "hour_of_day names no period; export by hour instead"}
	case cfg.AggregateBy != "" && !cfg.AggregateBy.Known():
		return nil, &contactkit.ValidationError{Field: "AggregateBy", Reason: fmt.Sprintf("%q is not a documented aggregation", string(cfg.AggregateBy))}
	case cfg.Periods < 0:
		return nil, &contactkit.ValidationError{Field: "Periods", Reason: "must not be negative"}
	}
	if cfg.AggregateBy == "" {
		cfg.AggregateBy = thulium.ByDay
	}
	if cfg.Periods == 0 {
		cfg.Periods = 1
	}
	if cfg.Name == "" {
		cfg.Name = "chat-summary"
	}
	e := &Exporter{db: db, d: sqldb.DialectOf(db), c: c, cfg: cfg, loc: c.Location()}
	e.w = &sqldb.Windows{DB: db, Dialect: e.d, Component: Component, Name: cfg.Name,
		First: PeriodStart(cfg.Start, cfg.AggregateBy, e.loc), End: e.end}
	if err := sqldb.Migrate(ctx, db, e.d, Component, migrations); err != nil {
		return nil, fmt.Errorf("thulium/summarystore: %w", err)
	}
	if err := e.w.Setup(ctx); err != nil {
		return nil, fmt.Errorf("thulium/summarystore: %w", err)
	}
	cols := append([]string{"export_name", "aggregate_by", "series", "user_name", "period_start", "window_start"}, intColumns...)
	cols = append(cols, "service_level_percent", "sla_percent", "satisfaction_percent", "rated_percent", "row_json", "exported_at")
	set := make([]string, 0, len(cols))
	for _, c := range cols[4:] {
		set = append(set, c+" = excluded."+c)
	}
	e.up = e.d.Rebind(`INSERT INTO ` + Table + ` (` + strings.Join(cols, ", ") + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + `)
ON CONFLICT (export_name, series, user_name) DO UPDATE SET ` + strings.Join(set, ", "))
	return e, nil
}

// PeriodStart is the start of the aggregation period that holds t, in loc:
// the minute, the hour, midnight, Monday, the 1st of the month, 1 January.
func PeriodStart(t time.Time, agg thulium.Aggregation, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	switch agg {
	case thulium.ByMinute:
		return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, loc)
	case thulium.ByHour:
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, loc)
	case thulium.ByWeek:
		return time.Date(y, m, d-(int(t.Weekday())+6)%7, 0, 0, 0, 0, loc)
	case thulium.ByMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	case thulium.ByYear:
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func (e *Exporter) end(start time.Time) time.Time {
	t := start.In(e.loc)
	for range e.cfg.Periods {
		y, m, d := t.Date()
		switch e.cfg.AggregateBy {
		case thulium.ByMinute:
			t = t.Add(time.Minute)
		case thulium.ByHour:
			t = t.Add(time.Hour)
		case thulium.ByWeek:
			t = time.Date(y, m, d+7, 0, 0, 0, 0, e.loc)
		case thulium.ByMonth:
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, e.loc)
		case thulium.ByYear:
			t = time.Date(y+1, 1, 1, 0, 0, 0, 0, e.loc)
		default:
			t = time.Date(y, m, d+1, 0, 0, 0, 0, e.loc)
		}
	}
	return t
}

// Progress is what a Run did: how many windows it stored, and the start
// of the next window to export.
type Progress struct {
	Windows int
	Next    time.Time
}

// Run exports every window that ends at or before until, from where the
// export stands, in order; at the first error it stops (the windows before
// it stay stored) and the next Run starts again with the failed window.
func (e *Exporter) Run(ctx context.Context, until time.Time) (Progress, error) {
	p, err := sqldb.Run(ctx, e.w, until, e.fetch, e.write)
	if err != nil {
		err = fmt.Errorf("thulium/summarystore: %s: %w", e.cfg.Name, err)
	}
	return Progress(p), err
}

// ExportWindow (re)exports the window that holds start, replacing its
// rows in one transaction. It does not move the export back.
func (e *Exporter) ExportWindow(ctx context.Context, start time.Time) error {
	start = PeriodStart(start, e.cfg.AggregateBy, e.loc)
	if err := sqldb.Window(ctx, e.w, start, e.fetch, e.write); err != nil {
		return fmt.Errorf("thulium/summarystore: %s: %w", e.cfg.Name, err)
	}
	return nil
}

// Next is the start of the next window Run exports.
func (e *Exporter) Next(ctx context.Context) (time.Time, error) { return e.w.Next(ctx) }

func (e *Exporter) fetch(ctx context.Context, start, end time.Time) ([]thulium.SummaryRow, error) {
	q := e.cfg.Query
	q.From, q.To, q.DateOnly, q.AggregateBy, q.Offset = start, end.Add(-time.Second), false, e.cfg.AggregateBy, 0
	var rows []thulium.SummaryRow
	for row, err := range e.c.AllChatReportSummary(ctx, q) {
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func percent(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// RowError is a row that could not be stored, named by its series and user.
type RowError struct {
	Series, User string
	Err          error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("row series %q user %q: %v", e.Series, e.User, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

func (e *Exporter) write(ctx context.Context, tx *sql.Tx, start, _ time.Time, rows []thulium.SummaryRow) error {
	if _, err := tx.ExecContext(ctx, e.d.Rebind(`DELETE FROM `+Table+` WHERE export_name = ? AND window_start = ?`),
		e.cfg.Name, e.d.TimeArg(start)); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, e.up)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := e.d.TimeArg(time.Now())
	for _, r := range rows {
		js, err := r.MarshalJSON()
		if err != nil {
			return &RowError{Series: r.Series, User: r.UserName, Err: err}
		}
		var period any
		if t, err := r.SeriesStart(e.cfg.AggregateBy, e.loc); err == nil {
			period = e.d.TimeArg(t)
		}
		c, w, rate := r.ChatTime, r.WaitTime, r.Rating.Rate
		if _, err := stmt.ExecContext(ctx, e.cfg.Name, string(e.cfg.AggregateBy), r.Series, r.UserName, period, e.d.TimeArg(start),
			r.Incoming, r.IncomingToAgent, r.IncomingIncludingEmpty, r.Abandoned, r.Answered,
			r.IncomingToBot, r.TransferredByBot, r.FinishedByBot,
			seconds(c.Min), seconds(c.Max), seconds(c.Sum), seconds(c.Avg),
			seconds(w.Min), seconds(w.Max), seconds(w.Sum), seconds(w.Avg),
			rate.Sad, rate.Neutral, rate.Happy,
			percent(r.ServiceLevelPercent), percent(r.SLAPercent), percent(r.Rating.SatisfactionPercent), percent(r.Rating.RatedPercent),
			string(js), now); err != nil {
			return &RowError{Series: r.Series, User: r.UserName, Err: err}
		}
	}
	return nil
}
