-- Donation appeals as records, the aggregate count of their views, and
-- which appeal a donation came from. Timestamps are TIMESTAMPTZ as in
-- 0001_init.sql. Keep in step with ../sqlite/0010_appeals.sql:
-- TestMigrationsParity compares them.

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
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
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
    COALESCE((a->>'Enabled')::boolean, FALSE),
    COALESCE(a->>'Heading', ''),
    COALESCE(a->>'Message', ''),
    'after', 'all', '',
    COALESCE(a->>'Currency', 'USD'),
    COALESCE(a->>'Currency', 'USD'),
    jsonb_build_object(COALESCE(a->>'Currency', 'USD'), COALESCE((a->>'MinimumAmount')::integer, 1))::text,
    COALESCE(a->>'DefaultFrequency', 'monthly'),
    COALESCE((a->'Amounts')::text, '{}'),
    COALESCE(a->>'ButtonText', 'Continue'),
    COALESCE(a->>'PaymentMethods', ''),
    COALESCE(a->>'DismissQuestion', ''),
    COALESCE(a->>'DismissText', ''),
    COALESCE((a->>'RemindAfterDays')::integer, 14),
    COALESCE((SELECT value::jsonb->>'RiskNotice' FROM settings WHERE key = 'donation_page'), ''),
    now(), now()
FROM (SELECT value::jsonb->'Appeal' AS a FROM settings WHERE key = 'site') legacy
WHERE a IS NOT NULL AND jsonb_typeof(a) = 'object';

UPDATE settings SET value = (value::jsonb - 'Appeal')::text WHERE key = 'site';
DELETE FROM settings WHERE key = 'donation_page';
