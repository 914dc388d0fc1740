-- Reader donations: donors, their recurring donations, the payments that
-- count as paid, and the inbox of verified payment-provider events.
-- Timestamps are TIMESTAMPTZ as in 0001_init.sql.
-- Keep in step with ../sqlite/0005_donations.sql: TestMigrationsParity
-- compares them. Amounts are in the currency's minor unit (cents).

-- A donor is known by email alone, sealed with the vault: email_index is
-- vault.Index(lowercased email, "donor email"). No name, address or card
-- data is kept.
CREATE TABLE donors (
    id           TEXT NOT NULL PRIMARY KEY,
    email_index  TEXT NOT NULL UNIQUE,
    email_sealed TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- A recurring donation as the provider last described it. provider_id is
-- the provider's subscription ID, customer_sealed its customer ID sealed
-- with the vault. state_at is the time of the provider event that set
-- status and amount, so an older event arriving late changes nothing; it
-- is NULL while only payments have been seen.
CREATE TABLE recurring_donations (
    id              TEXT NOT NULL PRIMARY KEY,
    provider_id     TEXT NOT NULL UNIQUE,
    donor_id        TEXT REFERENCES donors (id) ON DELETE SET NULL,
    customer_sealed TEXT NOT NULL DEFAULT '',
    frequency       TEXT NOT NULL CHECK (frequency IN ('monthly', 'annual')),
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'paused')),
    state_at        TIMESTAMPTZ,
    failed_payments INTEGER NOT NULL DEFAULT 0,
    last_failed_at  TIMESTAMPTZ,
    canceled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX recurring_donations_donor_id ON recurring_donations (donor_id);

-- A payment that counts as paid. provider_ref is what the provider says
-- was paid (the payment of a one-time gift, the invoice of a recurring
-- one); it is unique, so a replayed event cannot count a payment twice.
-- Erasing a donor keeps the row, without donor_id, for the figures.
-- receipt_sent_at is set once the donor was emailed a receipt.
CREATE TABLE donations (
    id              TEXT NOT NULL PRIMARY KEY,
    provider_ref    TEXT NOT NULL UNIQUE,
    donor_id        TEXT REFERENCES donors (id) ON DELETE SET NULL,
    recurring_id    TEXT REFERENCES recurring_donations (id) ON DELETE SET NULL,
    frequency       TEXT NOT NULL CHECK (frequency IN ('once', 'monthly', 'annual')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    amount_refunded BIGINT NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    currency        TEXT NOT NULL,
    paid_at         TIMESTAMPTZ NOT NULL,
    refunded_at     TIMESTAMPTZ,
    receipt_sent_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX donations_donor_id ON donations (donor_id);
CREATE INDEX donations_recurring_id ON donations (recurring_id);
CREATE INDEX donations_paid_at ON donations (paid_at);

-- One-time links that let a donor manage their recurring donations,
-- emailed on request. Only the SHA-256 of the token is kept.
CREATE TABLE donor_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    donor_id   TEXT NOT NULL REFERENCES donors (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE INDEX donor_tokens_donor_id ON donor_tokens (donor_id, created_at);

-- The inbox: every verified provider event is stored here before the
-- webhook is acknowledged, and processed from here. The raw event names
-- the donor's email, so it is sealed, and emptied once processed; the row
-- stays so that a replay of the event is recognised and changes nothing.
CREATE TABLE donation_events (
    id             TEXT NOT NULL PRIMARY KEY,
    type           TEXT NOT NULL,
    created        TIMESTAMPTZ NOT NULL,
    payload_sealed TEXT NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    processed_at   TIMESTAMPTZ,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX donation_events_pending ON donation_events (processed_at, created);
