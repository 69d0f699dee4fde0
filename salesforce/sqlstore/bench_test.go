package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/internal/sqltest"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
	"github.com/contactkit/contactkit/salesforce/sqlstore"
)

// batch is how many records one timed run stores.
const batch = 24

// BenchmarkStore compares records per second into the store with N
// hand-written writers on the same database in the same run, for N = 1
// (jtel's daemon posting one record at a time) and N = 8 concurrent
// writers, on SQLite and PostgreSQL:
//
//   - receiver: N HTTP senders POST jtel's JSON to salesforce.NewHandler(
//     store.Write) (decode, identity, one INSERT in its own transaction);
//   - direct: N goroutines call store.Write with decoded records, which
//     takes HTTP out of the comparison;
//   - hand: N goroutines each run the same prepared INSERT ... ON CONFLICT
//     DO NOTHING, in autocommit, with the same row values the store writes
//     (computed before the clock starts, so the hand-written figure is the
//     database's cost alone), into a table of the same definition, through
//     the same *sql.DB.
//
// Each iteration stores one batch through the receiver and the same rows
// by hand, then another batch directly and the same rows by hand, each
// pair back to back (the order within and between pairs alternates), so
// that both sides of a ratio see the same disk: fsync timing on a shared
// machine varies by several times within a minute. receiver/hand and
// direct/hand are the store's rate over the hand-written rate of its
// pair; the target is ≥ 0.8.
//
//	go test -run '^$' -bench Store -benchtime 100x -count 3 ./salesforce/sqlstore/
func BenchmarkStore(b *testing.B) {
	for _, k := range sqltest.Kinds {
		for _, writers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/writers=%d", k, writers), func(b *testing.B) { benchStore(b, k, writers) })
		}
	}
}

func benchStore(b *testing.B, k sqltest.Kind, writers int) {
	ctx := context.Background()
	s, db := newStore(b, k)
	srv := receiver(b, s)
	d := sqldb.DialectOf(db)
	_, err := db.ExecContext(ctx, sqlstore.RecordsTableDDL(d, "hand_records"))
	require.NoError(b, err)
	insert, err := db.PrepareContext(ctx, d.Rebind(`INSERT INTO hand_records (part_aid, line_key, salesforce_id, agent_uid, outbound, caller_id,
	service_number, service_name, agent_group, configuration_group, call_start, call_alert, call_connect, call_end,
	duration_seconds, connres, cause, transaction_code, body, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (part_aid, line_key) DO NOTHING`))
	require.NoError(b, err)
	defer insert.Close()
	_, err = db.ExecContext(ctx, sqlstore.RecordsTableDDL(d, "hand_http_records"))
	require.NoError(b, err)
	insertHTTP, err := db.PrepareContext(ctx, d.Rebind(`INSERT INTO hand_http_records (part_aid, line_key, salesforce_id, agent_uid, outbound, caller_id,
	service_number, service_name, agent_group, configuration_group, call_start, call_alert, call_connect, call_end,
	duration_seconds, connres, cause, transaction_code, body, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (part_aid, line_key) DO NOTHING`))
	require.NoError(b, err)
	defer insertHTTP.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: writers}}
	defer client.CloseIdleConnections()

	call := 0
	nextBatch := func() []salesforce.Record {
		var out []salesforce.Record
		for len(out) < batch {
			call++
			out = append(out, salesforcetest.DocumentedCall(int64(call), time.Unix(int64(call)*60, 0))...)
		}
		return out[:batch]
	}
	// rows are the values Store.Write inserts for recs.
	rows := func(recs []salesforce.Record) [][]any {
		text := func(s string) any {
			if s == "" {
				return nil
			}
			return s
		}
		out := make([][]any, len(recs))
		for i := range recs {
			r := &recs[i]
			id := sqlstore.IdentityOf(r)
			body, err := r.MarshalJSON()
			require.NoError(b, err)
			out[i] = []any{id.PartAID, id.Line,
				text(r.SalesForceID), text(r.AgentUID), r.Outbound, text(r.CallerID),
				text(r.ServiceNumber), text(r.ServiceName), text(r.AgentGroupName), text(r.ConfigurationGroupName),
				d.TimeArg(r.CallStart.Time), d.TimeArg(r.CallAlert.Time), d.TimeArg(r.CallConnect.Time), d.TimeArg(r.CallEnd.Time),
				r.DurationSeconds, int(r.Result), int(r.Cause), text(r.TransactionCodeExportKey), string(body), d.TimeArg(time.Now())}
		}
		return out
	}
	// handSrv is a hand-written receiver: read the body, encoding/json
	// into the record, the same row by the same prepared INSERT, 200.
	handSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var rec salesforce.Record
		if err == nil {
			err = json.Unmarshal(body, &rec)
		}
		if err == nil {
			_, err = insertHTTP.ExecContext(r.Context(), rows([]salesforce.Record{rec})[0]...)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusLocked)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer handSrv.Close()
	// spread runs do(i) for i in [0, n) on the benchmark's writers.
	spread := func(n int, do func(i int)) {
		next := make(chan int, n)
		for i := range n {
			next <- i
		}
		close(next)
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for i := range next {
					do(i)
				}
			})
		}
		wg.Wait()
	}
	viaReceiver := func(url string, wires [][]byte) func() {
		return func() {
			spread(len(wires), func(i int) {
				resp, err := client.Post(url, "application/json", bytes.NewReader(wires[i]))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
				}
			})
		}
	}
	direct := func(recs []salesforce.Record) func() {
		return func() {
			spread(len(recs), func(i int) {
				if err := s.Write(ctx, &recs[i]); err != nil {
					b.Error(err)
				}
			})
		}
	}
	byHand := func(rows [][]any) func() {
		return func() {
			spread(len(rows), func(i int) {
				if _, err := insert.ExecContext(ctx, rows[i]...); err != nil {
					b.Error(err)
				}
			})
		}
	}
	timed := func(fn func(), total *time.Duration) {
		start := time.Now()
		fn()
		*total += time.Since(start)
	}
	// pair times the store's run and the hand-written run of the same
	// rows back to back, in the order given.
	pair := func(store func(), tStore *time.Duration, hand func(), tHand *time.Duration, storeFirst bool) {
		if storeFirst {
			timed(store, tStore)
			timed(hand, tHand)
		} else {
			timed(hand, tHand)
			timed(store, tStore)
		}
	}

	wiresOf := func(recs []salesforce.Record) [][]byte {
		wires := make([][]byte, len(recs))
		for i := range recs {
			wires[i] = wire(b, recs[i])
		}
		return wires
	}
	var tRecv, tHandRecv, tDirect, tHandDirect, tRecv2, tHandHTTP time.Duration
	n := 0
	for b.Loop() {
		a, c, e := nextBatch(), nextBatch(), nextBatch()
		recv := func() { pair(viaReceiver(srv.URL, wiresOf(a)), &tRecv, byHand(rows(a)), &tHandRecv, n%2 == 0) }
		dir := func() { pair(direct(c), &tDirect, byHand(rows(c)), &tHandDirect, n%2 == 1) }
		http := func() {
			pair(viaReceiver(srv.URL, wiresOf(e)), &tRecv2, viaReceiver(handSrv.URL, wiresOf(e)), &tHandHTTP, n%2 == 0)
		}
		switch n % 3 {
		case 0:
			recv()
			dir()
			http()
		case 1:
			dir()
			http()
			recv()
		default:
			http()
			recv()
			dir()
		}
		n++
	}
	perRun := float64(n * batch)
	b.ReportMetric(perRun/tRecv.Seconds(), "receiver-rec/s")
	b.ReportMetric(perRun/tDirect.Seconds(), "direct-rec/s")
	b.ReportMetric(2*perRun/(tHandRecv+tHandDirect).Seconds(), "hand-rec/s")
	b.ReportMetric(tHandRecv.Seconds()/tRecv.Seconds(), "receiver/hand")
	b.ReportMetric(tHandDirect.Seconds()/tDirect.Seconds(), "direct/hand")
	b.ReportMetric(perRun/tHandHTTP.Seconds(), "hand-http-rec/s")
	b.ReportMetric(tHandHTTP.Seconds()/tRecv2.Seconds(), "receiver/hand-http")
	b.ReportMetric(0, "ns/op") // an iteration is four timed runs and their setup: not a figure to read

	stored, err := s.Count(ctx)
	require.NoError(b, err)
	require.Equal(b, 3*n*batch, stored)
	var byHandStored int
	require.NoError(b, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hand_records`).Scan(&byHandStored))
	require.Equal(b, 2*n*batch, byHandStored)
	var byHandHTTPStored int
	require.NoError(b, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hand_http_records`).Scan(&byHandHTTPStored))
	require.Equal(b, n*batch, byHandHTTPStored)
}
