-- The desk's editor: who created each article, every saved revision of an
-- article, and the tokens of shareable draft-preview links. Timestamps are
-- TIMESTAMPTZ as in 0001_init.sql.
-- Keep in step with ../sqlite/0006_editorial.sql: TestMigrationsParity
-- compares them.

-- The account that created the article: contributors and authors may work
-- only on their own. NULL for imported and demo articles, which only
-- editors touch.
ALTER TABLE articles ADD COLUMN created_by TEXT NULL REFERENCES users (id) ON DELETE SET NULL;

CREATE INDEX articles_created_by ON articles (created_by);

-- One row per save, numbered 1, 2, 3 … within the article. The text fields
-- are columns; the rest of what the editor can change (language, time zone,
-- publication time, lead image, byline and tag IDs) is a JSON object in
-- fields. Revisions are desk-only: they name accounts, never shown to
-- readers (requirement S8).
CREATE TABLE revisions (
    id         TEXT NOT NULL PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    slug       TEXT NOT NULL,
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL,
    fields     TEXT NOT NULL DEFAULT '{}',
    saved_by   TEXT NULL REFERENCES users (id) ON DELETE SET NULL,
    saved_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (article_id, number)
);

-- Draft-preview links. Only the SHA-256 of the token is kept.
CREATE TABLE preview_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX preview_tokens_article_id ON preview_tokens (article_id);
CREATE INDEX preview_tokens_expires_at ON preview_tokens (expires_at);
