package sqlstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/sqldb"
	"github.com/contactkit/contactkit/internal/sqltest"
	"github.com/contactkit/contactkit/salesforce"
	"github.com/contactkit/contactkit/salesforce/salesforcetest"
)

// batch is how many records one benchmark iteration stores each way.
const batch = 40

// BenchmarkStore compares records per second through the receiver (HTTP
// POST, decode, Write in one transaction) with a hand-written INSERT loop
// of the same records into a table of the same columns and unique key, on
// the same database in the same run. Each iteration stores a batch both
// ways, in turn (which goes first alternates), so that both see the same
// disk: fsync timing on a shared machine varies by several times within a
// minute. The receiver is driven by 1 sender (jtel's daemon posting one
// record at a time) and by 8 concurrent senders; the INSERT loop is one
// writer, as a loop is.
//
//	go test -run '^$' -bench Store -benchtime 50x ./salesforce/sqlstore/
func BenchmarkStore(b *testing.B) {
	for _, k := range sqltest.Kinds {
		for _, senders := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/senders=%d", k, senders), func(b *testing.B) { benchStore(b, k, senders) })
		}
	}
}

func benchStore(b *testing.B, k sqltest.Kind, senders int) {
	s, db := newStore(b, k)
	srv := receiver(b, s)
	d := sqldb.DialectOf(db)
	_, err := db.Exec(d.DDL(`CREATE TABLE hand_records (id {id}, part_aid BIGINT NOT NULL, line_key TEXT NOT NULL,
	salesforce_id TEXT, agent_uid TEXT, outbound BOOLEAN NOT NULL, caller_id TEXT, service_number TEXT, service_name TEXT,
	agent_group TEXT, configuration_group TEXT, call_start {time}, call_alert {time}, call_connect {time}, call_end {time},
	duration_seconds INTEGER NOT NULL, connres INTEGER NOT NULL, cause INTEGER NOT NULL, transaction_code TEXT,
	body TEXT NOT NULL, received_at {time} NOT NULL, UNIQUE (part_aid, line_key))`))
	require.NoError(b, err)
	insert := d.Rebind(`INSERT INTO hand_records (part_aid, line_key, salesforce_id, agent_uid, outbound, caller_id,
	service_number, service_name, agent_group, configuration_group, call_start, call_alert, call_connect, call_end,
	duration_seconds, connres, cause, transaction_code, body, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
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
	var wires [][]byte // what jtel sends, encoded before the clock starts
	viaReceiver := func([]salesforce.Record) {
		bodies := make(chan []byte, len(wires))
		for _, w := range wires {
			bodies <- w
		}
		close(bodies)
		var wg sync.WaitGroup
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for body := range bodies {
					resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
					}
				}
			}()
		}
		wg.Wait()
	}
	byHand := func(recs []salesforce.Record) {
		for i := range recs {
			r := &recs[i]
			body, _ := r.MarshalJSON()
			if _, err := db.ExecContext(context.Background(), insert, r.StatisticsPartAID, fmt.Sprint(i), r.SalesForceID, r.AgentUID,
				r.Outbound, r.CallerID, r.ServiceNumber, r.ServiceName, r.AgentGroupName, r.ConfigurationGroupName,
				d.TimeArg(r.CallStart.Time), d.TimeArg(r.CallAlert.Time), d.TimeArg(r.CallConnect.Time), d.TimeArg(r.CallEnd.Time),
				r.DurationSeconds, int(r.Result), int(r.Cause), r.TransactionCodeExportKey, string(body), d.TimeArg(time.Now())); err != nil {
				b.Fatal(err)
			}
		}
	}
	var tRecv, tHand time.Duration
	timed := func(fn func([]salesforce.Record), recs []salesforce.Record, total *time.Duration) {
		start := time.Now()
		fn(recs)
		*total += time.Since(start)
	}
	n := 0
	for b.Loop() {
		recs := nextBatch()
		wires = wires[:0]
		for i := range recs {
			wires = append(wires, wire(b, recs[i]))
		}
		if n%2 == 0 {
			timed(byHand, recs, &tHand)
			timed(viaReceiver, recs, &tRecv)
		} else {
			timed(viaReceiver, recs, &tRecv)
			timed(byHand, recs, &tHand)
		}
		n++
	}
	records := float64(n * batch)
	b.ReportMetric(records/tRecv.Seconds(), "receiver-records/s")
	b.ReportMetric(records/tHand.Seconds(), "insert-loop-records/s")
	b.ReportMetric(tHand.Seconds()/tRecv.Seconds(), "receiver/insert-loop")
	stored, err := s.Count(context.Background())
	require.NoError(b, err)
	require.Equal(b, n*batch, stored)
}
