package sqlstore

import (
	"strings"

	"github.com/contactkit/contactkit/internal/sqldb"
)

// Queued counts the SQLite records waiting for a group write.
func (s *Store) Queued() int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return len(s.group.queue)
}

// Leading reports whether a group write is under way.
func (s *Store) Leading() bool {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return s.group.leading
}

// RecordsTableDDL is the CREATE TABLE of wcs_records under another name
// (same columns, checks and unique key), for the benchmark's hand-written
// writers.
func RecordsTableDDL(d sqldb.Dialect, name string) string {
	return strings.Replace(migrations[0].Up(d)[0], "wcs_records", name, 1)
}
