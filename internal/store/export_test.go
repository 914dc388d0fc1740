package store

import (
	"database/sql"
	"io/fs"
)

// SetMigrations replaces the migrations s applies, to test failures.
func SetMigrations(s *Store, fsys fs.FS) { s.migrations = fsys }

// ReaderDB exposes the reader pool, to inspect the schema.
func ReaderDB(s *Store) *sql.DB { return s.reader }

// TableExistsQuery is the dialect's query counting tables of a name.
func TableExistsQuery(s *Store) string { return s.d.tableExists() }

// Rebind rewrites placeholders as s's engine wants them.
func Rebind(s *Store, query string) string { return s.d.rebind(query) }

// Exec runs a statement on s's writer, for tests that set up rows no
// method writes any more.
func Exec(s *Store, query string, args ...any) error {
	_, err := s.writer.Exec(s.d.rebind(query), args...)
	return err
}
