-- Revisions of static pages, tags and bylines, as articles have theirs in
-- revisions (0006_editorial.sql). Timestamps are fixed-width RFC 3339 UTC
-- text as in 0001_init.sql.
-- Keep in step with ../postgres/0016_record_revisions.sql:
-- TestMigrationsParity compares them.

-- One row per save, numbered 1, 2, 3 … within the record. kind says which
-- table record_id is in ('page', 'tag' or 'byline'); deleting the record
-- deletes its revisions in the same transaction. title is the page's
-- title or the name, for lists; fields is a JSON object of everything the
-- desk's form can change. Desk-only: they name accounts (requirement S8).
-- Records that existed before this migration start with no revisions.
CREATE TABLE record_revisions (
    id        TEXT NOT NULL PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('page', 'tag', 'byline')),
    record_id TEXT NOT NULL,
    number    INTEGER NOT NULL,
    title     TEXT NOT NULL,
    fields    TEXT NOT NULL DEFAULT '{}',
    saved_by  TEXT NULL REFERENCES users (id) ON DELETE SET NULL,
    saved_at  TEXT NOT NULL,
    UNIQUE (kind, record_id, number)
);
