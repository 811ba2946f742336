//! "API Key": the signed-in member's own key in the current account (User
//! or Admin): "Copy API Key" reveals and copies it (audited), "Refresh"
//! replaces it after a confirmation (the old key dies at once), and when it
//! was last used, or "Never used".

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::ProfileSection;
use crate::components::clipboard::{self, CopyFallback};
use crate::components::confirm_dialog::ConfirmDialog;
use crate::components::dates::format_utc;
use crate::components::suspended;
use crate::rpc::profile::{
    OwnApiKey, own_api_key_summary, refresh_own_api_key, reveal_own_api_key,
};

const REFRESH_BUTTON_ID: &str = "profile-refresh-api-key";

#[component]
pub(super) fn ApiKeySection() -> impl IntoView {
    let refreshed = RwSignal::new(0_u32);
    let summary = Resource::new(move || refreshed.get(), |_| own_api_key_summary());
    let busy = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let fallback = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);

    // Shows `key` copied, or in a field to copy from when the browser refuses.
    let offer = move |key: String, done: &'static str| async move {
        if clipboard::write_text(&key).await {
            notice.try_set(Some(done.to_owned()));
        } else {
            notice.try_set(Some("Copy it from the field below.".to_owned()));
            fallback.try_set(Some(key));
        }
    };
    let start = move || {
        if busy.get_untracked() {
            return false;
        }
        busy.set(true);
        notice.set(None);
        error.set(None);
        fallback.set(None);
        true
    };
    let copy = move |_: leptos::ev::MouseEvent| {
        if !start() {
            return;
        }
        spawn_local(async move {
            match reveal_own_api_key().await {
                Ok(key) => offer(key, "Copied").await,
                Err(problem) => {
                    error.try_set(Some(problem.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    let refresh = Callback::new(move |()| {
        confirming.set(false);
        if !start() {
            return;
        }
        spawn_local(async move {
            match refresh_own_api_key().await {
                Ok(key) => {
                    offer(
                        key,
                        "A new API key was created and copied. The old key no longer works.",
                    )
                    .await;
                    refreshed.try_update(|n| *n += 1);
                }
                Err(problem) => {
                    error.try_set(Some(problem.to_string()));
                }
            }
            busy.try_set(false);
        });
    });
    let dismiss = Callback::new(move |()| confirming.set(false));

    let body = move |key: Option<OwnApiKey>| match key {
        None => view! { <p>"You are not a member of an account, so you have no API key."</p> }
            .into_any(),
        Some(key) => {
            let last_used = key.last_used_at.map_or_else(
                || "Never used".to_owned(),
                |at| format!("Last used {}", format_utc(at)),
            );
            view! {
                <p>"Your API key for "<strong>{key.account_name}</strong>" lets scripts act as you."</p>
                <p class="api-key-last-used">{last_used}</p>
                <div class="row-actions">
                    <button type="button" class="secondary" disabled=move || busy.get() on:click=copy>
                        "Copy API Key"
                    </button>
                    <button type="button" id=REFRESH_BUTTON_ID class="danger-outline" aria-haspopup="dialog"
                        disabled=move || busy.get() on:click=move |_| confirming.set(true)>
                        "Refresh"
                    </button>
                </div>
            }
            .into_any()
        }
    };

    view! {
        <ProfileSection title="API Key" id="profile-api-key">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {suspended(move || async move {
                    match summary.await {
                        Ok(key) => body(key),
                        Err(problem) => view! { <p class="form-error" role="alert">{problem.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <p class="form-success" role="status">{move || notice.get()}</p>
            {move || fallback.get().map(|value| view! {
                <CopyFallback id="profile-api-key-copy".to_owned() label="API key".to_owned() value/>
            })}
            <p class="form-error" role="alert">{move || error.get()}</p>
            {move || confirming.get().then(|| view! {
                <Portal>
                    <ConfirmDialog
                        id="confirm-profile-refresh".to_owned()
                        title="Refresh your API key?".to_owned()
                        description="A new key replaces yours. The old key stops working at once, so scripts using it will fail until you give them the new one.".to_owned()
                        confirm_label="Refresh"
                        dismiss_label="Cancel"
                        return_focus=REFRESH_BUTTON_ID.to_owned()
                        on_confirm=refresh
                        on_dismiss=dismiss
                    />
                </Portal>
            })}
        </ProfileSection>
    }
}
