// Package sqldb holds what the SQL stores (salesforce/sqlstore,
// avaya/reportstore, thulium/summarystore) share, once: opening SQLite
// (WAL, one writer) or PostgreSQL from one DSN, the two dialects'
// differences (placeholders, column types, time values), versioned
// migrations, the classification of transient database errors, and the
// window-by-window export with its state table.
//
// The stores work on any database/sql driver: a driver whose package path
// names sqlite is spoken to as SQLite, any other as PostgreSQL.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver

	"github.com/contactkit/contactkit"
)

// Dialect is the SQL spoken to a database.
type Dialect int

// The dialects.
const (
	Postgres Dialect = iota + 1
	SQLite
)

func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// DialectOf tells the dialect of db from its driver's package path: SQLite
// for modernc.org/sqlite, mattn/go-sqlite3 and the like, PostgreSQL for
// any other (pgx, lib/pq).
func DialectOf(db *sql.DB) Dialect {
	t := reflect.TypeOf(db.Driver())
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if strings.Contains(strings.ToLower(t.PkgPath()+"."+t.Name()), "sqlite") {
		return SQLite
	}
	return Postgres
}

// DefaultPostgresConns caps the connections Open keeps to PostgreSQL, far
// under the server's default max_connections (100).
const DefaultPostgresConns = 16

// Open opens the database a DSN names: postgres:// or postgresql:// URLs
// (and "host=... dbname=..." keyword strings) go to PostgreSQL through
// pgx; anything else is a SQLite file (a path, or file:path?...), created
// when missing, in WAL mode with synchronous=FULL (a record answered 200
// survives a power cut), a 10 s busy timeout, immediate write
// transactions, and one connection: SQLite has one writer at a time, and
// queueing the writers in Go's pool is cheaper than having them spin in
// SQLite's busy handler. Open pings the database.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, &contactkit.ValidationError{Field: "dsn", Reason: "is required"}
	}
	var db *sql.DB
	var err error
	if isPostgresDSN(dsn) {
		db, err = sql.Open("pgx", dsn)
		if err == nil {
			db.SetMaxOpenConns(DefaultPostgresConns)
			db.SetMaxIdleConns(DefaultPostgresConns)
		}
	} else {
		db, err = sql.Open("sqlite", SQLiteDSN(dsn))
		if err == nil {
			db.SetMaxOpenConns(1)
			db.SetConnMaxIdleTime(0)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func isPostgresDSN(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://") ||
		strings.Contains(l, "dbname=") || strings.HasPrefix(l, "host=")
}

// SQLiteDSN adds the settings Open uses to a SQLite path or file: URI,
// keeping any the caller set.
func SQLiteDSN(path string) string {
	name, query, _ := strings.Cut(path, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		q = url.Values{}
	}
	for k, v := range map[string]string{
		"_journal_mode": "WAL", "_synchronous": "FULL", "_busy_timeout": "10000",
		"_txlock": "immediate", "_foreign_keys": "1",
	} {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	return name + "?" + q.Encode()
}

// Rebind turns the ? placeholders of q into $1, $2... for PostgreSQL.
// Queries here hold no ? inside literals.
func (d Dialect) Rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := range len(q) {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Column types, by dialect.
const (
	// TypeTime: TIMESTAMPTZ; in SQLite TEXT holding UTC times in a fixed
	// width, so that they compare and sort as text (see TimeArg).
	TypeTime = "{time}"
	// TypeNumeric: exact decimal numbers.
	TypeNumeric = "{numeric}"
	// TypeID: a generated integer primary key.
	TypeID = "{id}"
)

// DDL replaces the {time}, {numeric} and {id} types of a statement.
func (d Dialect) DDL(stmt string) string {
	r := map[Dialect]*strings.Replacer{
		Postgres: strings.NewReplacer(TypeTime, "TIMESTAMPTZ", TypeNumeric, "NUMERIC", TypeID, "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
		SQLite:   strings.NewReplacer(TypeTime, "TEXT", TypeNumeric, "NUMERIC", TypeID, "INTEGER PRIMARY KEY AUTOINCREMENT"),
	}[d]
	if r == nil {
		return stmt
	}
	return r.Replace(stmt)
}

// Varchar declares a text column of at most n characters: VARCHAR(n) in
// PostgreSQL, TEXT with a CHECK in SQLite (which does not enforce lengths).
func (d Dialect) Varchar(col string, n int) string {
	if d == SQLite {
		return fmt.Sprintf("%s TEXT CHECK (length(%s) <= %d)", col, col, n)
	}
	return fmt.Sprintf("%s VARCHAR(%d)", col, n)
}

// sqliteTime is how times are stored in SQLite: UTC, fixed width.
const sqliteTime = "2006-01-02T15:04:05.000000000Z"

// TimeArg is the query argument for a time: NULL for the zero time, the
// UTC time for PostgreSQL, fixed-width UTC text for SQLite.
func (d Dialect) TimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	if d == SQLite {
		return t.UTC().Format(sqliteTime)
	}
	return t.UTC()
}

// Time scans a time column of either dialect; Valid is false for NULL.
type Time struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*t = Time{}
	case time.Time:
		*t = Time{Time: v.UTC(), Valid: true}
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("sqldb: cannot scan %T as a time", v)
	}
	return nil
}

func (t *Time) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if p, err := time.Parse(layout, s); err == nil {
			*t = Time{Time: p.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("sqldb: %q is not a time", s)
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// CheckIdent refuses a table name that is not a plain SQL identifier
// (letters, digits, _; at most 63 characters), as a
// *contactkit.ValidationError for field.
func CheckIdent(field, name string) error {
	if !identRE.MatchString(name) {
		return &contactkit.ValidationError{Field: field, Reason: fmt.Sprintf("%q is not a plain SQL identifier (letters, digits and _, at most 63)", name)}
	}
	return nil
}

// Quote quotes an identifier for either dialect.
func Quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// InTx runs fn in a transaction and commits it; an error of fn, or a
// panic, rolls it back.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
