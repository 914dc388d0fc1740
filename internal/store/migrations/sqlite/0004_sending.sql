-- Newsletter issues and the per-recipient outbox that delivers them.
-- Timestamps are fixed-width RFC 3339 UTC text as in 0001_init.sql.
-- Keep in step with ../postgres/0004_sending.sql: TestMigrationsParity
-- compares them.

-- An issue is composed as a draft, may be scheduled, and is sent once.
-- article_ids is a JSON array of article IDs in the editor's order. paused
-- stops the senders from claiming its deliveries. enqueued_at is set once a
-- send row exists for every recipient; until then the issue cannot be
-- finished, even if the rows so far are all delivered.
CREATE TABLE issues (
    id            TEXT NOT NULL PRIMARY KEY,
    newsletter_id TEXT NOT NULL REFERENCES newsletters (id),
    subject       TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    article_ids   TEXT NOT NULL DEFAULT '[]',
    status        TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
    paused        BOOLEAN NOT NULL DEFAULT FALSE,
    scheduled_at  TEXT,
    started_at    TEXT,
    enqueued_at   TEXT,
    finished_at   TEXT,
    created_at    TEXT NOT NULL
);

CREATE INDEX issues_newsletter_id ON issues (newsletter_id, status, finished_at);
CREATE INDEX issues_status ON issues (status, scheduled_at);

-- The outbox: one row per issue and recipient. A row moves pending →
-- sending (claimed by lease_owner until lease_until) → sent | failed |
-- skipped (the recipient left before their turn). next_attempt_at is when
-- the row may be claimed: for a pending row its retry time, for a sending
-- row its lease's end (so an abandoned claim is taken over), NULL once the
-- row is final. message_id is derived from (issue, subscriber), so every
-- copy of a delivery carries the same one.
CREATE TABLE sends (
    issue_id        TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    subscriber_id   TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     TEXT,
    message_id      TEXT NOT NULL DEFAULT '',
    sent_at         TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (issue_id, subscriber_id)
);

-- The claim query walks this index in order and stops at its batch size.
CREATE INDEX sends_due ON sends (issue_id, next_attempt_at);
-- For deleting a subscriber, which cascades here.
CREATE INDEX sends_subscriber_id ON sends (subscriber_id);
