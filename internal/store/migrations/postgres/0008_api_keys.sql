-- API keys for the Admin API, and which articles each key created.
-- Timestamps are TIMESTAMPTZ as in 0001_init.sql.
-- Keep in step with ../sqlite/0008_api_keys.sql: TestMigrationsParity
-- compares them.

-- A key is shown once as tzk_<id>_<secret>; only the SHA-256 of the secret
-- is kept. A key is never an admin: its role scopes it to writing,
-- publishing and editing. created_by is the user ID of the admin who made
-- it, or "system" for the command line.
CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('contributor', 'author', 'editor')),
    secret_hash  TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

-- The key that created an article: contributor and author keys may change
-- only their own articles.
CREATE TABLE api_key_articles (
    article_id TEXT NOT NULL PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE
);

CREATE INDEX api_key_articles_key_id ON api_key_articles (key_id);
