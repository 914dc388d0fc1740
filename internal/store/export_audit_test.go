package store

import "database/sql"

// WriterDB exposes the writer pool, so tests can tamper with rows the way
// someone with database access could.
func WriterDB(s *Store) *sql.DB { return s.writer }
