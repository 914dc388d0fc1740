-- What keeps a bulk send safe: why an issue is paused, the complaint-rate
-- breaker's counts, bounce notices tied to their delivery, and the lookup
-- of a delivery by its Message-ID.
-- Keep in step with ../sqlite/0015_send_safety.sql: TestMigrationsParity
-- compares them.

-- pause_reason says who paused a sending issue: 'editor', 'complaints' (the
-- complaint-rate breaker) or 'dns' (the DNS pre-flight of the sending
-- domain failed); '' while not paused. complaints counts the complaints
-- about the issue (the complainers' outbox rows go with them).
-- breaker_complaints and breaker_delivered are the complaints and deliveries
-- at the last resume: the breaker judges only what came after.
ALTER TABLE issues ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN complaints INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN breaker_complaints INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN breaker_delivered INTEGER NOT NULL DEFAULT 0;

-- bounce is 'soft' once the delivery bounced softly (a transient DSN, or
-- the sender gave up retrying): three soft-bounced campaigns in a row (by
-- default) suppress the address.
ALTER TABLE sends ADD COLUMN bounce TEXT NOT NULL DEFAULT '' CHECK (bounce IN ('', 'soft'));

-- Bounce and complaint notices name the message they are about by its
-- Message-ID. Only rows a sender has settled carry one, so filling the
-- outbox costs this index nothing.
CREATE INDEX sends_message_id ON sends (message_id) WHERE message_id <> '';
