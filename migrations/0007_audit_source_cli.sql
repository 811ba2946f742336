-- Audit events may come from the command line (`server create-admin`):
-- source 'cli'. A CHECK constraint cannot be altered portably (SQLite has no
-- ALTER ... CONSTRAINT), so the table is rebuilt with the same columns, rows
-- and indexes; nothing references it. Old processes, which write only 'ui'
-- and 'api', keep working on the new table.
CREATE TABLE audit_events_new (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    actor_user_id TEXT,
    actor_label TEXT NOT NULL,
    target_member_id TEXT,
    target_label TEXT NOT NULL,
    action TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    source TEXT NOT NULL CHECK (source IN ('ui', 'api', 'cli')),
    created_at BIGINT NOT NULL
);
INSERT INTO audit_events_new (id, account_id, actor_user_id, actor_label, target_member_id,
    target_label, action, before_state, after_state, source, created_at)
SELECT id, account_id, actor_user_id, actor_label, target_member_id,
    target_label, action, before_state, after_state, source, created_at
FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_account_time ON audit_events (account_id, created_at);
CREATE INDEX audit_events_target ON audit_events (target_member_id);
