-- Initial schema. Timestamps are fixed-width RFC 3339 UTC text
-- ("2006-01-02T15:04:05.000000000Z") so that text order is time order.
-- Keep in step with ../postgres/0001_init.sql: TestMigrationsParity compares them.

CREATE TABLE authors (
    id         TEXT NOT NULL PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('staff', 'pseudonym', 'agency')),
    bio        TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE tags (
    id          TEXT NOT NULL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE articles (
    id                 TEXT NOT NULL PRIMARY KEY,
    slug               TEXT NOT NULL UNIQUE,
    title              TEXT NOT NULL,
    summary            TEXT NOT NULL DEFAULT '',
    body               TEXT NOT NULL DEFAULT '',
    body_html          TEXT NOT NULL DEFAULT '',
    body_text          TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    language           TEXT NOT NULL DEFAULT '',
    time_zone          TEXT NOT NULL DEFAULT '',
    published_at       TEXT,
    updated_at         TEXT,
    created_at         TEXT NOT NULL,
    lead_image_url     TEXT NOT NULL DEFAULT '',
    lead_image_alt     TEXT NOT NULL DEFAULT '',
    lead_image_caption TEXT NOT NULL DEFAULT '',
    lead_image_credit  TEXT NOT NULL DEFAULT '',
    lead_image_width   INTEGER NOT NULL DEFAULT 0,
    lead_image_height  INTEGER NOT NULL DEFAULT 0,
    reading_minutes    INTEGER NOT NULL DEFAULT 0,
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);

-- Matches the list order (published_at DESC, id DESC) within a status.
CREATE INDEX articles_status_published_at ON articles (status, published_at DESC, id DESC);

CREATE TABLE article_tags (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);

CREATE INDEX article_tags_tag_id ON article_tags (tag_id);

CREATE TABLE article_authors (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);

CREATE INDEX article_authors_author_id ON article_authors (author_id);

CREATE TABLE pages (
    id         TEXT NOT NULL PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    body_html  TEXT NOT NULL DEFAULT '',
    language   TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Values are JSON documents.
CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row whose version is bumped by every content write, so that app
-- servers sharing the database can notice changes by polling it.
CREATE TABLE content_state (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);

INSERT INTO content_state (id, version) VALUES (1, 0);
