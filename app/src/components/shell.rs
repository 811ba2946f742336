use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

use super::account_switcher::AccountSwitcher;
use super::auth_context::Auth;
use super::query::encode_path_value;
use crate::components::suspended;
use crate::rpc::auth::CurrentUser;

/// Everything behind sign-in: the left navigation, the user menu, and the
/// page. Signed-out visitors go to the sign-in page and come back after.
#[component]
pub fn SignedInShell() -> impl IntoView {
    let auth = Auth::get();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {suspended(move || async move {
                match auth.user.await {
                    Ok(Some(user)) => view! { <Frame user/> }.into_any(),
                    Ok(None) => {
                        let next = encode_path_value(&location.pathname.get_untracked());
                        view! { <Redirect path=format!("/sign-in?next={next}")/> }.into_any()
                    }
                    Err(error) => view! { <p role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The name the header shows, which the Profile page's "Your Details"
/// updates once saved.
#[derive(Clone, Copy)]
pub struct HeaderName(pub RwSignal<String>);

/// The current account's name at the top of the left nav, which
/// `/settings` updates once saved.
#[derive(Clone, Copy)]
pub struct ShownAccountName(pub RwSignal<String>);

#[component]
fn Frame(user: CurrentUser) -> impl IntoView {
    let sign_out = Auth::get().sign_out;
    let is_admin = user.is_admin();
    let account_name = user
        .membership
        .as_ref()
        .map_or_else(|| "Muster".to_owned(), |m| m.account_name.clone());
    let full_name = RwSignal::new(format!("{} {}", user.first_name, user.last_name));
    provide_context(HeaderName(full_name));
    let shown_account = RwSignal::new(account_name);
    provide_context(ShownAccountName(shown_account));
    provide_context(user);
    view! {
        <div class="layout">
            <aside class="sidebar">
                <AccountSwitcher account_name=shown_account/>
                <nav aria-label="Account">
                    <ul>
                        <li><A href="/" exact=true>"Home"</A></li>
                    </ul>
                </nav>
                {is_admin.then(|| view! {
                    <nav aria-labelledby="nav-administration">
                        <h2 id="nav-administration">"Administration"</h2>
                        <ul>
                            <li><A href="/team">"Team"</A></li>
                            <li><A href="/audit-log">"Audit Log"</A></li>
                            <li><A href="/settings" exact=true>"Settings"</A></li>
                            <li><A href="/settings/webhooks">"Webhooks"</A></li>
                        </ul>
                    </nav>
                })}
            </aside>
            <div class="main">
                <header class="topbar">
                    <span class="who">{move || full_name.get()}</span>
                    <A href="/profile" attr:class="profile-link">"Profile"</A>
                    <ActionForm action=sign_out>
                        <button type="submit" class="secondary" disabled=move || sign_out.pending().get()>"Sign Out"</button>
                    </ActionForm>
                </header>
                <main id="content">
                    <Outlet/>
                </main>
                {is_admin.then(|| view! {
                    <footer class="footer">
                        // Not a route of the app: a full page load.
                        <a href="/api/docs" rel="external">"API Docs"</a>
                    </footer>
                })}
            </div>
        </div>
    }
}
