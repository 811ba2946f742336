-- The Profile page: email changes confirmed from a link sent to the new
-- address (SHA-256 digests of the tokens, single use), and per-session
-- details for the Sessions list. `sessions.id` is a public random id for a
-- row (the page never sees token hashes); sessions opened before this
-- migration have none and are not listed (they expire on their own).
CREATE TABLE email_changes (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    new_email TEXT NOT NULL,
    new_email_normalized TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX email_changes_user ON email_changes (user_id);

ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
CREATE UNIQUE INDEX sessions_public_id ON sessions (id);
CREATE INDEX email_changes_expires ON email_changes (expires_at);
