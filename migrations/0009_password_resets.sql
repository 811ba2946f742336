-- Password reset links (SPEC §7 "Forgot password"): stored as SHA-256
-- digests, single use, expiring after RESET_TTL. A reset ends the user's
-- other links by moving their expiry to the moment of the reset; the
-- retention purge deletes links that expired more than RETENTION ago.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
