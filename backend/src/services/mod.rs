//! Use cases: each opens one transaction, calls `db/`, and commits. Server
//! functions, REST handlers and the CLI are thin wrappers around these.

pub mod accounts;
pub mod api_auth;
pub mod audit;
pub mod auth;
pub mod idempotency;
pub mod identity;
pub mod invitations;
pub mod paging;
pub mod password_reset;
pub mod profile;
pub mod retention;
pub mod setup;
pub mod team;
