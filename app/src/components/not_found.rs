use leptos::prelude::*;
use leptos_meta::Title;

use super::set_page_status;

#[component]
pub fn NotFound() -> impl IntoView {
    set_page_status(404);
    view! {
        <Title text="Not found"/>
        <main class="auth-page">
            <section class="card">
                <h1>"Page not found"</h1>
                <p><a href="/">"Go home"</a></p>
            </section>
        </main>
    }
}
