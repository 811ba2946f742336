//! Muster's server core: the data layer, the use cases, mail, and the
//! security primitives they share. No Leptos and no HTTP framework: the
//! server functions (`app`) and the REST API (`server`) are thin adapters
//! over `services`.

pub mod api_keys;
pub mod clock;
pub mod db;
pub mod delivery;
pub mod email;
pub mod limits;
pub mod metrics;
pub mod passwords;
pub mod sealing;
pub mod services;
pub mod settings;
pub mod state;
pub mod tokens;
pub mod user_agent;
pub mod webhooks;

#[cfg(test)]
mod shape_properties;

pub use state::Core;
