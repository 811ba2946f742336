//! The Team page's search by name or email and its status filter.

use std::time::Duration;

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos_router::components::Form;
use shared::domain::MemberStatus;

/// The status filter's value, if it is one the server knows (else no filter).
pub(super) fn status_filter(value: Option<String>) -> String {
    value
        .filter(|v| MemberStatus::parse(v).is_ok())
        .unwrap_or_default()
}

/// Search by name or email and filter by status; a GET form, so the state
/// lives in the URL (`q`, `status`) and works before hydration. After
/// hydration the status filter applies on change and the search as you type.
#[component]
pub(super) fn SearchForm(q: Signal<String>, status: Signal<String>) -> impl IntoView {
    let typing = StoredValue::new(None::<TimeoutHandle>);
    let submit_soon = move |ev: leptos::ev::Event| {
        let Some(form) = closest_form(&ev) else {
            return;
        };
        if let Some(handle) = typing.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                let _ = form.request_submit();
            },
            Duration::from_millis(350),
        );
        typing.set_value(handle.ok());
    };
    let submit_now = move |ev: leptos::ev::Event| {
        if let Some(form) = closest_form(&ev) {
            let _ = form.request_submit();
        }
    };
    let options = [
        ("", "All"),
        ("invited", "Invited"),
        ("active", "Active"),
        ("disabled", "Disabled"),
    ];
    view! {
        <Form action="/team" replace=true noscroll=true attr:class="filters" attr:aria-label="Filter members">
            <div class="filter">
                <label for="team-search">"Search"</label>
                <input
                    id="team-search"
                    type="search"
                    name="q"
                    placeholder="Name or email"
                    autocomplete="off"
                    value=move || q.get()
                    on:input=submit_soon
                />
            </div>
            <div class="filter">
                <label for="team-status">"Status"</label>
                <select id="team-status" name="status" on:change=submit_now>
                    {options
                        .into_iter()
                        .map(|(value, label)| view! {
                            <option value=value selected=move || status.get() == value>{label}</option>
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="secondary">"Search"</button>
        </Form>
    }
}

/// The form the event's target sits in.
fn closest_form(ev: &leptos::ev::Event) -> Option<web_sys::HtmlFormElement> {
    ev.target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|element| element.closest("form").ok().flatten())
        .and_then(|form| form.dyn_into::<web_sys::HtmlFormElement>().ok())
}

#[cfg(test)]
mod tests {
    use super::status_filter;

    #[test]
    fn only_known_statuses_filter() {
        assert_eq!(status_filter(Some("active".into())), "active");
        assert_eq!(status_filter(Some("invited".into())), "invited");
        assert_eq!(status_filter(Some("owner".into())), "");
        assert_eq!(status_filter(None), "");
    }
}
