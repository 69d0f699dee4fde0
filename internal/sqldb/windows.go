package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ExportTable holds the position of every window-by-window export: the
// start of the next window to export, per component and export name.
const ExportTable = "contactkit_export_state"

var exportMigrations = []Migration{{
	Version: 1, Name: "export state",
	Up: func(d Dialect) []string {
		return []string{d.DDL(`CREATE TABLE ` + ExportTable + ` (
	component TEXT NOT NULL,
	name TEXT NOT NULL,
	next_start {time} NOT NULL,
	windows BIGINT NOT NULL DEFAULT 0,
	updated_at {time} NOT NULL,
	PRIMARY KEY (component, name)
)`)}
	},
}}

// Windows is a window-by-window export: consecutive windows [start, end)
// from First, each fetched outside any transaction and then written in
// one transaction together with the export's new position, so that a
// window is stored whole or not at all and a rerun continues after the
// last window stored.
type Windows struct {
	DB        *sql.DB
	Dialect   Dialect
	Component string // the store: "avaya/reportstore"
	Name      string // the export, unique within the component
	// First is the start of the first window when nothing was exported.
	First time.Time
	// End returns the end of the window that starts at start (after start).
	End func(start time.Time) time.Time
}

// Setup creates the state table (versioned, once).
func (w *Windows) Setup(ctx context.Context) error {
	return Migrate(ctx, w.DB, w.Dialect, "contactkit/export", exportMigrations)
}

// Next is the start of the next window to export: the saved position, or
// First when the export never ran.
func (w *Windows) Next(ctx context.Context) (time.Time, error) {
	var next Time
	err := w.DB.QueryRowContext(ctx, w.Dialect.Rebind(`SELECT next_start FROM `+ExportTable+` WHERE component = ? AND name = ?`),
		w.Component, w.Name).Scan(&next)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return w.First, nil
	case err != nil:
		return time.Time{}, err
	}
	return next.Time.In(w.First.Location()), nil
}

// Progress is what a Run did.
type Progress struct {
	// Windows counts the windows stored; Next is where the next run starts.
	Windows int
	Next    time.Time
}

// FetchFunc fetches one window's data, outside any transaction.
type FetchFunc[T any] func(ctx context.Context, start, end time.Time) (T, error)

// WriteFunc replaces one window's rows inside tx.
type WriteFunc[T any] func(ctx context.Context, tx *sql.Tx, start, end time.Time, data T) error

// Run exports, from the saved position, every window that ends at or
// before until, in order, and stops at the first error (the windows before
// it stay stored; a rerun continues with the failed one).
func Run[T any](ctx context.Context, w *Windows, until time.Time, fetch FetchFunc[T], write WriteFunc[T]) (Progress, error) {
	start, err := w.Next(ctx)
	if err != nil {
		return Progress{}, fmt.Errorf("reading the export position: %w", err)
	}
	p := Progress{Next: start}
	for {
		end := w.End(start)
		if !end.After(start) {
			return p, fmt.Errorf("the window from %s does not end after it starts", start.Format(time.RFC3339))
		}
		if end.After(until) {
			return p, nil
		}
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if err := Window(ctx, w, start, fetch, write); err != nil {
			return p, err
		}
		p.Windows++
		start = end
		p.Next = end
	}
}

// Window exports the one window that starts at start: its rows are
// replaced in one transaction, which also moves the saved position to the
// window's end unless it is already past it (re-exporting an old window
// does not rewind the export).
func Window[T any](ctx context.Context, w *Windows, start time.Time, fetch FetchFunc[T], write WriteFunc[T]) error {
	end := w.End(start)
	data, err := fetch(ctx, start, end)
	if err != nil {
		return &WindowError{Start: start, End: end, Err: err}
	}
	err = InTx(ctx, w.DB, func(tx *sql.Tx) error {
		if err := write(ctx, tx, start, end, data); err != nil {
			return err
		}
		now := w.Dialect.TimeArg(time.Now())
		_, err := tx.ExecContext(ctx, w.Dialect.Rebind(`INSERT INTO `+ExportTable+` (component, name, next_start, windows, updated_at)
VALUES (?, ?, ?, 1, ?)
ON CONFLICT (component, name) DO UPDATE SET
	next_start = CASE WHEN `+ExportTable+`.next_start < excluded.next_start THEN excluded.next_start ELSE `+ExportTable+`.next_start END,
	windows = `+ExportTable+`.windows + 1,
	updated_at = excluded.updated_at`),
			w.Component, w.Name, w.Dialect.TimeArg(end), now)
		return err
	})
	if err != nil {
		return &WindowError{Start: start, End: end, Err: err}
	}
	return nil
}

// WindowError says which window failed; nothing of it was stored.
type WindowError struct {
	Start, End time.Time
	Err        error
}

func (e *WindowError) Error() string {
	return fmt.Sprintf("window %s to %s not stored: %v", e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339), e.Err)
}

func (e *WindowError) Unwrap() error { return e.Err }
