-- Staff accounts, sign-in factors, sessions, login throttling and the audit
-- log. Timestamps are TIMESTAMPTZ as in 0001_init.sql.
-- Keep in step with ../sqlite/0002_accounts.sql: TestMigrationsParity
-- compares them.

-- email is stored lowercased. password_hash is an argon2id PHC string, empty
-- until the person sets a password through their setup link. demo marks the
-- one account the demo loader creates; only it may skip two-factor
-- enrolment, and no screen or API can set it.
CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('contributor', 'author', 'editor', 'admin')),
    password_hash TEXT NOT NULL DEFAULT '',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- One-time links: account setup (24 h) and password reset. Only the SHA-256
-- of the token is kept.
CREATE TABLE user_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('setup', 'reset')),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE INDEX user_tokens_user_id ON user_tokens (user_id);

-- A TOTP secret is pending until the first code confirms it. last_step is
-- the latest accepted 30-second step: a code is accepted only for a later
-- step, so each code works once.
CREATE TABLE totp_secrets (
    user_id    TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    confirmed  BOOLEAN NOT NULL DEFAULT FALSE,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE recovery_codes (
    code_hash  TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE INDEX recovery_codes_user_id ON recovery_codes (user_id);

-- Passkeys. id and public_key are base64url; flags is the authenticator
-- flags byte recorded at registration (backup eligibility must not change).
CREATE TABLE webauthn_credentials (
    id               TEXT NOT NULL PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT NOT NULL DEFAULT '',
    public_key       TEXT NOT NULL,
    attestation_type TEXT NOT NULL DEFAULT '',
    aaguid           TEXT NOT NULL DEFAULT '',
    sign_count       BIGINT NOT NULL DEFAULT 0,
    flags            INTEGER NOT NULL DEFAULT 0,
    transports       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    last_used_at     TIMESTAMPTZ
);

CREATE INDEX webauthn_credentials_user_id ON webauthn_credentials (user_id);

-- Sessions are found by the SHA-256 of their token; the token itself is never
-- stored. id is a separate handle for the "your sessions" list. mfa is set
-- once the second factor is proven; step_up_at is the last fresh proof.
-- ceremony holds a WebAuthn challenge between its two requests. No IP
-- address is kept.
CREATE TABLE sessions (
    token_hash   TEXT NOT NULL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    mfa          BOOLEAN NOT NULL DEFAULT FALSE,
    step_up_at   TIMESTAMPTZ,
    user_agent   TEXT NOT NULL DEFAULT '',
    ceremony     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Failed sign-ins per key: "account:" plus a hash of the email, or "client:"
-- plus a keyed hash of the client's network prefix (never the address).
CREATE TABLE login_throttle (
    key             TEXT NOT NULL PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);

-- The audit log is append-only and hash-chained: hash covers prev_hash and
-- the entry. audit_tip holds the chain's head; appending compares and sets
-- it, so two writers cannot both extend the same entry.
CREATE TABLE audit_log (
    seq       BIGINT NOT NULL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);

CREATE TABLE audit_tip (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);

INSERT INTO audit_tip (id, seq, hash) VALUES (1, 0, '');
