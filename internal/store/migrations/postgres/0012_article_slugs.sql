-- The addresses published articles had before their slug changed, so the
-- old address answers with a permanent redirect to the current one.
-- Timestamps are TIMESTAMPTZ as in 0001_init.sql.
-- Keep in step with ../sqlite/0012_article_slugs.sql: TestMigrationsParity
-- compares them.

-- One row per former slug. It names the article, not the new slug, so a
-- chain of renames leads straight to the latest address. An article that
-- takes a former slug later wins over the redirect.
CREATE TABLE article_old_slugs (
    slug       TEXT NOT NULL PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    retired_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX article_old_slugs_article_id ON article_old_slugs (article_id);

-- Article-form edits held while their author confirms a step-up
-- (requirement S5), so that nothing typed is lost on the way; they come
-- back into the form, unsaved, and expire after a while. One per account
-- and article; article_key is '' for an article not yet created.
CREATE TABLE held_edits (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    article_key TEXT NOT NULL,
    action      TEXT NOT NULL,
    draft       TEXT NOT NULL,
    held_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, article_key)
);

-- An Admin API key publishes (makes public, schedules, unpublishes, or
-- changes what readers see) only if whoever made it said so: a key has no
-- second factor to step up with, so this deliberate grant stands in for
-- the step-up (requirement S5).
ALTER TABLE api_keys ADD COLUMN may_publish BOOLEAN NOT NULL DEFAULT FALSE;
