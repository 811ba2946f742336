//! Integration tests: the real server on port 0, over HTTP, against a fresh
//! SQLite file and a fresh PostgreSQL database. Every test body runs on both
//! engines (see `both_engines!`).

mod binary;
mod helpers;
mod mailbox;
mod smtp_sink;
mod webhook_sink;

mod accounts;
mod admin_audit;
mod api_docs;
mod backup;
mod bulk_import;
mod cli;
mod crash;
mod foundation;
mod hashing;
mod idempotency;
mod identity;
mod log_secrets;
mod member_list;
mod metrics;
mod outbox;
mod password_reset;
mod profile;
mod rest;
mod rest_fuzz;
mod retention;
mod scale_out;
mod security;
mod sigterm;
mod slow_clients;
mod smtp_hang;
mod soak;
mod team;
mod team_more;
mod verification;
mod webhooks;
