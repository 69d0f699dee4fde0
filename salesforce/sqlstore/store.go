package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/salesforce"
)

// Component names this store's schema in contactkit_schema.
const Component = "salesforce/sqlstore"

// Column limits of wcs_records (see the package doc).
const (
	maxText   = 255
	maxCaller = 64
)

var migrations = []sqldb.Migration{{
	Version: 1, Name: "records, rejected",
	Up: func(d sqldb.Dialect) []string {
		v := d.Varchar
		return []string{
			d.DDL(`CREATE TABLE wcs_records (
	id {id},
	part_aid BIGINT NOT NULL,
	` + v("line_key", 64) + ` NOT NULL,
	` + v("salesforce_id", maxText) + `,
	` + v("agent_uid", maxText) + `,
	outbound BOOLEAN NOT NULL,
	` + v("caller_id", maxCaller) + `,
	` + v("service_number", maxText) + `,
	` + v("service_name", maxText) + `,
	` + v("agent_group", maxText) + `,
	` + v("configuration_group", maxText) + `,
	call_start {time},
	call_alert {time},
	call_connect {time},
	call_end {time},
	duration_seconds INTEGER NOT NULL,
	connres INTEGER NOT NULL,
	cause INTEGER NOT NULL,
	` + v("transaction_code", maxText) + `,
	body TEXT NOT NULL,
	received_at {time} NOT NULL,
	UNIQUE (part_aid, line_key)
)`),
			d.DDL(`CREATE TABLE wcs_rejected (
	id {id},
	received_at {time} NOT NULL,
	part_aid BIGINT,
	` + v("line_key", 64) + `,
	reason TEXT NOT NULL,
	body TEXT NOT NULL
)`),
		}
	},
}}

// Open opens the database a DSN names, as the store wants it: a
// postgres:// or postgresql:// URL is PostgreSQL (through pgx, at most 16
// connections); anything else is a SQLite file, created when missing, in
// WAL mode, synchronous=FULL (a record answered 200 survives a power
// cut), with a busy timeout and one connection (SQLite has one writer).
// A *sql.DB you open yourself works too.
func Open(ctx context.Context, dsn string) (*sql.DB, error) { return sqldb.Open(ctx, dsn) }

// Store writes records to wcs_records and reads them back. It is safe for
// concurrent use; several processes may share one database.
type Store struct {
	db         *sql.DB
	d          sqldb.Dialect
	loc        *time.Location
	quarantine bool

	insertRecord   *sql.Stmt // prepared once: SQLite parses no SQL per record
	insertRejected string
	group          group // SQLite's group commit (group.go)
}

// Option configures a Store.
type Option func(*Store) error

// WithLocation sets the zone in which Records and Calls read times that
// jtel sent without one: the zone given to salesforce.HandlerLocation
// (UTC by default). Stored instants do not depend on it.
func WithLocation(loc *time.Location) Option {
	return func(s *Store) error {
		if loc == nil {
			return &contactkit.ValidationError{Field: "WithLocation", Reason: "is nil"}
		}
		s.loc = loc
		return nil
	}
}

// WithQuarantine keeps a record that the database refuses for good (a
// value too long for its column, say) in wcs_rejected with the reason,
// and answers 200, instead of returning the *RecordError (which the
// handler answers 423, so jtel keeps sending it until the schema is
// fixed).
func WithQuarantine() Option {
	return func(s *Store) error { s.quarantine = true; return nil }
}

// New returns a store on db, creating or migrating its tables first.
func New(ctx context.Context, db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, &contactkit.ValidationError{Field: "db", Reason: "is nil"}
	}
	s := &Store{db: db, d: sqldb.DialectOf(db), loc: time.UTC}
	for _, o := range opts {
		if o == nil {
			return nil, &contactkit.ValidationError{Field: "option", Reason: "is nil"}
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if err := sqldb.Migrate(ctx, db, s.d, Component, migrations); err != nil {
		return nil, fmt.Errorf("salesforce/sqlstore: %w", err)
	}
	ins, err := db.PrepareContext(ctx, s.d.Rebind(`INSERT INTO wcs_records (part_aid, line_key, salesforce_id, agent_uid, outbound, caller_id,
	service_number, service_name, agent_group, configuration_group, call_start, call_alert, call_connect, call_end,
	duration_seconds, connres, cause, transaction_code, body, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (part_aid, line_key) DO NOTHING`))
	if err != nil {
		return nil, fmt.Errorf("salesforce/sqlstore: %w", err)
	}
	s.insertRecord = ins
	s.insertRejected = s.d.Rebind(`INSERT INTO wcs_rejected (received_at, part_aid, line_key, reason, body) VALUES (?, ?, ?, ?, ?)`)
	return s, nil
}

// Close releases the store's prepared statement; it does not close the
// database.
func (s *Store) Close() error { return s.insertRecord.Close() }

// Identity identifies one line of call data: the call and a digest of the
// fields that tell the call's lines apart (see the package doc).
type Identity struct {
	PartAID int64  // jtelStatisticsPartAID
	Line    string // 32 hex digits
}

func (id Identity) String() string {
	return fmt.Sprintf("jtelStatisticsPartAID=%d line=%s", id.PartAID, id.Line)
}

// IdentityOf returns the identity of a record.
func IdentityOf(r *salesforce.Record) Identity {
	h := sha256.New()
	var n [8]byte
	text := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	at := func(t salesforce.Time) {
		if t.IsZero() {
			text("")
			return
		}
		text(t.UTC().Format(time.RFC3339Nano))
	}
	text(r.AgentUID)
	at(r.CallAlert)
	at(r.CallConnect)
	at(r.CallEnd)
	num(int64(r.DurationSeconds))
	num(int64(r.Result))
	num(int64(r.Cause))
	text(r.AgentGroupName)
	text(r.ConfigurationGroupName)
	text(r.TransactionCodeExportKey)
	sum := h.Sum(nil)
	return Identity{PartAID: r.StatisticsPartAID, Line: hex.EncodeToString(sum[:16])}
}

// RecordError is a record that was not stored, with its identity. When
// Transient is set (the database was busy, locked or unreachable, or the
// request ended) it matches contactkit.ErrLocked, so the handler answers
// 423 and jtel sends the record again; otherwise the database refused
// the record itself.
type RecordError struct {
	Identity  Identity
	Transient bool
	Err       error
}

func (e *RecordError) Error() string {
	what := "refused by the database"
	if e.Transient {
		what = "not stored now (send again)"
	}
	return fmt.Sprintf("salesforce/sqlstore: record %s %s: %v", e.Identity, what, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Is makes a transient RecordError match contactkit.ErrLocked.
func (e *RecordError) Is(target error) bool { return e.Transient && target == contactkit.ErrLocked }

// Write stores one record in one transaction (a single INSERT ... ON
// CONFLICT DO NOTHING), once: a record whose identity is stored already
// is a no-op. It is a salesforce.RecordFunc;
// its error picks jtel's answer as the package doc describes.
func (s *Store) Write(ctx context.Context, r *salesforce.Record) error {
	id := IdentityOf(r)
	body, err := r.MarshalJSON()
	if err != nil {
		return &RecordError{Identity: id, Err: err}
	}
	// One statement, in a transaction of its own (or, in SQLite, of a group
	// of concurrent records: group.go): the row is stored whole when this
	// returns, or not at all. ON CONFLICT DO NOTHING makes a redelivery a
	// no-op, also when two copies race.
	err = s.insert(ctx, []any{id.PartAID, id.Line,
		nullText(r.SalesForceID), nullText(r.AgentUID), r.Outbound, nullText(r.CallerID),
		nullText(r.ServiceNumber), nullText(r.ServiceName), nullText(r.AgentGroupName), nullText(r.ConfigurationGroupName),
		s.d.TimeArg(r.CallStart.Time), s.d.TimeArg(r.CallAlert.Time), s.d.TimeArg(r.CallConnect.Time), s.d.TimeArg(r.CallEnd.Time),
		r.DurationSeconds, int(r.Result), int(r.Cause), nullText(r.TransactionCodeExportKey), string(body), s.d.TimeArg(time.Now())})
	if err == nil {
		return nil
	}
	rerr := &RecordError{Identity: id, Transient: sqldb.Transient(err) || ctx.Err() != nil, Err: err}
	if rerr.Transient || !s.quarantine {
		return rerr
	}
	return s.reject(ctx, &id, rerr.Error(), body)
}

// Unreadable keeps a body that could not be read as a record in
// wcs_rejected with the reason, so that it is answered 200 once stored
// (a salesforce.UnreadableFunc; pass it with salesforce.HandlerUnreadable).
// If it cannot be stored the answer is 423 and jtel sends it again.
func (s *Store) Unreadable(ctx context.Context, body []byte, reason error) error {
	return s.reject(ctx, nil, reason.Error(), body)
}

func (s *Store) reject(ctx context.Context, id *Identity, reason string, body []byte) error {
	var part, line any
	if id != nil {
		part, line = id.PartAID, id.Line
	}
	_, err := s.db.ExecContext(ctx, s.insertRejected, s.d.TimeArg(time.Now()), part, line, reason, strings.ToValidUTF8(string(body), "\uFFFD"))
	if err != nil {
		rid := Identity{}
		if id != nil {
			rid = *id
		}
		return &RecordError{Identity: rid, Transient: true, Err: fmt.Errorf("keeping the rejected record: %w", err)}
	}
	return nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Records returns the stored records of one call in arrival order, as
// they were received (unknown fields and the times' wire text kept).
func (s *Store) Records(ctx context.Context, partAID int64) ([]salesforce.Record, error) {
	return s.records(ctx, s.d.Rebind(`SELECT body FROM wcs_records WHERE part_aid = ? ORDER BY id`), partAID)
}

// Call folds the stored records of one call as salesforce.Summarize does;
// ok is false when none is stored.
func (s *Store) Call(ctx context.Context, partAID int64) (sum salesforce.CallSummary, ok bool, err error) {
	recs, err := s.Records(ctx, partAID)
	if err != nil || len(recs) == 0 {
		return salesforce.CallSummary{}, false, err
	}
	return salesforce.Summarize(recs), true, nil
}

// CallQuery selects calls by when their records arrived.
type CallQuery struct {
	// Since and Until select the calls with a record that arrived in
	// [Since, Until); zero means unbounded. All of a selected call's
	// records are returned.
	Since, Until time.Time
	// Limit caps the calls returned (0: 1000).
	Limit int
}

// Calls returns the stored calls in the order of their first record's
// arrival, each folded as salesforce.GroupCalls does.
func (s *Store) Calls(ctx context.Context, q CallQuery) ([]salesforce.CallSummary, error) {
	if q.Limit < 0 {
		return nil, &contactkit.ValidationError{Field: "Limit", Reason: "must not be negative"}
	}
	if q.Limit == 0 {
		q.Limit = 1000
	}
	var where []string
	var args []any
	if !q.Since.IsZero() {
		where, args = append(where, "received_at >= ?"), append(args, s.d.TimeArg(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "received_at < ?"), append(args, s.d.TimeArg(q.Until))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit)
	recs, err := s.records(ctx, s.d.Rebind(`SELECT r.body FROM wcs_records r JOIN (
	SELECT part_aid, MIN(id) AS first_id FROM wcs_records`+cond+` GROUP BY part_aid ORDER BY first_id LIMIT ?
) c ON c.part_aid = r.part_aid ORDER BY c.first_id, r.id`), args...)
	if err != nil {
		return nil, err
	}
	return salesforce.GroupCalls(recs), nil
}

func (s *Store) records(ctx context.Context, query string, args ...any) ([]salesforce.Record, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []salesforce.Record
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var r salesforce.Record
		if err := r.UnmarshalJSON([]byte(body)); err != nil {
			return nil, fmt.Errorf("salesforce/sqlstore: a stored record does not decode: %w", err)
		}
		r.CallStart, r.CallAlert = r.CallStart.WallClockIn(s.loc), r.CallAlert.WallClockIn(s.loc)
		r.CallConnect, r.CallEnd = r.CallConnect.WallClockIn(s.loc), r.CallEnd.WallClockIn(s.loc)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rejected is a record or body kept in wcs_rejected.
type Rejected struct {
	ID         int64
	ReceivedAt time.Time
	// Identity is the record's, zero for a body that was not readable.
	Identity Identity
	Reason   string
	Body     string
}

// Rejected returns what was kept in wcs_rejected, oldest first.
func (s *Store) Rejected(ctx context.Context) ([]Rejected, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, received_at, part_aid, line_key, reason, body FROM wcs_rejected ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rejected
	for rows.Next() {
		var r Rejected
		var at sqldb.Time
		var part sql.NullInt64
		var line sql.NullString
		if err := rows.Scan(&r.ID, &at, &part, &line, &r.Reason, &r.Body); err != nil {
			return nil, err
		}
		r.ReceivedAt, r.Identity = at.Time, Identity{PartAID: part.Int64, Line: line.String}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Count returns how many records are stored.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM wcs_records`).Scan(&n)
	return n, err
}
