package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactkit/contactkit/internal/testtool"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/internal/sqltest"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
	"github.com/contactkit/contactkit/salesforce/sqlstore"
)

// TestMain stops the package's PostgreSQL cluster and checks for leaked
// goroutines (goleak).
func TestMain(m *testing.M) { sqltest.Main(m) }

var t0 = time.Date(2024, 5, 6, 9, 30, 0, 0, time.UTC)

func newStore(t testing.TB, k sqltest.Kind, opts ...sqlstore.Option) (*sqlstore.Store, *sql.DB) {
	t.Helper()
	db := sqltest.Open(t, k)
	s, err := sqlstore.New(context.Background(), db, opts...)
	require.NoError(t, err)
	return s, db
}

// receiver serves the store through the real handler.
func receiver(t testing.TB, s *sqlstore.Store, opts ...salesforce.HandlerOption) *httptest.Server {
	t.Helper()
	h, err := salesforce.NewHandler(s.Write, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func post(t testing.TB, c *http.Client, url string, body []byte) int {
	t.Helper()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func wire(t testing.TB, r salesforce.Record) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	return b
}

func callRows(t testing.TB, db *sql.DB) (calls, records int) {
	t.Helper()
	require.NoError(t, db.QueryRow(`SELECT COUNT(DISTINCT part_aid), COUNT(*) FROM wcs_records`).Scan(&calls, &records))
	return calls, records
}

func TestDocumentedCallStoredOnceReadBackGrouped(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			s, db := newStore(t, k)
			srv := receiver(t, s)
			recs := salesforcetest.DocumentedCall(4711, t0)
			recs[0].Unknown = map[string]json.RawMessage{"nNewField": json.RawMessage(`{"a":[1,2]}`)}
			for range 2 { // every record delivered twice
				for _, r := range recs {
					assert.Equal(t, http.StatusOK, post(t, srv.Client(), srv.URL, wire(t, r)))
				}
			}
			n, err := s.Count(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 5, n, "five lines, each stored once")
			calls, lines := callRows(t, db)
			assert.Equal(t, 1, calls)
			assert.Equal(t, 5, lines)

			back, err := s.Records(context.Background(), 4711)
			require.NoError(t, err)
			require.Len(t, back, 5)
			for i := range recs {
				assert.JSONEq(t, string(wire(t, recs[i])), string(wire(t, back[i])), "record %d reads back as sent, unknown fields kept", i)
			}
			sum, ok, err := s.Call(context.Background(), 4711)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, salesforce.GroupCalls(recs)[0], sum)
			assert.Equal(t, "agent.y", sum.AnsweredBy)
			assert.Equal(t, []string{"AAA", "BBB", "CCC"}, sum.TransactionCodes)

			all, err := s.Calls(context.Background(), sqlstore.CallQuery{})
			require.NoError(t, err)
			assert.Equal(t, []salesforce.CallSummary{sum}, all)
			_, ok, err = s.Call(context.Background(), 1)
			require.NoError(t, err)
			assert.False(t, ok)
		})
	}
}

func TestCallsInArrivalOrderWithinBounds(t *testing.T) {
	s, _ := newStore(t, sqltest.SQLite)
	ctx := context.Background()
	for _, id := range []int64{30, 10, 20} {
		for _, r := range salesforcetest.DocumentedCall(id, t0) {
			require.NoError(t, s.Write(ctx, &r))
		}
	}
	calls, err := s.Calls(ctx, sqlstore.CallQuery{Limit: 2})
	require.NoError(t, err)
	require.Len(t, calls, 2)
	assert.Equal(t, int64(30), calls[0].StatisticsPartAID)
	assert.Equal(t, int64(10), calls[1].StatisticsPartAID)
	none, err := s.Calls(ctx, sqlstore.CallQuery{Since: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = s.Calls(ctx, sqlstore.CallQuery{Limit: -1})
	var ve *contactkit.ValidationError
	assert.ErrorAs(t, err, &ve)
}

func TestReadBackInHandlerLocation(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zoneinfo")
	}
	s, _ := newStore(t, sqltest.SQLite, sqlstore.WithLocation(berlin))
	srv := receiver(t, s, salesforce.HandlerLocation(berlin))
	body := []byte(`{"jtelStatisticsPartAID":9,"AgentUID":"a","dtCallStart":"2024-05-06T09:30:00","nDuration":-1,"CONNRES":2}`)
	require.Equal(t, http.StatusOK, post(t, srv.Client(), srv.URL, body))
	back, err := s.Records(context.Background(), 9)
	require.NoError(t, err)
	require.Len(t, back, 1)
	assert.Equal(t, "2024-05-06T09:30:00", back[0].CallStart.String())
	assert.True(t, back[0].CallStart.Equal(time.Date(2024, 5, 6, 7, 30, 0, 0, time.UTC)))
}

func TestIdentity(t *testing.T) {
	recs := salesforcetest.DocumentedCall(1, t0)
	seen := map[sqlstore.Identity]bool{}
	for i := range recs {
		seen[sqlstore.IdentityOf(&recs[i])] = true
	}
	assert.Len(t, seen, 5, "the document's five lines have five identities")

	a := recs[2]
	b := a
	b.Unknown = map[string]json.RawMessage{"nAttempt": json.RawMessage(`2`)}
	b.SalesForceID = "other" // call-level: not part of a line's identity
	assert.Equal(t, sqlstore.IdentityOf(&a), sqlstore.IdentityOf(&b))

	var zoned, plain salesforce.Record
	require.NoError(t, json.Unmarshal([]byte(`{"jtelStatisticsPartAID":1,"dtCallEnd":"2024-05-06T11:30:00+02:00"}`), &zoned))
	require.NoError(t, json.Unmarshal([]byte(`{"jtelStatisticsPartAID":1,"dtCallEnd":"2024-05-06T09:30:00"}`), &plain))
	assert.Equal(t, sqlstore.IdentityOf(&zoned), sqlstore.IdentityOf(&plain), "the same instant, with or without a zone")
	assert.Contains(t, sqlstore.IdentityOf(&a).String(), "jtelStatisticsPartAID=1 line=")
}

// TestConcurrentRedeliveriesStoreExactlyOnce: 2,000 concurrent POSTs of
// 500 distinct records (100 calls of five lines), each sent four times,
// the way jtel resends after 423 or a lost answer, store exactly 500 rows.
// All 2,000 start at once; the client carries them over at most 64
// connections (the race detector makes thousands of sockets slow).
func TestConcurrentRedeliveriesStoreExactlyOnce(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			s, db := newStore(t, k)
			srv := receiver(t, s)
			var bodies [][]byte
			for call := range 100 {
				for _, r := range salesforcetest.DocumentedCall(int64(1000+call), t0.Add(time.Duration(call)*time.Minute)) {
					bodies = append(bodies, wire(t, r))
				}
			}
			require.Len(t, bodies, 500)
			client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			start := make(chan struct{})
			for copyN := range 4 {
				for i := range bodies {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						body := bodies[(i+copyN*137)%len(bodies)]
						for attempt := 0; ; attempt++ { // as jtel: 423 is sent again
							resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
							status := 0
							if err == nil {
								_, _ = io.Copy(io.Discard, resp.Body)
								_ = resp.Body.Close()
								status = resp.StatusCode
							}
							mu.Lock()
							statuses[status]++
							mu.Unlock()
							if status == http.StatusOK || attempt == 200 {
								return
							}
							time.Sleep(time.Duration(1+attempt%10) * time.Millisecond)
						}
					}()
				}
			}
			close(start)
			wg.Wait()
			t.Logf("answers: %v", statuses)
			assert.Zero(t, statuses[http.StatusConflict], "a duplicate is never a 409")
			n, err := s.Count(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 500, n)
			calls, lines := callRows(t, db)
			assert.Equal(t, 100, calls)
			assert.Equal(t, 500, lines)
			got, err := s.Calls(context.Background(), sqlstore.CallQuery{})
			require.NoError(t, err)
			require.Len(t, got, 100)
			for _, c := range got {
				assert.Equal(t, 5, c.Records)
			}
		})
	}
}

// cutAfterInsert installs a trigger that cuts the write's transaction
// after the record's row is inserted and before it commits: in
// PostgreSQL the backend terminates itself, as a crashed server or a
// killed session does (the client sees its connection lost); in SQLite
// the trigger rolls the transaction back (RAISE(ROLLBACK)). It returns
// the function that removes the trigger.
func cutAfterInsert(t *testing.T, db *sql.DB, k sqltest.Kind) (uncut func()) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER cut AFTER INSERT ON wcs_records BEGIN SELECT RAISE(ROLLBACK, 'cut'); END`}
	drop := []string{`DROP TRIGGER cut`}
	if k == sqltest.Postgres {
		stmts = []string{
			`CREATE FUNCTION cut() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); RETURN NEW; END $$`,
			`CREATE TRIGGER cut AFTER INSERT ON wcs_records FOR EACH ROW EXECUTE FUNCTION cut()`,
		}
		drop = []string{`DROP TRIGGER cut ON wcs_records`, `DROP FUNCTION cut()`}
	}
	for _, q := range stmts {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	return func() {
		for _, q := range drop {
			_, err := db.Exec(q)
			require.NoError(t, err)
		}
	}
}

func TestCutTransactionLeavesNoPartialRecord(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			s, db := newStore(t, k)
			srv := receiver(t, s)
			rec := salesforcetest.DocumentedCall(77, t0)[2]
			uncut := cutAfterInsert(t, db, k)
			err := s.Write(context.Background(), &rec)
			require.Error(t, err)
			var re *sqlstore.RecordError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, sqlstore.IdentityOf(&rec), re.Identity)
			if k == sqltest.Postgres {
				assert.ErrorIs(t, err, contactkit.ErrLocked, "a lost connection answers 423 so jtel sends again")
			}
			assert.Equal(t, http.StatusLocked, post(t, srv.Client(), srv.URL, wire(t, rec)), "not written: jtel keeps it")

			n, err := s.Count(context.Background())
			require.NoError(t, err)
			assert.Zero(t, n, "nothing of a record whose transaction was cut")

			// jtel's resend is stored whole, once.
			uncut()
			assert.Equal(t, http.StatusOK, post(t, srv.Client(), srv.URL, wire(t, rec)))
			assert.Equal(t, http.StatusOK, post(t, srv.Client(), srv.URL, wire(t, rec)))
			n, err = s.Count(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			back, err := s.Records(context.Background(), 77)
			require.NoError(t, err)
			require.Len(t, back, 1)
			assert.JSONEq(t, string(wire(t, rec)), string(wire(t, back[0])))
		})
	}
}

func TestBusyDatabaseAnswers423(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := sqlstore.Open(context.Background(), path+"?_busy_timeout=20")
	require.NoError(t, err)
	defer db.Close()
	s, err := sqlstore.New(context.Background(), db)
	require.NoError(t, err)
	srv := receiver(t, s)

	other, err := sql.Open("sqlite", sqldb.SQLiteDSN(path))
	require.NoError(t, err)
	defer other.Close()
	tx, err := other.Begin() // immediate: holds the write lock
	require.NoError(t, err)
	body := wire(t, salesforcetest.DocumentedCall(5, t0)[0])
	assert.Equal(t, http.StatusLocked, post(t, srv.Client(), srv.URL, body), "busy is answered 423")
	require.NoError(t, tx.Rollback())
	assert.Equal(t, http.StatusOK, post(t, srv.Client(), srv.URL, body))
}

func TestValueTooLongIsReportedWithIdentity(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			rec := salesforcetest.DocumentedCall(99, t0)[0]
			rec.AgentUID = strings.Repeat("x", 300)
			id := sqlstore.IdentityOf(&rec)

			t.Run("default: logged and answered 423", func(t *testing.T) {
				s, _ := newStore(t, k)
				var log testtool.SyncBuffer
				srv := receiver(t, s, salesforce.HandlerLogger(slog.New(slog.NewTextHandler(&log, nil))))
				assert.Equal(t, http.StatusLocked, post(t, srv.Client(), srv.URL, wire(t, rec)))
				assert.Contains(t, log.String(), id.String(), "the log names the record")
				assert.Contains(t, log.String(), "level=ERROR")

				err := s.Write(context.Background(), &rec)
				var re *sqlstore.RecordError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, id, re.Identity)
				assert.False(t, re.Transient)
				assert.NotErrorIs(t, err, contactkit.ErrLocked)
				n, err := s.Count(context.Background())
				require.NoError(t, err)
				assert.Zero(t, n)
			})
			t.Run("quarantine: kept with the reason, answered 200", func(t *testing.T) {
				s, _ := newStore(t, k, sqlstore.WithQuarantine())
				srv := receiver(t, s)
				assert.Equal(t, http.StatusOK, post(t, srv.Client(), srv.URL, wire(t, rec)))
				rej, err := s.Rejected(context.Background())
				require.NoError(t, err)
				require.Len(t, rej, 1)
				assert.Equal(t, id, rej[0].Identity)
				assert.Contains(t, rej[0].Reason, id.String())
				assert.JSONEq(t, string(wire(t, rec)), rej[0].Body)
				assert.WithinDuration(t, time.Now(), rej[0].ReceivedAt, time.Minute)
			})
		})
	}
}

func TestUnreadableBodyKept(t *testing.T) {
	s, _ := newStore(t, sqltest.SQLite)
	h, err := salesforce.NewHandler(s.Write, salesforce.HandlerUnreadable(s.Unreadable))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	assert.Equal(t, http.StatusOK, post(t, srv.Client(), srv.URL, []byte(`[1,2,3]`)))
	rej, err := s.Rejected(context.Background())
	require.NoError(t, err)
	require.Len(t, rej, 1)
	assert.Equal(t, "[1,2,3]", rej[0].Body)
	assert.Zero(t, rej[0].Identity)
	assert.Contains(t, rej[0].Reason, "unreadable")
}

func TestSchemaCreatedOnceVersioned(t *testing.T) {
	for _, k := range sqltest.Kinds {
		t.Run(string(k), func(t *testing.T) {
			dsn := sqltest.DSN(t, k)
			ctx := context.Background()
			for range 2 { // reopening finds the schema in place
				db, err := sqlstore.Open(ctx, dsn)
				require.NoError(t, err)
				_, err = sqlstore.New(ctx, db)
				require.NoError(t, err)
				v, err := sqldb.SchemaVersion(ctx, db, sqldb.DialectOf(db), sqlstore.Component)
				require.NoError(t, err)
				assert.Equal(t, 1, v)
				require.NoError(t, db.Close())
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	var ve *contactkit.ValidationError
	_, err := sqlstore.New(context.Background(), nil)
	assert.ErrorAs(t, err, &ve)
	db := sqltest.Open(t, sqltest.SQLite)
	_, err = sqlstore.New(context.Background(), db, sqlstore.WithLocation(nil))
	assert.ErrorAs(t, err, &ve)
	_, err = sqlstore.New(context.Background(), db, nil)
	assert.ErrorAs(t, err, &ve)
	_, err = sqlstore.Open(context.Background(), " ")
	assert.True(t, errors.As(err, &ve))
}

// waitQueued waits until n records wait for a group write.
func waitQueued(t *testing.T, s *sqlstore.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d records queued, want %d", s.Queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitIsolatesABadRecord: records that queue up behind a
// busy SQLite connection are written as one group; one record the
// database refuses fails alone, and the others are stored.
func TestGroupCommitIsolatesABadRecord(t *testing.T) {
	s, db := newStore(t, sqltest.SQLite)
	ctx := context.Background()
	conn, err := db.Conn(ctx) // the store's only connection: writers queue
	require.NoError(t, err)

	var recs []salesforce.Record
	for call := range 10 {
		recs = append(recs, salesforcetest.DocumentedCall(int64(500+call), t0)...)
	}
	recs[17].AgentUID = strings.Repeat("y", 400)
	errs := make([]error, len(recs))
	var wg sync.WaitGroup
	for i := range recs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Write(ctx, &recs[i]) }()
	}
	waitQueued(t, s, len(recs)-1) // all but the leader, which waits for the connection
	require.NoError(t, conn.Close())
	wg.Wait()
	for i, err := range errs {
		if i == 17 {
			var re *sqlstore.RecordError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, sqlstore.IdentityOf(&recs[17]), re.Identity)
			continue
		}
		assert.NoError(t, err, "record %d", i)
	}
	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(recs)-1, n)
}

// TestQueuedWriteGivesUpWithItsRequest: a record whose request ends while
// it waits for a group is taken out of the queue (423: jtel resends), and
// the others are not held up.
func TestQueuedWriteGivesUpWithItsRequest(t *testing.T) {
	s, db := newStore(t, sqltest.SQLite)
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	recs := salesforcetest.DocumentedCall(600, t0)
	leaderDone := make(chan error, 1)
	go func() { leaderDone <- s.Write(context.Background(), &recs[0]) }()
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	for !s.Leading() { // the first write leads, and waits for the connection
		time.Sleep(time.Millisecond)
	}
	go func() { gaveUp <- s.Write(ctx, &recs[1]) }()
	waitQueued(t, s, 1)
	cancel()
	err = <-gaveUp
	assert.ErrorIs(t, err, contactkit.ErrLocked)
	assert.Zero(t, s.Queued())
	require.NoError(t, conn.Close())
	require.NoError(t, <-leaderDone)
	require.NoError(t, s.Write(context.Background(), &recs[2]), "nothing is left waiting for a lead")
	n, err := s.Count(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}
