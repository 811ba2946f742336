//! `AppState`: the server core plus the Leptos site options, as the server
//! functions and the router see it.

use std::ops::Deref;

use axum::extract::FromRef;
use backend::Core;
use leptos::config::LeptosOptions;

/// What every handler and server function can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub leptos_options: LeptosOptions,
}

impl Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
