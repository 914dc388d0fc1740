package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds one tree of NNNN_name.sql files per engine. Both trees
// have the same versions; TestMigrationsParity checks they build the same
// tables and columns.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the NNNN_name.sql files of fsys in version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, file := range files {
		num, name, ok := strings.Cut(strings.TrimSuffix(file, ".sql"), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version < 1 {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", file)
		}
		body, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: version, name: name, sql: string(body)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations have version %d", ms[i].version)
		}
	}
	return ms, nil
}

const (
	qAppliedMigrations = `SELECT version FROM schema_migrations ORDER BY version`
	qRecordMigration   = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
	qSchemaVersion     = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
)

// Migrate applies the migrations the database lacks, in order, each in its
// own transaction, so a failure leaves the database at the last version that
// succeeded. Migrations are forward-only: undoing one means restoring a
// backup.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.migrations)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if _, err := s.writer.ExecContext(ctx, s.d.migrationsTable()); err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if len(applied) > 0 && len(ms) > 0 && applied[len(applied)-1] > ms[len(ms)-1].version {
		return fmt.Errorf("store: migrate: the database is at schema version %d but this build knows only up to %d; run a newer tamizdat",
			applied[len(applied)-1], ms[len(ms)-1].version)
	}
	for _, m := range ms {
		if slices.Contains(applied, m.version) {
			continue
		}
		start := time.Now()
		err := s.write(ctx, false, func(r *runner) error {
			// The file is run as is: it has no placeholders to rebind.
			if _, err := r.q.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := r.exec(ctx, "record_migration", qRecordMigration, m.version, m.name, timeArg(s.clock()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate: %04d_%s.sql (%s): %w", m.version, m.name, s.d.name(), err)
		}
		s.log.Info("store: applied migration", "version", m.version, "name", m.name,
			"engine", s.d.name(), "duration", time.Since(start))
	}
	return nil
}

func (s *Store) appliedMigrations(ctx context.Context) ([]int, error) {
	var versions []int
	err := s.read().each(ctx, "applied_migrations", qAppliedMigrations, nil, func(scan func(...any) error) error {
		var v int
		err := scan(&v)
		versions = append(versions, v)
		return err
	})
	return versions, err
}

// SchemaVersion reports the version the database is at (0 when it was never
// migrated) and the latest version this build can migrate to.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	ms, err := loadMigrations(s.migrations)
	if err != nil {
		return 0, 0, fmt.Errorf("store: schema version: %w", err)
	}
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	r := s.read()
	var tables int
	if err := r.scanRow(ctx, "migrations_table_exists", s.d.tableExists(), []any{"schema_migrations"}, &tables); err != nil {
		return 0, 0, fmt.Errorf("store: schema version: %w", err)
	}
	if tables == 0 {
		return 0, latest, nil
	}
	if err := r.scanRow(ctx, "schema_version", qSchemaVersion, nil, &current); err != nil {
		return 0, 0, fmt.Errorf("store: schema version: %w", err)
	}
	return current, latest, nil
}
