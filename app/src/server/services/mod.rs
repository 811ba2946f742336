//! Use cases: each opens one transaction, calls `db/`, and commits. Server
//! functions and the CLI are thin wrappers around these.

pub mod api_auth;
pub mod audit;
pub mod auth;
pub mod buffered_limit;
pub mod identity;
pub mod invitations;
pub mod rate_limit;
pub mod setup;
pub mod team;
