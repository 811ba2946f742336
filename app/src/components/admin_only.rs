//! The admin-only pages' gate: anyone else gets "Access denied" with a 403
//! status, and the page itself (its resources, its server calls) is never
//! built for them.

use leptos::prelude::*;
use leptos_meta::Title;

use super::set_page_status;
use crate::rpc::auth::CurrentUser;

/// Renders `children` for an Admin of the signed-in user's account; for
/// anyone else a 403 page saying `denial` ("Only admins can …").
#[component]
pub fn AdminOnly(denial: &'static str, children: Children) -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    if user.is_admin() {
        return children().into_any();
    }
    set_page_status(403);
    view! {
        <Title text="Access denied"/>
        <h1>"Access denied"</h1>
        <p>{denial}</p>
    }
    .into_any()
}
