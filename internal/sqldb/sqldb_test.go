package sqldb_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/internal/sqltest"
)

// TestMain stops the package's PostgreSQL cluster and checks for leaked
// goroutines (goleak).
func TestMain(m *testing.M) { sqltest.Main(m) }

func TestRebind(t *testing.T) {
	assert.Equal(t, "SELECT $1, $2", sqldb.Postgres.Rebind("SELECT ?, ?"))
	assert.Equal(t, "SELECT ?, ?", sqldb.SQLite.Rebind("SELECT ?, ?"))
}

func TestSQLiteDSNKeepsCallerSettings(t *testing.T) {
	dsn := sqldb.SQLiteDSN("file:x.db?_busy_timeout=5")
	assert.Contains(t, dsn, "_busy_timeout=5")
	assert.Contains(t, dsn, "_journal_mode=WAL")
	assert.Contains(t, dsn, "_txlock=immediate")
}

func TestOpenSQLiteIsWAL(t *testing.T) {
	db := sqltest.Open(t, sqltest.SQLite)
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
	assert.Equal(t, sqldb.SQLite, sqldb.DialectOf(db))
}

var steps = []sqldb.Migration{
	{Version: 1, Name: "one", Up: func(d sqldb.Dialect) []string {
		return []string{d.DDL(`CREATE TABLE m1 (id {id}, at {time}, n {numeric})`)}
	}},
	{Version: 2, Name: "two", Up: func(d sqldb.Dialect) []string {
		return []string{`ALTER TABLE m1 ADD COLUMN note TEXT`}
	}},
}

func TestMigrateOnceConcurrentlyAndVersioned(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			db := sqltest.Open(t, k)
			d := sqldb.DialectOf(db)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = sqldb.Migrate(ctx, db, d, "test", steps[:1]) }()
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			v, err := sqldb.SchemaVersion(ctx, db, d, "test")
			require.NoError(t, err)
			assert.Equal(t, 1, v)
			require.NoError(t, sqldb.Migrate(ctx, db, d, "test", steps))
			require.NoError(t, sqldb.Migrate(ctx, db, d, "test", steps))
			v, err = sqldb.SchemaVersion(ctx, db, d, "test")
			require.NoError(t, err)
			assert.Equal(t, 2, v)
			_, err = db.Exec(d.Rebind(`INSERT INTO m1 (at, n, note) VALUES (?, ?, ?)`), d.TimeArg(time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)), "12.50", "x")
			require.NoError(t, err)
			var at sqldb.Time
			var n float64
			require.NoError(t, db.QueryRow(`SELECT at, n FROM m1`).Scan(&at, &n))
			assert.True(t, at.Time.Equal(time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)))
			assert.InDelta(t, 12.5, n, 1e-9)
		})
	}
}

func TestMigrateFailedStepLeavesNothing(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			db := sqltest.Open(t, k)
			d := sqldb.DialectOf(db)
			bad := []sqldb.Migration{{Version: 1, Name: "bad", Up: func(sqldb.Dialect) []string {
				return []string{`CREATE TABLE half (id INTEGER)`, `THIS IS NOT SQL`}
			}}}
			require.Error(t, sqldb.Migrate(context.Background(), db, d, "bad", bad))
			v, err := sqldb.SchemaVersion(context.Background(), db, d, "bad")
			require.NoError(t, err)
			assert.Zero(t, v)
			_, err = db.Exec(`SELECT * FROM half`)
			assert.Error(t, err, "the first statement of the failed step was rolled back")
		})
	}
}

func TestTransient(t *testing.T) {
	assert.False(t, sqldb.Transient(nil))
	assert.False(t, sqldb.Transient(errors.New("syntax error")))
	assert.True(t, sqldb.Transient(driver.ErrBadConn))
	assert.True(t, sqldb.Transient(fmt.Errorf("x: %w", context.Canceled)))

	// SQLite: a second writer on the same file, with no busy timeout, is busy.
	path := filepath.Join(t.TempDir(), "busy.db")
	a, err := sql.Open("sqlite", path+"?_txlock=immediate&_busy_timeout=0")
	require.NoError(t, err)
	defer a.Close()
	b, err := sql.Open("sqlite", path+"?_txlock=immediate&_busy_timeout=0")
	require.NoError(t, err)
	defer b.Close()
	_, err = a.Exec(`CREATE TABLE x (n INTEGER)`)
	require.NoError(t, err)
	tx, err := a.Begin()
	require.NoError(t, err)
	defer tx.Rollback()
	_, err = b.Exec(`INSERT INTO x VALUES (1)`)
	require.Error(t, err)
	assert.True(t, sqldb.Transient(err), "%v", err)
	require.NoError(t, tx.Rollback())

	// SQLite: a constraint violation is not transient.
	_, err = a.Exec(`CREATE TABLE y (n INTEGER CHECK (n < 5))`)
	require.NoError(t, err)
	_, err = a.Exec(`INSERT INTO y VALUES (7)`)
	require.Error(t, err)
	assert.False(t, sqldb.Transient(err), "%v", err)
}

func TestTransientPostgres(t *testing.T) {
	db := sqltest.Open(t, sqltest.Postgres)
	ctx := context.Background()
	_, err := db.Exec(`CREATE TABLE y (n INTEGER CHECK (n < 5), s VARCHAR(3))`)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO y VALUES (7, 'a')`)
	require.Error(t, err)
	assert.False(t, sqldb.Transient(err), "%v", err)
	_, err = db.Exec(`INSERT INTO y VALUES (1, 'abcd')`)
	require.Error(t, err)
	assert.False(t, sqldb.Transient(err), "%v", err)

	// A serialization failure (40001) is transient.
	_, err = db.Exec(`SELECT 1/0`)
	assert.False(t, sqldb.Transient(err))
	_, err = db.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$`)
	require.Error(t, err)
	assert.True(t, sqldb.Transient(err), "%v", err)
	_, err = db.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$`)
	assert.True(t, sqldb.Transient(err), "%v", err)

	// A connection whose backend is killed mid-transaction: transient.
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	var pid int
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	sqltest.Terminate(ctx, t, pid)
	_, err = conn.ExecContext(ctx, `SELECT 1`)
	require.Error(t, err)
	assert.True(t, sqldb.Transient(err), "%v", err)
}
