use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::CurrentUser;

/// `/`: the account home; its heading is the account's name.
#[component]
pub fn Home() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    match user.membership {
        Some(membership) => view! {
            <Title text=membership.account_name.clone()/>
            <h1>{membership.account_name}</h1>
            <p>{format!("Welcome, {}.", user.first_name)}</p>
        }
        .into_any(),
        None => view! {
            <Title text="No account"/>
            <h1>"No account yet"</h1>
            <p>"You are not an active member of any account."</p>
        }
        .into_any(),
    }
}
