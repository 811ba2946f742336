-- More on the Team page (SPEC §8): when a member joined and was last
-- active, and invitations that were declined.
--
-- joined_at: when the membership became Active (accepted, or created as an
-- Active Admin). Backfilled from the accepted invitation where there is one,
-- else from the row's creation (setup and create-admin make Active rows).
-- last_active_at: the member's last request by session in this account,
-- written at most once a minute (backend::services::auth); requests by API
-- key are in api_key_last_used_at.
ALTER TABLE members ADD COLUMN joined_at BIGINT;
ALTER TABLE members ADD COLUMN last_active_at BIGINT;
UPDATE members SET joined_at = COALESCE(
    (SELECT MAX(i.accepted_at) FROM invitations i WHERE i.member_id = members.id),
    created_at
) WHERE status <> 'invited';

-- Invitation state 'declined'. A CHECK constraint cannot be altered
-- portably, so the table is rebuilt (as 0007 did for audit_events) with the
-- same columns, rows and indexes; nothing references it. At most one open
-- invitation (pending or declined: the admin may still resend or cancel it)
-- per account and address.
CREATE TABLE invitations_new (
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
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'expired', 'cancelled', 'declined')),
    expires_at BIGINT NOT NULL,
    outbox_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    accepted_at BIGINT
);
INSERT INTO invitations_new (id, account_id, member_id, email, email_normalized, first_name,
    last_name, invited_by, token_hash, token_sealed, state, expires_at, outbox_id, created_at,
    updated_at, accepted_at)
SELECT id, account_id, member_id, email, email_normalized, first_name,
    last_name, invited_by, token_hash, token_sealed, state, expires_at, outbox_id, created_at,
    updated_at, accepted_at
FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;
CREATE UNIQUE INDEX invitations_token ON invitations (token_hash);
CREATE UNIQUE INDEX invitations_one_open ON invitations (account_id, email_normalized) WHERE state IN ('pending', 'declined');
CREATE INDEX invitations_email ON invitations (email_normalized);
CREATE INDEX invitations_member ON invitations (member_id);
CREATE INDEX invitations_outbox ON invitations (outbox_id);
