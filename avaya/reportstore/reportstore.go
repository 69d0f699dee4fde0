// Package reportstore exports an Avaya Call Reporting historic report into
// a SQL database, window by window, each window stored exactly once:
//
//	db, err := reportstore.Open(ctx, "reports.db") // or "postgres://user@host/db"
//	exp, err := reportstore.New(ctx, db, client, reportstore.Config{
//		ReportKey: "5b0b4bd4-...", // the report's Report UUID (historicDataKey)
//		Start:     time.Date(2024, 5, 1, 0, 0, 0, 0, zone),
//		Window:    24 * time.Hour,
//	})
//	progress, err := exp.Run(ctx, time.Now()) // every whole window up to now
//
// Run runs the report (avaya.Client.RunReport, which also waits out the
// cloud edition's 202 "cached, ask again" answers) for consecutive time
// windows [start, start+Window) from where the last run stopped, and
// stores each window's rows in one transaction together with the export's
// new position: a window is stored whole or not at all, a rerun continues
// with the first window not stored, and re-exporting a window
// (ExportWindow) replaces its rows, so the same window exported twice has
// its rows once. The report's timeframe parameter covers [start, end-1ms]
// (the document's example ends at 23:59:59.000).
//
// It works on database/sql with any driver and is tested on SQLite
// (modernc.org/sqlite, the embedded default) and PostgreSQL (pgx).
//
// # Tables (created or migrated on first use, versioned in contactkit_schema)
//
// The rows go to a table of their own per report (Config.Table), whose
// columns follow the report's columns: created when the first window is
// stored, and widened (ALTER TABLE ADD COLUMN) when the report gains a
// column. Each report column becomes a column named after its title
// (lower case, other characters as _):
//
//	STRING             → <title> TEXT
//	NUMBER             → <title> NUMERIC          (exact, as sent)
//	DURATION           → <title>_ms BIGINT        (milliseconds)
//	                     <title>_text TEXT        (the formatted value, 3:31:13)
//	any other format   → <title> TEXT             (the value's text)
//
// For the documented Agent Talking Summary that is:
//
//	CREATE TABLE avaya_report_5b0b4bd4 (
//		window_start TIMESTAMPTZ NOT NULL,   -- TEXT (UTC) in SQLite
//		window_end   TIMESTAMPTZ NOT NULL,
//		row_index    INTEGER NOT NULL,       -- the row's place in the report
//		execution_id TEXT,                   -- the report run's executionId
//		exported_at  TIMESTAMPTZ NOT NULL,
//		agent TEXT, inbound_calls NUMERIC, outbound_calls NUMERIC, internal_calls NUMERIC,
//		total_calls NUMERIC, total_talking_ms BIGINT, total_talking_text TEXT,
//		avg_talking_ms BIGINT, avg_talking_text TEXT,
//		PRIMARY KEY (window_start, row_index)
//	);
//
// Schema version 1 of the component "avaya/reportstore" holds which report
// column went to which SQL column:
//
//	CREATE TABLE avaya_report_columns (
//		table_name TEXT NOT NULL,
//		title      TEXT NOT NULL,     -- the report column's title
//		format     TEXT NOT NULL,     -- STRING, NUMBER, DURATION...
//		sql_name   TEXT NOT NULL,     -- the column (DURATION: the _ms/_text prefix)
//		position   INTEGER NOT NULL,
//		PRIMARY KEY (table_name, title)
//	);
//
// and the shared state table (component "contactkit/export") holds where
// each export stands:
//
//	CREATE TABLE contactkit_export_state (
//		component  TEXT NOT NULL,     -- "avaya/reportstore"
//		name       TEXT NOT NULL,     -- Config.Name
//		next_start TIMESTAMPTZ NOT NULL,
//		windows    BIGINT NOT NULL,   -- windows stored so far, re-exports included
//		updated_at TIMESTAMPTZ NOT NULL,
//		PRIMARY KEY (component, name)
//	);
//
// A value that cannot be stored (a NUMBER cell that holds no number, a
// column whose format changed) fails its window with a *ValueError or
// *SchemaError naming the window, row and column; nothing of the window
// is stored and the export stays at that window.
package reportstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/avaya"
	"github.com/contactkit/contactkit/internal/sqldb"
)

// Component names this store in contactkit_schema and
// contactkit_export_state.
const Component = "avaya/reportstore"

// DefaultTimeframeParam is the name of the documented timeframe parameter.
const DefaultTimeframeParam = "Report Timeframe"

var migrations = []sqldb.Migration{{
	Version: 1, Name: "report columns",
	Up: func(sqldb.Dialect) []string {
		return []string{`CREATE TABLE avaya_report_columns (
	table_name TEXT NOT NULL,
	title TEXT NOT NULL,
	format TEXT NOT NULL,
	sql_name TEXT NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (table_name, title)
)`}
	},
}}

// Open opens the database a DSN names: a postgres:// or postgresql://
// URL is PostgreSQL (pgx); anything else is a SQLite file, created when
// missing, in WAL mode.
func Open(ctx context.Context, dsn string) (*sql.DB, error) { return sqldb.Open(ctx, dsn) }

// Config says which report to export, where, and in which windows.
type Config struct {
	// ReportKey is the report's Report UUID (historicDataKey). Required.
	ReportKey string
	// Name names the export in the state table (default: ReportKey). Two
	// exports of one report with other parameters need two names and two
	// tables.
	Name string
	// Table receives the rows (default: avaya_report_ and the key's first
	// 8 letters and digits). A plain SQL identifier.
	Table string
	// TimeframeParam is the name of the report's REPORT_TIMEFRAME
	// parameter (default "Report Timeframe").
	TimeframeParam string
	// Params are the report's other parameters, sent with every window.
	Params []avaya.Parameter
	// Start is the start of the first window, used when the export has
	// not run yet; its zone is the one the timeframe is written in.
	// Required.
	Start time.Time
	// Window is the length of each window (default 24 h). A whole number
	// of days steps by calendar days in Start's zone, so windows stay at
	// local midnight across daylight saving changes.
	Window time.Duration
}

// Exporter exports one report. It is safe for concurrent use, though two
// runs of one export at once only repeat each other's work.
type Exporter struct {
	db  *sql.DB
	d   sqldb.Dialect
	c   *avaya.Client
	cfg Config
	w   *sqldb.Windows
}

var keyChars = regexp.MustCompile(`[^a-z0-9]`)

// New returns an exporter, creating or migrating its tables first.
func New(ctx context.Context, db *sql.DB, c *avaya.Client, cfg Config) (*Exporter, error) {
	switch {
	case db == nil:
		return nil, &contactkit.ValidationError{Field: "db", Reason: "is nil"}
	case c == nil:
		return nil, &contactkit.ValidationError{Field: "client", Reason: "is nil"}
	case strings.TrimSpace(cfg.ReportKey) == "":
		return nil, &contactkit.ValidationError{Field: "ReportKey", Reason: "is required"}
	case cfg.Start.IsZero():
		return nil, &contactkit.ValidationError{Field: "Start", Reason: "is required"}
	case cfg.Window < 0 || cfg.Window > 0 && cfg.Window < time.Second:
		return nil, &contactkit.ValidationError{Field: "Window", Reason: "must be at least a second"}
	}
	if cfg.Window == 0 {
		cfg.Window = 24 * time.Hour
	}
	if cfg.Name == "" {
		cfg.Name = cfg.ReportKey
	}
	if cfg.TimeframeParam == "" {
		cfg.TimeframeParam = DefaultTimeframeParam
	}
	if cfg.Table == "" {
		k := keyChars.ReplaceAllString(strings.ToLower(cfg.ReportKey), "")
		cfg.Table = "avaya_report_" + k[:min(8, len(k))]
	}
	if err := sqldb.CheckIdent("Table", cfg.Table); err != nil {
		return nil, err
	}
	e := &Exporter{db: db, d: sqldb.DialectOf(db), c: c, cfg: cfg}
	e.w = &sqldb.Windows{DB: db, Dialect: e.d, Component: Component, Name: cfg.Name, First: cfg.Start, End: e.end}
	if err := sqldb.Migrate(ctx, db, e.d, Component, migrations); err != nil {
		return nil, fmt.Errorf("avaya/reportstore: %w", err)
	}
	if err := e.w.Setup(ctx); err != nil {
		return nil, fmt.Errorf("avaya/reportstore: %w", err)
	}
	return e, nil
}

// Table is the table the rows go to.
func (e *Exporter) Table() string { return e.cfg.Table }

func (e *Exporter) end(start time.Time) time.Time {
	if e.cfg.Window%(24*time.Hour) == 0 {
		return start.AddDate(0, 0, int(e.cfg.Window/(24*time.Hour)))
	}
	return start.Add(e.cfg.Window)
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
		err = fmt.Errorf("avaya/reportstore: %s: %w", e.cfg.Name, err)
	}
	return Progress(p), err
}

// ExportWindow (re)exports the window that starts at start, replacing its
// rows in one transaction. It does not move the export back.
func (e *Exporter) ExportWindow(ctx context.Context, start time.Time) error {
	if err := sqldb.Window(ctx, e.w, start, e.fetch, e.write); err != nil {
		return fmt.Errorf("avaya/reportstore: %s: %w", e.cfg.Name, err)
	}
	return nil
}

// Next is the start of the next window Run exports.
func (e *Exporter) Next(ctx context.Context) (time.Time, error) { return e.w.Next(ctx) }

func (e *Exporter) fetch(ctx context.Context, start, end time.Time) (*avaya.Report, error) {
	params := make([]avaya.Parameter, 0, len(e.cfg.Params)+1)
	params = append(params, avaya.TimeframeParam(e.cfg.TimeframeParam, start, end.Add(-time.Millisecond)))
	params = append(params, e.cfg.Params...)
	return e.c.RunReport(ctx, e.cfg.ReportKey, params...)
}

// column is where one report column goes.
type column struct {
	title   string
	format  avaya.ColumnFormat
	sqlName string
}

func (c column) sqlColumns() []string {
	if c.format == avaya.FormatDuration {
		return []string{c.sqlName + "_ms", c.sqlName + "_text"}
	}
	return []string{c.sqlName}
}

func (c column) ddl() []string {
	switch c.format {
	case avaya.FormatDuration:
		return []string{sqldb.Quote(c.sqlName+"_ms") + " BIGINT", sqldb.Quote(c.sqlName+"_text") + " TEXT"}
	case avaya.FormatNumber:
		return []string{sqldb.Quote(c.sqlName) + " NUMERIC"}
	}
	return []string{sqldb.Quote(c.sqlName) + " TEXT"}
}

// SchemaError is a report column that cannot go where its title went
// before (its format changed).
type SchemaError struct {
	Table, Title string
	Was, Now     avaya.ColumnFormat
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("column %q of %s was %s and is now %s: export it to another table", e.Title, e.Table, e.Was, e.Now)
}

// ValueError is a cell that cannot be stored in its column.
type ValueError struct {
	WindowStart time.Time
	Row         int    // the row's index in the report
	Column      string // the report column's title
	Value       string // the cell as sent
	Err         error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("window %s row %d column %q: cannot store %s: %v",
		e.WindowStart.Format(time.RFC3339), e.Row, e.Column, e.Value, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

var reserved = map[string]bool{"window_start": true, "window_end": true, "row_index": true, "execution_id": true, "exported_at": true}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func slug(title string) string {
	s := strings.Trim(nonWord.ReplaceAllString(strings.ToLower(title), "_"), "_")
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "c_" + s
	}
	return s[:min(len(s), 50)]
}

// columns makes sure the table has a place for every column of rep, and
// returns them in report order.
func (e *Exporter) columns(ctx context.Context, tx *sql.Tx, rep *avaya.Report) ([]column, error) {
	table := e.cfg.Table
	if _, err := tx.ExecContext(ctx, e.d.DDL(`CREATE TABLE IF NOT EXISTS `+sqldb.Quote(table)+` (
	window_start {time} NOT NULL,
	window_end {time} NOT NULL,
	row_index INTEGER NOT NULL,
	execution_id TEXT,
	exported_at {time} NOT NULL,
	PRIMARY KEY (window_start, row_index)
)`)); err != nil {
		return nil, err
	}
	known := map[string]column{}
	used := map[string]bool{}
	rows, err := tx.QueryContext(ctx, e.d.Rebind(`SELECT title, format, sql_name FROM avaya_report_columns WHERE table_name = ?`), table)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c column
		var f string
		if err := rows.Scan(&c.title, &f, &c.sqlName); err != nil {
			_ = rows.Close()
			return nil, err
		}
		c.format = avaya.ColumnFormat(f)
		known[c.title] = c
		for _, n := range c.sqlColumns() {
			used[n] = true
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	out := make([]column, 0, len(rep.Columns))
	for _, rc := range rep.Columns {
		if c, ok := known[rc.Title]; ok {
			if c.format != rc.Format {
				return nil, &SchemaError{Table: table, Title: rc.Title, Was: c.format, Now: rc.Format}
			}
			out = append(out, c)
			continue
		}
		c := column{title: rc.Title, format: rc.Format}
		base := slug(rc.Title)
		for i := 1; ; i++ {
			c.sqlName = base
			if i > 1 {
				c.sqlName = base + "_" + strconv.Itoa(i)
			}
			free := true
			for _, n := range c.sqlColumns() {
				free = free && !used[n] && !reserved[n]
			}
			if free {
				break
			}
		}
		for _, def := range c.ddl() {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+sqldb.Quote(table)+` ADD COLUMN `+def); err != nil {
				return nil, err
			}
		}
		for _, n := range c.sqlColumns() {
			used[n] = true
		}
		if _, err := tx.ExecContext(ctx, e.d.Rebind(`INSERT INTO avaya_report_columns (table_name, title, format, sql_name, position) VALUES (?, ?, ?, ?, ?)`),
			table, c.title, string(c.format), c.sqlName, len(known)); err != nil {
			return nil, err
		}
		known[c.title] = c
		out = append(out, c)
	}
	return out, nil
}

// write replaces the window's rows.
func (e *Exporter) write(ctx context.Context, tx *sql.Tx, start, end time.Time, rep *avaya.Report) error {
	cols, err := e.columns(ctx, tx, rep)
	if err != nil {
		return err
	}
	table := sqldb.Quote(e.cfg.Table)
	if _, err := tx.ExecContext(ctx, e.d.Rebind(`DELETE FROM `+table+` WHERE window_start = ?`), e.d.TimeArg(start)); err != nil {
		return err
	}
	names := []string{"window_start", "window_end", "row_index", "execution_id", "exported_at"}
	for _, c := range cols {
		for _, n := range c.sqlColumns() {
			names = append(names, sqldb.Quote(n))
		}
	}
	insert := e.d.Rebind(`INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `) VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + `)`)
	stmt, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := e.d.TimeArg(time.Now())
	execID := any(nil)
	if rep.ExecutionID != "" {
		execID = rep.ExecutionID
	}
	keys := make(map[string]string, len(rep.Columns))
	for _, rc := range rep.Columns {
		keys[rc.Title] = rc.Key
	}
	for i, row := range rep.Rows {
		args := []any{e.d.TimeArg(start), e.d.TimeArg(end), i, execID, now}
		for _, c := range cols {
			cell, ok := row.Values[keys[c.title]]
			vals, err := cellArgs(c.format, cell, ok)
			if err != nil {
				return &ValueError{WindowStart: start, Row: i, Column: c.title, Value: string(cell.Value.RawMessage), Err: err}
			}
			args = append(args, vals...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
	}
	return nil
}

var errNotNumber = errors.New("not a number")

// cellArgs converts one cell to its column values.
func cellArgs(format avaya.ColumnFormat, cell avaya.CellValue, present bool) ([]any, error) {
	raw := bytes.TrimSpace(cell.Value.RawMessage)
	null := !present || len(raw) == 0 || string(raw) == "null"
	switch format {
	case avaya.FormatNumber:
		if null {
			return []any{nil}, nil
		}
		n, err := numberText(raw)
		return []any{n}, err
	case avaya.FormatDuration:
		var text any
		if cell.FormattedValue != "" {
			text = cell.FormattedValue
		}
		if null {
			return []any{nil, text}, nil
		}
		ms, err := cell.Value.Number()
		if err != nil || math.IsNaN(ms) || math.IsInf(ms, 0) || math.Abs(ms) > math.MaxInt64/2 {
			return nil, errNotNumber
		}
		return []any{int64(math.Round(ms)), text}, nil
	}
	if null {
		return []any{nil}, nil
	}
	return []any{cell.Value.String()}, nil
}

// numberText returns a number's exact text (a JSON number, or a numeric
// string), for a NUMERIC column.
func numberText(raw []byte) (string, error) {
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errNotNumber
		}
		s = strings.TrimSpace(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return "", errNotNumber
	}
	if !json.Valid([]byte(s)) { // "0x1p3", "+5", ".5": write the value instead
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return s, nil
}
