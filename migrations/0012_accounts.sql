-- Several accounts (SPEC §9): the account a session acts in belongs to the
-- session. NULL means "none chosen yet": the session lookup then takes the
-- user's first Active membership (the Default account first, then the
-- oldest) and stores it. A session reaches an account only through an
-- Active member row there, so a stale value never gives access.
ALTER TABLE sessions ADD COLUMN current_account_id TEXT;
CREATE INDEX sessions_user_account ON sessions (user_id, current_account_id);

-- Existing sessions keep the account they acted in until now.
UPDATE sessions SET current_account_id = (
    SELECT m.account_id FROM members m JOIN accounts a ON a.id = m.account_id
    WHERE m.user_id = sessions.user_id AND m.status = 'active'
    ORDER BY a.is_default DESC, m.created_at ASC
    LIMIT 1
);
