-- API keys live on the member: looked up by SHA-256 digest, and kept sealed
-- (XChaCha20-Poly1305, key derived from the server secret) so that "Copy API
-- Key" can show them again. The key itself is never stored.
ALTER TABLE members ADD COLUMN api_key_digest TEXT;
ALTER TABLE members ADD COLUMN api_key_sealed TEXT;
ALTER TABLE members ADD COLUMN api_key_last_used_at BIGINT;
CREATE UNIQUE INDEX members_api_key_digest ON members (api_key_digest);
CREATE INDEX members_account_created ON members (account_id, created_at);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    member_id TEXT REFERENCES members (id) ON DELETE SET NULL,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    invited_by TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL,
    token_sealed TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'expired', 'cancelled')),
    expires_at BIGINT NOT NULL,
    outbox_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    accepted_at BIGINT
);
CREATE UNIQUE INDEX invitations_token ON invitations (token_hash);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (account_id, email_normalized) WHERE state = 'pending';
CREATE INDEX invitations_email ON invitations (email_normalized);
CREATE INDEX invitations_member ON invitations (member_id);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    actor_user_id TEXT,
    actor_label TEXT NOT NULL,
    target_member_id TEXT,
    target_label TEXT NOT NULL,
    action TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    source TEXT NOT NULL CHECK (source IN ('ui', 'api')),
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_account_time ON audit_events (account_id, created_at);
