//! Muster's Leptos crate: the shell, the routes, the screens, and the server
//! functions (`rpc`), which with `ssr` are thin adapters over `backend`.
#![recursion_limit = "256"]

pub mod components;
#[cfg(feature = "ssr")]
pub mod csp;
pub mod error;
pub mod rpc;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use components::auth_context::Auth;
use components::{
    AuditLogPage, CheckEmailPage, Home, InvitationsPage, InvitePage, NotFound, RegisterPage,
    SetupPage, SignInPage, SignedInShell, TeamPage, VerifyEmailPage,
};
use components::{ConfirmEmailPage, ProfilePage};
use components::{ForgotPasswordPage, ResetPasswordPage};
use components::{NewAccountPage, SettingsPage};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::provide_request_nonce();
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" href=stylesheet/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Auth::provide();
    view! {
        <Title formatter=|title: String| if title.is_empty() { "Muster".to_owned() } else { format!("{title} · Muster") }/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async/>
                <Route path=path!("/check-email") view=CheckEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/verify-email/:token") view=VerifyEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password/:token") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/confirm-email/:token") view=ConfirmEmailPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=SignedInShell ssr=SsrMode::Async>
                    <Route path=path!("") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/team") view=TeamPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit-log") view=AuditLogPage ssr=SsrMode::Async/>
                    <Route path=path!("/invitations") view=InvitationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/accounts/new") view=NewAccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
