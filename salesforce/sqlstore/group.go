package sqlstore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/contactkit/contactkit/internal/sqldb"
)

// Group commit for SQLite. SQLite has one writer and syncs its log on
// every commit, so concurrent records written one transaction each queue
// up behind one fsync apiece. Instead, records that arrive while a write
// is under way wait in a queue, and the next write takes them all (up to
// maxGroup) in one transaction: one fsync for the group. Every record is
// still answered only after the commit that holds it. If anything in a
// group fails, the transaction is rolled back and each record of the
// group is written alone, so one bad record never fails another.
//
// There is no background goroutine: the first record to find no write
// under way leads (writes a group), then hands the lead to the first
// record still queued, if any.

const maxGroup = 128

type writeState int

const (
	queued writeState = iota
	leading
	inGroup
	finished
)

type pendingWrite struct {
	args  []any
	err   error
	state writeState    // guarded by group.mu
	wake  chan struct{} // told once: leading, or finished
}

type group struct {
	mu      sync.Mutex
	queue   []*pendingWrite
	leading bool
}

// insert writes one record's row: directly for PostgreSQL (whose commits
// of concurrent connections share log flushes already), through the group
// for SQLite.
func (s *Store) insert(ctx context.Context, args []any) error {
	if s.d != sqldb.SQLite {
		_, err := s.insertRecord.ExecContext(ctx, args...)
		return err
	}
	g := &s.group
	p := &pendingWrite{args: args, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if !g.leading {
		g.leading, p.state = true, leading
	}
	st := p.state
	g.mu.Unlock()
	for st != finished {
		if st == leading {
			s.lead(context.WithoutCancel(ctx)) // the group is others' too
		} else {
			select {
			case <-p.wake:
			case <-ctx.Done():
				if s.leave(p) {
					return ctx.Err()
				}
				<-p.wake // taken into a group or handed the lead: see it through
			}
		}
		g.mu.Lock()
		st = p.state
		g.mu.Unlock()
	}
	return p.err
}

// leave takes a queued record out of the queue; false if it was taken.
func (s *Store) leave(p *pendingWrite) bool {
	g := &s.group
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.state != queued {
		return false
	}
	for i, q := range g.queue {
		if q == p {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			return true
		}
	}
	return false
}

// lead writes the records queued now (the leader's own first) as one
// group, answers them, and hands the lead on.
func (s *Store) lead(ctx context.Context) {
	g := &s.group
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := append([]*pendingWrite(nil), g.queue[:n]...)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	for _, p := range batch {
		p.state = inGroup
	}
	g.mu.Unlock()

	s.commit(ctx, batch)

	g.mu.Lock()
	for _, p := range batch {
		p.state = finished
	}
	if len(g.queue) > 0 {
		g.queue[0].state = leading
		g.queue[0].wake <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	for _, p := range batch {
		select {
		case p.wake <- struct{}{}:
		default: // never full: a record is told at most "lead" (already read) and "finished"
		}
	}
}

func (s *Store) commit(ctx context.Context, batch []*pendingWrite) {
	if len(batch) > 1 {
		err := sqldb.InTx(ctx, s.db, func(tx *sql.Tx) error {
			stmt := tx.StmtContext(ctx, s.insertRecord)
			for _, p := range batch {
				if _, err := stmt.ExecContext(ctx, p.args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return
		}
	}
	for _, p := range batch { // alone, so that each gets its own answer
		_, p.err = s.insertRecord.ExecContext(ctx, p.args...)
	}
}
