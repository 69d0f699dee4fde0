// Package sqlstore stores jtel writeCallStatistics records in a SQL
// database, exactly once each, for salesforce.NewHandler:
//
//	db, err := sqlstore.Open(ctx, "callstats.db") // or "postgres://user@host/db"
//	store, err := sqlstore.New(ctx, db)
//	h, err := salesforce.NewHandler(store.Write,
//		salesforce.HandlerUnreadable(store.Unreadable), salesforce.RequireBearer(token))
//
// It works on database/sql with any driver and is tested on two: SQLite
// through modernc.org/sqlite (pure Go, the embedded default: one file, WAL,
// created on first use) and PostgreSQL through github.com/jackc/pgx/v5.
// A driver whose package path names sqlite is spoken to as SQLite, any
// other as PostgreSQL.
//
// # What the answers mean
//
// Write stores each record in one transaction, keyed by its Identity, and
// its answer is what jtel acts on (see salesforce.RecordFunc):
//
//   - stored, or already stored (a redelivery after a 423 or a lost
//     answer, a duplicate POST): nil, so 200. A redelivery writes nothing;
//     it is never a second row and never a 409.
//   - a transient database failure (SQLite busy or locked, a lost or
//     refused connection, a PostgreSQL serialization failure or deadlock,
//     too many connections, the caller's request ending): a *RecordError
//     that matches contactkit.ErrLocked, so 423 and jtel sends the record
//     again. The transaction was rolled back: nothing of the record is
//     stored.
//   - a record the database refuses for good (a value too long for its
//     column, say): a *RecordError naming the record's identity and the
//     cause. The handler's policy for such an error is to log it (with
//     salesforce.HandlerLogger) and answer 423, so the record stays in
//     jtel until the schema is fixed; nothing is silently dropped. With
//     WithQuarantine the record is kept in wcs_rejected instead, with the
//     reason, and answered 200.
//
// Unreadable is a salesforce.UnreadableFunc that keeps bodies that could
// not be read as a record in wcs_rejected (answered 200 once stored).
//
// # Identity: which fields identify a line
//
// jtel sends one record per line of call data: per agent tried, per ACD
// group routed through, per transaction code (see the table in jtel's
// document and salesforce.GroupCalls). All records of one call share
// jtelStatisticsPartAID and the call-level fields (SalesForceID,
// bOutbound, CallerID, ServiceNumber, ServiceName, dtCallStart), so those
// cannot tell lines apart. What does is where the line sits in the call:
//
//   - the agent attempt: AgentUID with dtCallAlert, dtCallConnect and
//     dtCallEnd (the same agent can be tried twice in one call, at other
//     times), and its outcome nDuration, CONNRES and Cause;
//   - the routing: AcdAgentGroupsName and AcdConfigurationGroupsName;
//   - the transaction code: TransactionCodeExportKey (the document's lines
//     4 and 5 differ only in it).
//
// The identity is jtelStatisticsPartAID plus a SHA-256 of those fields
// (times as instants, so a time sent with or without a zone names the same
// moment). Fields the document does not list (Record.Unknown) are left
// out, so that a newer jtel adding, say, a delivery counter does not make
// every resend look new. A redelivery carries the same values and so the
// same identity.
//
// # Tables (schema version 1, created or migrated on first use)
//
// Migrations are recorded per component in contactkit_schema (component,
// version, name, applied_at); New applies the missing ones, each in one
// transaction, serialized between processes. Times are TIMESTAMPTZ in
// PostgreSQL and UTC text (2006-01-02T15:04:05.000000000Z) in SQLite;
// VARCHAR(n) is TEXT with a CHECK on its length in SQLite.
//
//	CREATE TABLE wcs_records (
//		id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- arrival order
//		part_aid            BIGINT NOT NULL,       -- jtelStatisticsPartAID
//		line_key            VARCHAR(64) NOT NULL,  -- Identity.Line
//		salesforce_id       VARCHAR(255),
//		agent_uid           VARCHAR(255),
//		outbound            BOOLEAN NOT NULL,
//		caller_id           VARCHAR(64),
//		service_number      VARCHAR(255),
//		service_name        VARCHAR(255),
//		agent_group         VARCHAR(255),
//		configuration_group VARCHAR(255),
//		call_start          TIMESTAMPTZ,           -- NULL when the field was empty
//		call_alert          TIMESTAMPTZ,
//		call_connect        TIMESTAMPTZ,
//		call_end            TIMESTAMPTZ,
//		duration_seconds    INTEGER NOT NULL,      -- nDuration, -1 no connection
//		connres             INTEGER NOT NULL,
//		cause               INTEGER NOT NULL,
//		transaction_code    VARCHAR(255),
//		body                TEXT NOT NULL,         -- the record as JSON, unknown fields kept
//		received_at         TIMESTAMPTZ NOT NULL,
//		UNIQUE (part_aid, line_key)
//	);
//	CREATE TABLE wcs_rejected (                    -- WithQuarantine and Unreadable
//		id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
//		received_at TIMESTAMPTZ NOT NULL,
//		part_aid    BIGINT,                        -- NULL for an unreadable body
//		line_key    VARCHAR(64),
//		reason      TEXT NOT NULL,
//		body        TEXT NOT NULL
//	);
//
// A record is one row, written by one INSERT ... ON CONFLICT (part_aid,
// line_key) DO NOTHING, a transaction of its own that commits before the
// 200 is sent: a process killed mid-write, or a connection lost before
// the commit, leaves nothing of the record (and jtel, having had no 200,
// sends it again); two copies racing store one row. The unique index
// also serves the reads of a call's records. One row per record keeps a
// write as cheap as a plain INSERT (BenchmarkStore compares them); calls
// are folded when read.
//
// SQLite has one writer and syncs its log at every commit, so records
// that arrive while a write is under way are written together, in one
// transaction with one sync (group commit); each is still answered only
// after the commit that holds it, and if anything in a group fails, each
// of its records is written alone, so one bad record never fails another.
//
// # Reading back
//
// Records returns a call's records in arrival order, decoded from body
// (unknown fields and the times' wire text kept); Call and Calls fold them
// as salesforce.GroupCalls does.
package sqlstore
