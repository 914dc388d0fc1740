-- Newsletters, their subscribers, consent records and the suppression list.
-- Timestamps are TIMESTAMPTZ as in 0001_init.sql.
-- Keep in step with ../sqlite/0003_subscribers.sql: TestMigrationsParity
-- compares them.

-- send_weekday (0 = Sunday, as Go's time.Weekday) and send_hour are both
-- set for a newsletter sent on a schedule, both NULL for one sent by hand.
CREATE TABLE newsletters (
    id           TEXT NOT NULL PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    full_text    BOOLEAN NOT NULL DEFAULT TRUE,
    send_weekday INTEGER CHECK (send_weekday BETWEEN 0 AND 6),
    send_hour    INTEGER CHECK (send_hour BETWEEN 0 AND 23),
    time_zone    TEXT NOT NULL DEFAULT 'UTC',
    created_at   TIMESTAMPTZ NOT NULL,
    CHECK ((send_weekday IS NULL) = (send_hour IS NULL))
);

-- No email address is stored in the clear: email_sealed is the address
-- encrypted by the vault with a key kept outside the database, and
-- email_index its keyed hash (of the lowercased address), for lookups. No IP
-- address is kept. token_version is carried by manage links; raising it
-- revokes the links sent so far.
CREATE TABLE subscribers (
    id              TEXT NOT NULL PRIMARY KEY,
    email_index     TEXT NOT NULL UNIQUE,
    email_sealed    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
    created_at      TIMESTAMPTZ NOT NULL,
    confirmed_at    TIMESTAMPTZ,
    unsubscribed_at TIMESTAMPTZ,
    bounce_count    INTEGER NOT NULL DEFAULT 0,
    token_version   INTEGER NOT NULL DEFAULT 0
);

-- For the retention job, which deletes unconfirmed sign-ups.
CREATE INDEX subscribers_status_created_at ON subscribers (status, created_at);

CREATE TABLE subscriptions (
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    newsletter_id TEXT NOT NULL REFERENCES newsletters (id),
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subscriber_id, newsletter_id)
);

-- Recipients of one newsletter in id order, for keyset pages.
CREATE INDEX subscriptions_newsletter_id ON subscriptions (newsletter_id, subscriber_id);

-- What a subscriber agreed to (the text as shown, naming the newsletters
-- and the form), under which Privacy Policy version, and when.
CREATE TABLE consents (
    id             TEXT NOT NULL PRIMARY KEY,
    subscriber_id  TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    text           TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    given_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX consents_subscriber_id ON consents (subscriber_id);

-- Addresses never to be mailed, by keyed hash only.
CREATE TABLE suppressions (
    email_index TEXT NOT NULL PRIMARY KEY,
    reason      TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint', 'unsubscribe', 'manual')),
    created_at  TIMESTAMPTZ NOT NULL
);
