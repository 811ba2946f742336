-- What the retention purge (backend::services::retention) deletes by, so each
-- batch finds its rows without scanning the table.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
-- A pending invitation shows when its mail was given up on: its outbox row
-- is kept while the invitation is pending.
CREATE INDEX invitations_outbox ON invitations (outbox_id);
CREATE INDEX email_verifications_expires ON email_verifications (expires_at);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
