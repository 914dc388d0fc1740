package store

import (
	"context"
	"encoding/json"
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
VALUES (?, ?, ?, (SELECT COALESCE(MAX(v.number), 0) + 1 FROM record_revisions v WHERE v.kind = ? AND v.record_id = ?), ?, ?, ?, ?)`
	qRecordRevisions = `SELECT id, kind, record_id, number, title, COALESCE(saved_by, ''), saved_at
FROM record_revisions WHERE kind = ? AND record_id = ? ORDER BY number DESC`
	qRecordRevisionByID = `SELECT id, kind, record_id, number, title, COALESCE(saved_by, ''), saved_at, fields
FROM record_revisions WHERE id = ?`
	qDeleteRecordRevisions = `DELETE FROM record_revisions WHERE kind = ? AND record_id = ?`
)

// insertRecordRevision records the fields of the record id of kind, saved
// under title by the account userID, as its next revision.
func insertRecordRevision(ctx context.Context, r *runner, kind RecordKind, id, title string, f recordFields, userID string, at time.Time) error {
	fields, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("revision fields: %w", err)
	}
	_, err = r.exec(ctx, "insert_record_revision", qInsertRecordRevision, newID(), string(kind), id, string(kind), id,
		title, string(fields), savedBy(userID), timeArg(at))
	return err
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
