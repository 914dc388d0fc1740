package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// RecordKind names the kind of record a RecordRevision is a version of.
type RecordKind string

// The records with revisions besides articles.
const (
	KindPage   RecordKind = "page"
	KindTag    RecordKind = "tag"
	KindByline RecordKind = "byline"
)

// RecordRevision is one saved version of a static page, tag or byline, as
// the desk shows it. Like Revision, it names the account that saved it, so
// it is never shown to readers (requirement S8).
type RecordRevision struct {
	ID       string
	Kind     RecordKind
	RecordID string
	Number   int    // 1 for the first save on the desk, then 2, 3 …
	Title    string // the page's title, or the tag's or byline's name
	// By Kind, one of these holds the version's fields (without IDs or
	// rendered HTML) when read by RecordRevisionByID; lists leave them nil.
	Page    *model.Page
	Tag     *model.Tag
	Author  *model.Author
	SavedBy string // the account's user ID; "" once the account is gone
	SavedAt time.Time
}

// recordFields is the JSON of a record revision's fields column: what the
// desk's form of its kind can change besides the title or name.
type recordFields struct {
	Slug        string `json:"slug"`
	Body        string `json:"body,omitempty"`        // page
	Language    string `json:"language,omitempty"`    // page
	Description string `json:"description,omitempty"` // tag
	AuthorKind  string `json:"kind,omitempty"`        // byline
	Bio         string `json:"bio,omitempty"`         // byline
}

const (
	qInsertRecordRevision = `INSERT INTO record_revisions (id, kind, record_id, number, title, fields, saved_by, saved_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qLatestRecordRevision = `SELECT number, saved_at FROM record_revisions WHERE kind = ? AND record_id = ? ORDER BY number DESC LIMIT 1`
	// latestRecordRevision is the number of the latest revision of the row
	// x, of the kind given as its argument; 0 when it has none.
	latestRecordRevision = `(SELECT COALESCE(MAX(v.number), 0) FROM record_revisions v WHERE v.kind = ? AND v.record_id = x.id)`
	qRecordRevisions     = `SELECT id, kind, record_id, number, title, COALESCE(saved_by, ''), saved_at
FROM record_revisions WHERE kind = ? AND record_id = ? ORDER BY number DESC`
	qRecordRevisionByID = `SELECT id, kind, record_id, number, title, COALESCE(saved_by, ''), saved_at, fields
FROM record_revisions WHERE id = ?`
	qDeleteRecordRevisions = `DELETE FROM record_revisions WHERE kind = ? AND record_id = ?`
	qLatestRecordNumber    = `SELECT COALESCE(MAX(number), 0) FROM record_revisions WHERE kind = ? AND record_id = ?`
)

// recordTables are the tables of the records of each kind.
var recordTables = map[RecordKind]slugTable{KindPage: pagesTable, KindTag: tagsTable, KindByline: authorsTable}

// qRecordSlugRevision reads, by kind, a record's slug and the number of its
// latest revision.
var qRecordSlugRevision = func() map[RecordKind]string {
	m := map[RecordKind]string{}
	for kind, table := range recordTables {
		m[kind] = `SELECT x.slug, ` + latestRecordRevision + ` FROM ` + string(table) + ` x WHERE x.id = ?`
	}
	return m
}()

// recordSave is a desk save of a tag, byline or page, for saveRecord.
type recordSave struct {
	kind RecordKind
	// id is the record's, "" for a new one; slug is the one asked for.
	id, slug string
	exact    bool // a taken slug is a validation error, not suffixed
	// base is the number of the revision the form was opened at, as with
	// SaveArticleAs.
	base   int
	title  string       // the page's title, or the tag's or byline's name
	fields recordFields // without the slug, which saveRecord sets
	userID string
	// insert adds the new record as sr says; update changes the existing
	// one, keeping its ID and taking the slug asked for.
	insert, update func(r *runner, sr savedRow) error
}

// saveRecord creates or changes a tag, byline or page as a content change
// and records the result as its next revision, returning the ID, slug and
// time it was saved with. A new record's taken slug is suffixed unless
// exact; an existing record's changed slug must be free. A save since
// base makes it a *StaleError and changes nothing.
func (s *Store) saveRecord(ctx context.Context, rs recordSave) (savedRow, error) {
	sr := savedRow{id: rs.id, slug: rs.slug, at: s.clock()}
	err := s.writeContent(ctx, false, func(r *runner) error {
		number := 1
		if sr.id == "" {
			sr.id = newID()
			var err error
			if sr.slug, err = claimSlug(ctx, r, recordTables[rs.kind], rs.slug, sr.id, rs.exact); err != nil {
				return err
			}
			if err := rs.insert(r, sr); err != nil {
				return err
			}
		} else {
			var err error
			if number, err = nextRecordRevision(ctx, r, rs.kind, sr.id, sr.slug, rs.base); err != nil {
				return err
			}
			if err := rs.update(r, sr); err != nil {
				return err
			}
		}
		f := rs.fields
		f.Slug = sr.slug
		return insertRecordRevision(ctx, r, rs.kind, sr.id, number, rs.title, f, rs.userID, sr.at)
	})
	if errors.Is(err, ErrStaleRevision) {
		err = s.stale(ctx, "latest_record_revision", qLatestRecordRevision, string(rs.kind), sr.id)
	}
	return sr, err
}

// nextRecordRevision checks a save of the existing record id of kind from
// revision base, as SaveArticleAs does for articles, and returns the
// number of the revision it makes: model.ErrNotFound when the record is
// gone, ErrStaleRevision when it was saved since base. A changed slug must
// be free.
func nextRecordRevision(ctx context.Context, r *runner, kind RecordKind, id, slug string, base int) (int, error) {
	var (
		current string
		latest  int
	)
	if err := r.scanRow(ctx, "record_slug_revision_"+string(kind), qRecordSlugRevision[kind], []any{string(kind), id}, &current, &latest); err != nil {
		return 0, notFound(err)
	}
	if latest != base {
		return 0, ErrStaleRevision
	}
	if slug != current {
		if _, err := claimSlug(ctx, r, recordTables[kind], slug, id, true); err != nil {
			return 0, err
		}
	}
	return latest + 1, nil
}

// latestRecordNumber is the number of the latest revision of the record id
// of kind; 0 when it has none.
func latestRecordNumber(ctx context.Context, r *runner, kind RecordKind, id string) (int, error) {
	var latest int
	err := r.scanRow(ctx, "latest_record_number", qLatestRecordNumber, []any{string(kind), id}, &latest)
	return latest, err
}

// insertRecordRevision records the fields of the record id of kind, saved
// under title by the account userID, as its revision number.
func insertRecordRevision(ctx context.Context, r *runner, kind RecordKind, id string, number int, title string, f recordFields, userID string, at time.Time) error {
	fields, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("revision fields: %w", err)
	}
	_, err = r.exec(ctx, "insert_record_revision", qInsertRecordRevision, newID(), string(kind), id, number,
		title, string(fields), savedBy(userID), timeArg(at))
	return staleOnConflict(err)
}

// savedBy is the saved_by argument of a revision: NULL for saves no
// account made, such as imports.
func savedBy(userID string) any {
	if userID == "" {
		return nil
	}
	return userID
}

// RecordRevisions lists the revisions of the record id of kind, newest
// first, with only their titles filled in.
func (s *Store) RecordRevisions(ctx context.Context, kind RecordKind, id string) ([]RecordRevision, error) {
	var list []RecordRevision
	err := s.read().each(ctx, "record_revisions", qRecordRevisions, []any{string(kind), id}, func(scan func(...any) error) error {
		var v RecordRevision
		if err := scan(recordRevisionDest(&v)...); err != nil {
			return err
		}
		list = append(list, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: revisions of %s %s: %w", kind, id, err)
	}
	return list, nil
}

// RecordRevisionByID returns one record revision with all its fields.
func (s *Store) RecordRevisionByID(ctx context.Context, id string) (RecordRevision, error) {
	var (
		v      RecordRevision
		fields string
	)
	err := s.read().scanRow(ctx, "record_revision_by_id", qRecordRevisionByID, []any{id}, append(recordRevisionDest(&v), &fields)...)
	if err != nil {
		return RecordRevision{}, fmt.Errorf("store: revision %s: %w", id, notFound(err))
	}
	var f recordFields
	if err := json.Unmarshal([]byte(fields), &f); err != nil {
		return RecordRevision{}, fmt.Errorf("store: revision %s: fields: %w", id, err)
	}
	switch v.Kind {
	case KindPage:
		v.Page = &model.Page{Slug: f.Slug, Title: v.Title, Body: f.Body, Language: f.Language}
	case KindTag:
		v.Tag = &model.Tag{Slug: f.Slug, Name: v.Title, Description: f.Description}
	case KindByline:
		v.Author = &model.Author{Slug: f.Slug, Name: v.Title, Kind: model.AuthorKind(f.AuthorKind), Bio: f.Bio}
	default:
		return RecordRevision{}, fmt.Errorf("store: revision %s: unknown kind %q", id, v.Kind)
	}
	return v, nil
}

// recordRevisionDest lists the scan destinations of a record revision's
// columns before fields.
func recordRevisionDest(v *RecordRevision) []any {
	return []any{&v.ID, (*string)(&v.Kind), &v.RecordID, &v.Number, &v.Title, &v.SavedBy, scanTime(&v.SavedAt)}
}
