-- Donation appeals as records, the aggregate count of their views, and
-- which appeal a donation came from. Timestamps are fixed-width RFC 3339
-- UTC text as in 0001_init.sql. Keep in step with
-- ../postgres/0010_appeals.sql: TestMigrationsParity compares them.

-- An appeal an editor runs. currencies is a comma-separated list of ISO
-- 4217 codes; minimums ({"USD": 2}) and amounts ({"monthly": [2, 5]}) are
-- JSON, in whole units. target_value is a tag's slug or a language code,
-- '' for all articles.
CREATE TABLE appeals (
    id                TEXT NOT NULL PRIMARY KEY,
    active            BOOLEAN NOT NULL DEFAULT FALSE,
    heading           TEXT NOT NULL,
    message           TEXT NOT NULL,
    placement         TEXT NOT NULL CHECK (placement IN ('after', 'inline', 'banner')),
    target_kind       TEXT NOT NULL CHECK (target_kind IN ('all', 'tag', 'language')),
    target_value      TEXT NOT NULL DEFAULT '',
    currencies        TEXT NOT NULL,
    currency          TEXT NOT NULL,
    minimums          TEXT NOT NULL,
    default_frequency TEXT NOT NULL CHECK (default_frequency IN ('once', 'monthly', 'annual')),
    amounts           TEXT NOT NULL,
    button_text       TEXT NOT NULL,
    payment_methods   TEXT NOT NULL DEFAULT '',
    dismiss_question  TEXT NOT NULL DEFAULT '',
    dismiss_text      TEXT NOT NULL DEFAULT '',
    remind_after_days INTEGER NOT NULL,
    risk_notice       TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- How often each appeal was seen, per UTC day (YYYY-MM-DD): a bare
-- counter, with nothing about who saw it.
CREATE TABLE appeal_views (
    appeal_id TEXT NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    views     BIGINT NOT NULL CHECK (views >= 0),
    PRIMARY KEY (appeal_id, day)
);

-- The appeal a donation came from, from the checkout's metadata; NULL for
-- donations from before appeals were records, and once an appeal is
-- deleted.
ALTER TABLE donations ADD COLUMN appeal_id TEXT REFERENCES appeals (id) ON DELETE SET NULL;
ALTER TABLE recurring_donations ADD COLUMN appeal_id TEXT REFERENCES appeals (id) ON DELETE SET NULL;
CREATE INDEX donations_appeal_id ON donations (appeal_id);
CREATE INDEX recurring_donations_appeal_id ON recurring_donations (appeal_id);

-- The single appeal the site settings held, with the risk notice of its
-- own settings row, becomes the first record; the settings forget both.
INSERT INTO appeals (id, active, heading, message, placement, target_kind, target_value, currencies, currency, minimums,
    default_frequency, amounts, button_text, payment_methods, dismiss_question, dismiss_text, remind_after_days, risk_notice,
    created_at, updated_at)
SELECT '00000000-0000-7000-8000-000000000001',
    COALESCE(json_extract(value, '$.Appeal.Enabled'), 0),
    COALESCE(json_extract(value, '$.Appeal.Heading'), ''),
    COALESCE(json_extract(value, '$.Appeal.Message'), ''),
    'after', 'all', '',
    COALESCE(json_extract(value, '$.Appeal.Currency'), 'USD'),
    COALESCE(json_extract(value, '$.Appeal.Currency'), 'USD'),
    json_object(COALESCE(json_extract(value, '$.Appeal.Currency'), 'USD'), COALESCE(json_extract(value, '$.Appeal.MinimumAmount'), 1)),
    COALESCE(json_extract(value, '$.Appeal.DefaultFrequency'), 'monthly'),
    COALESCE(json_extract(value, '$.Appeal.Amounts'), '{}'),
    COALESCE(json_extract(value, '$.Appeal.ButtonText'), 'Continue'),
    COALESCE(json_extract(value, '$.Appeal.PaymentMethods'), ''),
    COALESCE(json_extract(value, '$.Appeal.DismissQuestion'), ''),
    COALESCE(json_extract(value, '$.Appeal.DismissText'), ''),
    COALESCE(json_extract(value, '$.Appeal.RemindAfterDays'), 14),
    COALESCE((SELECT json_extract(value, '$.RiskNotice') FROM settings WHERE key = 'donation_page'), ''),
    strftime('%Y-%m-%dT%H:%M:%S.000000000Z', 'now'),
    strftime('%Y-%m-%dT%H:%M:%S.000000000Z', 'now')
FROM settings WHERE key = 'site' AND json_extract(value, '$.Appeal') IS NOT NULL;

UPDATE settings SET value = json_remove(value, '$.Appeal') WHERE key = 'site';
DELETE FROM settings WHERE key = 'donation_page';
