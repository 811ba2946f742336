//! `/settings/webhooks` (Admins, SPEC §10): "Add Endpoint" (an "Endpoint
//! URL" and event checkboxes), and per endpoint "Copy Secret", "Rotate
//! Secret" (confirmed), "Send Test Event", "Delete" (confirmed) and its
//! recent deliveries (event, time, HTTP status, attempts). The rules are
//! the server's (`backend::services::webhooks`); the page only asks.

use std::collections::HashMap;

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use super::admin_only::AdminOnly;
use super::clipboard::{self, CopyFallback};
use super::confirm_dialog::ConfirmDialog;
use super::dates::format_utc;
use crate::components::suspended;
use crate::error::AppError;
use crate::rpc::webhooks::{
    WebhookEndpointWithDeliveries, add_webhook, delete_webhook, list_webhooks,
    reveal_webhook_secret, rotate_webhook_secret, send_test_webhook,
};
use shared::domain::WebhookEvent;

/// Bumped after every change, so the list is read again.
#[derive(Clone, Copy)]
struct Reload(RwSignal<u32>);

impl Reload {
    fn bump(self) {
        self.0.try_update(|n| *n += 1);
    }
}

/// The last notice of each endpoint ("Test event queued.", "Copied"), by
/// endpoint id: kept here, above the list, so it outlives the list's
/// re-render after a change.
#[derive(Clone, Copy)]
struct Notices(RwSignal<HashMap<String, String>>);

impl Notices {
    fn set(self, endpoint: &str, text: Option<String>) {
        self.0.try_update(|notices| match text {
            Some(text) => {
                notices.insert(endpoint.to_owned(), text);
            }
            None => {
                notices.remove(endpoint);
            }
        });
    }

    fn get(self, endpoint: &str) -> Option<String> {
        self.0.with(|notices| notices.get(endpoint).cloned())
    }
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <Title text="Webhooks"/>
        <AdminOnly denial="Only admins can manage the account's webhooks.">
            <Webhooks/>
        </AdminOnly>
    }
}

#[component]
fn Webhooks() -> impl IntoView {
    let reload = Reload(RwSignal::new(0));
    provide_context(reload);
    provide_context(Notices(RwSignal::new(HashMap::new())));
    let endpoints = Resource::new(move || reload.0.get(), |_| list_webhooks());
    view! {
        <h1>"Webhooks"</h1>
        <p>"Muster sends a signed POST (Standard Webhooks) to each endpoint when one of its events happens."</p>
        <AddEndpoint/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {suspended(move || async move {
                match endpoints.await {
                    Ok(list) if list.is_empty() => view! { <p>"No endpoints yet."</p> }.into_any(),
                    Ok(list) => list
                        .into_iter()
                        .map(|endpoint| view! { <Endpoint endpoint/> })
                        .collect_view()
                        .into_any(),
                    Err(error) => view! { <p role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The message of `error` for `field`, if it is a field error there.
fn field_message(error: &AppError, field: &str) -> Option<String> {
    match error {
        AppError::Validation(fields) => fields
            .iter()
            .find(|candidate| candidate.field == field)
            .map(|candidate| candidate.message.clone()),
        _ => None,
    }
}

#[component]
fn AddEndpoint() -> impl IntoView {
    let reload = expect_context::<Reload>();
    let open = RwSignal::new(false);
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<&'static str>::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let secret = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let events = chosen.get_untracked().join(",");
        let target = url.get_untracked();
        spawn_local(async move {
            match add_webhook(target, events).await {
                Ok(created) => {
                    secret.try_set(Some(created.secret));
                    url.try_set(String::new());
                    chosen.try_set(Vec::new());
                    open.try_set(false);
                    reload.bump();
                }
                Err(problem) => {
                    error.try_set(Some(problem));
                }
            }
            busy.try_set(false);
        });
    };
    let url_error = move || error.get().and_then(|e| field_message(&e, "url"));
    let events_error = move || error.get().and_then(|e| field_message(&e, "events"));
    let form_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
            .map(|e| e.to_string())
    };
    view! {
        <section class="card settings-section" aria-labelledby="webhooks-add">
            <h2 id="webhooks-add">"Endpoints"</h2>
            {move || secret.get().map(|value| view! {
                <div class="webhook-secret" role="status">
                    <p>"Endpoint added. Its signing secret (you can copy it again later with Copy Secret):"</p>
                    <CopyFallback id="webhook-new-secret".to_owned() label="Signing secret".to_owned() value/>
                </div>
            })}
            <Show when=move || open.get() fallback=move || view! {
                <button type="button" on:click=move |_| { secret.set(None); open.set(true); }>"Add Endpoint"</button>
            }>
                <form novalidate=true on:submit=submit aria-label="New endpoint">
                    <div class="field">
                        <label for="webhook-url">"Endpoint URL"</label>
                        <input id="webhook-url" name="url" type="url" inputmode="url" autocomplete="off"
                            placeholder="https://example.com/webhooks"
                            aria-invalid=move || url_error().is_some().to_string()
                            aria-describedby="webhook-url-error"
                            prop:value=move || url.get()
                            on:input=move |ev| url.set(event_target_value(&ev))/>
                        <p id="webhook-url-error" class="field-error">{url_error}</p>
                    </div>
                    <fieldset aria-describedby="webhook-events-error">
                        <legend>"Events"</legend>
                        {WebhookEvent::ALL.into_iter().map(|event| {
                            let name = event.as_str();
                            let id = format!("webhook-event-{}", name.replace('.', "-"));
                            view! {
                                <div class="checkbox">
                                    <input type="checkbox" id=id.clone() name="events" value=name
                                        prop:checked=move || chosen.get().contains(&name)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|list| {
                                                list.retain(|other| *other != name);
                                                if on {
                                                    list.push(name);
                                                }
                                            });
                                        }/>
                                    <label for=id>{name}</label>
                                </div>
                            }
                        }).collect_view()}
                        <p id="webhook-events-error" class="field-error">{events_error}</p>
                    </fieldset>
                    <div class="row-actions">
                        <button type="submit" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                            "Add Endpoint"
                        </button>
                        <button type="button" class="secondary" on:click=move |_| { open.set(false); error.set(None); }>
                            "Cancel"
                        </button>
                    </div>
                    <p class="form-error" role="alert">{form_error}</p>
                </form>
            </Show>
        </section>
    }
}

/// What a confirmation is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Confirming {
    Rotate,
    Delete,
}

#[component]
fn Endpoint(endpoint: WebhookEndpointWithDeliveries) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let notices = expect_context::<Notices>();
    let WebhookEndpointWithDeliveries {
        endpoint,
        deliveries,
    } = endpoint;
    let id = endpoint.id.clone();
    let heading_id = format!("webhook-{id}");
    let labelled_by = heading_id.clone();
    let rotate_id = format!("webhook-rotate-{id}");
    let delete_id = format!("webhook-delete-{id}");
    let busy = RwSignal::new(false);
    let key = StoredValue::new(id.clone());
    let set_notice = move |text: Option<String>| {
        key.try_with_value(|endpoint| notices.set(endpoint, text));
    };
    let error = RwSignal::new(None::<String>);
    let fallback = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(None::<Confirming>);
    let start = move || {
        if busy.get_untracked() {
            return false;
        }
        busy.set(true);
        set_notice(None);
        error.set(None);
        fallback.set(None);
        true
    };
    let offer = move |secret: String, done: &'static str| async move {
        if clipboard::write_text(&secret).await {
            set_notice(Some(done.to_owned()));
        } else {
            set_notice(Some("Copy it from the field below.".to_owned()));
            fallback.try_set(Some(secret));
        }
    };
    let copy = {
        let id = id.clone();
        move |_: leptos::ev::MouseEvent| {
            if !start() {
                return;
            }
            let id = id.clone();
            spawn_local(async move {
                match reveal_webhook_secret(id).await {
                    Ok(secret) => offer(secret, "Copied").await,
                    Err(problem) => {
                        error.try_set(Some(problem.to_string()));
                    }
                }
                busy.try_set(false);
            });
        }
    };
    let send_test = {
        let id = id.clone();
        move |_: leptos::ev::MouseEvent| {
            if !start() {
                return;
            }
            let id = id.clone();
            spawn_local(async move {
                match send_test_webhook(id).await {
                    Ok(_) => {
                        set_notice(Some("Test event queued.".to_owned()));
                        reload.bump();
                    }
                    Err(problem) => {
                        error.try_set(Some(problem.to_string()));
                    }
                }
                busy.try_set(false);
            });
        }
    };
    let confirm = {
        let id = id.clone();
        Callback::new(move |()| {
            let what = confirming.get_untracked();
            confirming.set(None);
            if !start() {
                return;
            }
            let id = id.clone();
            spawn_local(async move {
                match what {
                    Some(Confirming::Rotate) => match rotate_webhook_secret(id).await {
                        Ok(secret) => {
                            offer(secret, "A new secret was created and copied. The old one no longer signs anything.").await;
                        }
                        Err(problem) => {
                            error.try_set(Some(problem.to_string()));
                        }
                    },
                    Some(Confirming::Delete) => match delete_webhook(id).await {
                        Ok(()) => reload.bump(),
                        Err(problem) => {
                            error.try_set(Some(problem.to_string()));
                        }
                    },
                    None => {}
                }
                busy.try_set(false);
            });
        })
    };
    let dismiss = Callback::new(move |()| confirming.set(None));
    let events = endpoint.events.join(", ");
    let rows = deliveries
        .into_iter()
        .map(|delivery| {
            let time = format_utc(delivery.last_attempt_at.unwrap_or(delivery.created_at));
            let status = delivery
                .http_status
                .map_or_else(|| "—".to_owned(), |status| status.to_string());
            view! {
                <tr>
                    <td>{delivery.event_type}</td>
                    <td>{time}</td>
                    <td>{status}</td>
                    <td>{delivery.attempts}</td>
                    <td>{delivery.state.as_str()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card settings-section webhook-endpoint" aria-labelledby=labelled_by>
            <h2 id=heading_id class="webhook-url">{endpoint.url.clone()}</h2>
            <p>"Events: "{events}</p>
            <div class="row-actions">
                <button type="button" class="secondary" disabled=move || busy.get() on:click=copy>"Copy Secret"</button>
                <button type="button" id=rotate_id.clone() class="danger-outline" aria-haspopup="dialog"
                    disabled=move || busy.get() on:click=move |_| confirming.set(Some(Confirming::Rotate))>"Rotate Secret"</button>
                <button type="button" class="secondary" disabled=move || busy.get() on:click=send_test>"Send Test Event"</button>
                <button type="button" id=delete_id.clone() class="danger-outline" aria-haspopup="dialog"
                    disabled=move || busy.get() on:click=move |_| confirming.set(Some(Confirming::Delete))>"Delete"</button>
            </div>
            <p class="form-success" role="status">{move || key.try_with_value(|endpoint| notices.get(endpoint)).flatten()}</p>
            {move || fallback.get().map(|value| view! {
                <CopyFallback id="webhook-secret-copy".to_owned() label="Signing secret".to_owned() value/>
            })}
            <p class="form-error" role="alert">{move || error.get()}</p>
            <h3>"Recent Deliveries"</h3>
            <table class="data-table">
                <thead>
                    <tr><th scope="col">"Event"</th><th scope="col">"Time"</th><th scope="col">"HTTP Status"</th><th scope="col">"Attempts"</th><th scope="col">"State"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {move || confirming.get().map(|what| {
                let (title, description, label, focus) = match what {
                    Confirming::Rotate => (
                        "Rotate this endpoint's secret?",
                        "A new signing secret replaces the old one at once: every later delivery, retries too, is signed with the new one.",
                        "Rotate Secret",
                        rotate_id.clone(),
                    ),
                    Confirming::Delete => (
                        "Delete this endpoint?",
                        "Nothing more is sent to it, and its delivery log is deleted.",
                        "Delete",
                        delete_id.clone(),
                    ),
                };
                view! {
                    <Portal>
                        <ConfirmDialog
                            id="confirm-webhook".to_owned()
                            title=title.to_owned()
                            description=description.to_owned()
                            confirm_label=label
                            dismiss_label="Cancel"
                            return_focus=focus.clone()
                            on_confirm=confirm
                            on_dismiss=dismiss
                        />
                    </Portal>
                }
            })}
        </section>
    }
}
