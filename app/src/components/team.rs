use leptos::prelude::*;
use leptos_meta::Title;

use super::set_page_status;
use crate::api::auth::CurrentUser;

/// `/team`: Admins only; everyone else gets a 403 page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    if !user.is_admin() {
        set_page_status(403);
        return view! {
            <Title text="Access denied"/>
            <h1>"Access denied"</h1>
            <p>"Only admins can manage the team."</p>
        }
        .into_any();
    }
    view! {
        <Title text="Team"/>
        <h1>"Team"</h1>
        <p>"The member table and invitations arrive with team administration."</p>
    }
    .into_any()
}
