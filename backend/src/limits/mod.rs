//! Rate limits: fixed windows counted in the database (exact across
//! processes sharing it), and a buffered in-memory counter for the hot API-key
//! limit.

pub mod buffered;
pub mod rate;
