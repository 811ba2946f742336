-- Webhooks (SPEC §10). An endpoint belongs to one account; its signing
-- secret (whsec_…) is stored sealed (backend::sealing, the row id as
-- associated data), like API keys. `events` holds the subscribed event
-- types separated by spaces.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, created_at);

-- The webhook outbox: one row per event and endpoint, written in the
-- transaction of the change, leased and retried like mail (the same lease
-- columns as `outbox`, backend::db::lease). `event_id` is the webhook-id
-- every attempt sends; the body (`payload`) is fixed when the event
-- happens. Only a short excerpt of the endpoint's answer is kept.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    sent_at BIGINT,
    dead_at BIGINT,
    last_error TEXT,
    last_attempt_at BIGINT,
    response_status BIGINT,
    response_excerpt TEXT
);
-- Each event once per endpoint.
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE sent_at IS NULL AND dead_at IS NULL;
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_sent ON webhook_deliveries (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (dead_at) WHERE dead_at IS NOT NULL;
