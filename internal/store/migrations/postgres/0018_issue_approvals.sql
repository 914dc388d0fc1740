-- Who paused an issue by hand and when, and the two-person rule for large
-- sends (requirement S5). Timestamps are TIMESTAMPTZ as in 0001_init.sql.
-- Keep in step with ../sqlite/0018_issue_approvals.sql:
-- TestMigrationsParity compares them.

-- paused_by is the user who paused a sending issue by hand ('system' from
-- the command line; '' when the senders held it, or while not paused);
-- paused_at is when it was paused, by anyone.
ALTER TABLE issues ADD COLUMN paused_by TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN paused_at TIMESTAMPTZ;

-- An issue whose audience is larger than second-approval-over goes out
-- only once two different people approved it: one row per approver, all
-- for the same send time (send_at; NULL: at once). Editing the issue,
-- asking for another time or unscheduling it deletes them, so what was
-- approved is what goes out.
CREATE TABLE issue_approvals (
    issue_id    TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    send_at     TIMESTAMPTZ,
    approved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issue_id, user_id)
);
