-- Uploaded images. The files live in the blob store (internal/blob), not
-- here: key is the random, never reused name they are stored under.
-- Timestamps are fixed-width RFC 3339 UTC text as in 0001_init.sql.
-- Keep in step with ../postgres/0007_media.sql: TestMigrationsParity
-- compares them.

-- format is what the stored files are (every upload is re-encoded). sizes
-- lists the widths of the smaller copies, ascending and comma-separated.
-- label is the uploaded file's name, sanitised, shown on the desk only;
-- created_by is never shown publicly (requirement S8).
CREATE TABLE media (
    id         TEXT NOT NULL PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    format     TEXT NOT NULL CHECK (format IN ('jpeg', 'png')),
    width      INTEGER NOT NULL CHECK (width > 0),
    height     INTEGER NOT NULL CHECK (height > 0),
    sizes      TEXT NOT NULL DEFAULT '',
    bytes      BIGINT NOT NULL CHECK (bytes >= 0),
    alt        TEXT NOT NULL DEFAULT '',
    label      TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);

CREATE INDEX media_created_at ON media (created_at);
CREATE INDEX media_created_by ON media (created_by, created_at);
