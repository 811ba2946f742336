//! The card the signed-out pages sit in (sign-in, registration, first-admin
//! set-up), and the gate those that may be closed put their form behind.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::suspended;
use crate::error::AppError;

/// A centred card in the page's `main` landmark, headed by `title` (also
/// the document title), labelled by its heading (`title_id`) for assistive
/// technology.
#[component]
pub fn AuthCard(title: &'static str, title_id: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main class="auth-page">
            <section class="card" aria-labelledby=title_id>
                <h1 id=title_id>{title}</h1>
                {children()}
            </section>
        </main>
    }
}

/// `children` once `open` answers `true`; `closed` when it answers `false`;
/// the error when it fails. Rendered on the server when the page is, so the
/// form is there before hydration.
#[component]
pub fn Gate(
    open: Resource<Result<bool, AppError>>,
    #[prop(into)] closed: ViewFn,
    children: ChildrenFn,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {suspended(move || {
                let (closed, children) = (closed.clone(), children.clone());
                async move {
                    match open.await {
                        Ok(true) => children().into_any(),
                        Ok(false) => closed.run(),
                        Err(error) => view! { <p role="alert">{error.to_string()}</p> }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
}
