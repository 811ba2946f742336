//! The shapes that cross the wire between the server and the browser (and
//! that the REST API builds on). Plain serde data, no behaviour beyond small
//! helpers; the services build them, the screens show them.

pub mod accounts;
pub mod auth;
pub mod identity;
pub mod invitations;
pub mod password_reset;
pub mod profile;
pub mod team;
