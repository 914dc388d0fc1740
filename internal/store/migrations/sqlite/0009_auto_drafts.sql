-- Which weeks a newsletter's issue was drafted automatically for.
-- Timestamps are fixed-width RFC 3339 UTC text as in 0001_init.sql.
-- Keep in step with ../postgres/0009_auto_drafts.sql: TestMigrationsParity
-- compares them.

-- One row per newsletter and week (ISO week of the scheduled send, e.g.
-- "2026-W48"): the primary key is what keeps any number of servers from
-- drafting the same week twice. The row outlives the issue (issue_id
-- becomes NULL), so an editor who deletes the draft does not get it back.
CREATE TABLE auto_drafts (
    newsletter_id TEXT NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    week          TEXT NOT NULL,
    issue_id      TEXT REFERENCES issues (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (newsletter_id, week)
);
