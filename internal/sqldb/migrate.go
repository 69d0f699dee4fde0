package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"time"
)

// Migration is one versioned step of a component's schema. Up returns its
// statements for a dialect; they run in one transaction with the record
// of the version, so a step is applied whole or not at all.
type Migration struct {
	Version int
	Name    string
	Up      func(d Dialect) []string
}

// SchemaTable records the applied migrations of every component.
const SchemaTable = "contactkit_schema"

// Migrate brings component's schema to its last version: each migration
// not yet recorded in contactkit_schema runs in its own transaction,
// which also records it. Concurrent migrators are serialized (an advisory
// lock in PostgreSQL, the write lock in SQLite), so a store opened by
// several processes at once migrates once. Versions must ascend.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, component string, steps []Migration) error {
	create := d.DDL(`CREATE TABLE IF NOT EXISTS ` + SchemaTable + ` (
	component TEXT NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	applied_at {time} NOT NULL,
	PRIMARY KEY (component, version)
)`)
	if err := InTx(ctx, db, func(tx *sql.Tx) error { return lock(ctx, tx, d, SchemaTable, create) }); err != nil {
		return fmt.Errorf("sqldb: creating %s: %w", SchemaTable, err)
	}
	last := 0
	for _, m := range steps {
		if m.Version <= last {
			return fmt.Errorf("sqldb: %s migrations: version %d after %d", component, m.Version, last)
		}
		last = m.Version
		err := InTx(ctx, db, func(tx *sql.Tx) error {
			if err := lock(ctx, tx, d, component, ""); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM `+SchemaTable+` WHERE component = ? AND version = ?`),
				component, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range m.Up(d) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%w (in %.80q)", err, stmt)
				}
			}
			_, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO `+SchemaTable+` (component, version, name, applied_at) VALUES (?, ?, ?, ?)`),
				component, m.Version, m.Name, d.TimeArg(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqldb: %s migration %d (%s): %w", component, m.Version, m.Name, err)
		}
	}
	return nil
}

// SchemaVersion is the last applied version of component, 0 for none.
func SchemaVersion(ctx context.Context, db *sql.DB, d Dialect, component string) (int, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, d.Rebind(`SELECT MAX(version) FROM `+SchemaTable+` WHERE component = ?`), component).Scan(&v)
	return int(v.Int64), err
}

// lock serializes migrators of one component: a transaction-scoped
// advisory lock in PostgreSQL; in SQLite the statement (a write) takes
// the database's write lock. then, when set, runs after the lock.
func lock(ctx context.Context, tx *sql.Tx, d Dialect, key, then string) error {
	if d == Postgres {
		h := fnv.New64a()
		_, _ = h.Write([]byte("contactkit:" + key))
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
			return err
		}
	} else if then == "" {
		// Any write takes SQLite's write lock until the end of the transaction.
		if _, err := tx.ExecContext(ctx, `UPDATE `+SchemaTable+` SET version = version WHERE 1 = 0`); err != nil {
			return err
		}
	}
	if then != "" {
		_, err := tx.ExecContext(ctx, then)
		return err
	}
	return nil
}
