//! Everything that only exists on the server: state, the data layer, the use
//! cases, and the security primitives they share.

pub mod api_keys;
pub mod clock;
pub mod csp;
pub mod db;
pub mod email;
pub mod passwords;
pub mod sealing;
pub mod services;
pub mod settings;
pub mod state;
pub mod tokens;

pub use state::AppState;
