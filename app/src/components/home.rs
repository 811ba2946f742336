use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::PendingInvitations;
use super::shell::ShownAccountName;
use crate::rpc::auth::CurrentUser;

/// `/`: the account home; its heading is the account's name. Without an
/// account, the user's pending invitations (if any) are offered here.
#[component]
pub fn Home() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    // The name as `/settings` last saved it (the nav shows the same).
    let shown = use_context::<ShownAccountName>();
    match user.membership {
        Some(membership) => {
            let name = move || {
                shown.map_or_else(|| membership.account_name.clone(), |ShownAccountName(name)| name.get())
            };
            view! {
                <Title text=name.clone()/>
                <h1>{name}</h1>
                <p>{format!("Welcome, {}.", user.first_name)}</p>
            }
            .into_any()
        }
        None => view! {
            <Title text="No account"/>
            <h1>"No account yet"</h1>
            <p>"You are not an active member of any account. When an admin invites you, you can accept here or under "
                <A href="/invitations">"Invitations"</A> "."</p>
            <section class="home-invitations" aria-labelledby="home-invitations-title">
                <h2 id="home-invitations-title">"Your invitations"</h2>
                <PendingInvitations/>
            </section>
        }
        .into_any(),
    }
}
