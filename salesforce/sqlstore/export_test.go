package sqlstore

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
