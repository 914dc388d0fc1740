-- A replacement authenticator app: its secret (sealed like secret) waits
-- here until a first code from the new app confirms it, so the old app
-- keeps working until then. Empty: no replacement under way.
-- Keep in step with ../sqlite/0011_totp_replacement.sql: TestMigrationsParity
-- compares them.
ALTER TABLE totp_secrets ADD COLUMN pending_secret TEXT NOT NULL DEFAULT '';
