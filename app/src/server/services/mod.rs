//! Use cases: each opens one transaction, calls `db/`, and commits. Server
//! functions and the CLI are thin wrappers around these.

pub mod auth;
pub mod identity;
pub mod rate_limit;
pub mod setup;
