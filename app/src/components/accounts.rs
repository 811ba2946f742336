//! `/accounts/new` ("New Account": "Account Name", "Create Account") and
//! `/settings` (Admins: "Account Name", "Save").

use leptos::prelude::*;
use leptos_meta::Title;

use super::admin_only::AdminOnly;
use super::auth_context::Auth;
use super::shell::ShownAccountName;
use super::{Field, action_error, set_page_status};
use crate::components::suspended;
use crate::error::AppError;
use crate::rpc::accounts::{RenameAccount, account_settings, list_accounts};
use shared::domain::AccountName;

fn name_error(error: Signal<Option<AppError>>) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.field_message("name")))
}

fn form_error(error: Signal<Option<AppError>>) -> impl Fn() -> Option<String> {
    move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
            .map(|e| e.to_string())
    }
}

/// `/accounts/new`: a new account with the signed-in user as its Admin;
/// it becomes the current account and its home opens. Refused (403) when
/// `ACCOUNT_CREATION` does not let this user create one.
#[component]
pub fn NewAccountPage() -> impl IntoView {
    let allowed = Resource::new(|| (), |()| list_accounts());
    view! {
        <Title text="New Account"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {suspended(move || async move {
                match allowed.await {
                    Ok(menu) if menu.can_create => view! { <NewAccountForm/> }.into_any(),
                    Ok(_) => {
                        set_page_status(403);
                        view! {
                            <h1>"Access denied"</h1>
                            <p>"You cannot create accounts here. Ask an admin."</p>
                        }
                        .into_any()
                    }
                    Err(error) => {
                        set_page_status(error.status_code());
                        view! { <p role="alert">{error.to_string()}</p> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewAccountForm() -> impl IntoView {
    let action = Auth::get().create_account;
    let error = action_error(action);
    view! {
        <h1>"New Account"</h1>
        <p>"You will be its admin. You can invite your team once it exists."</p>
        <ActionForm action=action attr:novalidate=true>
            <Field label="Account Name" name="name" autocomplete="organization"
                server_error=name_error(error)
                validate=|v| AccountName::parse(v).map(|_| ())/>
            <p class="form-error" role="alert">{form_error(error)}</p>
            <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                "Create Account"
            </button>
        </ActionForm>
    }
}

/// `/settings`: the current account's name (Admins only).
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings"/>
        <AdminOnly denial="Only admins can change the account's settings.">
            <AccountSettings/>
        </AdminOnly>
    }
}

#[component]
fn AccountSettings() -> impl IntoView {
    let settings = Resource::new(|| (), |()| account_settings());
    view! {
        <h1>"Settings"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {suspended(move || async move {
                match settings.await {
                    Ok(account) => view! { <RenameForm name=account.name/> }.into_any(),
                    Err(error) => {
                        set_page_status(error.status_code());
                        view! { <p role="alert">{error.to_string()}</p> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn RenameForm(name: String) -> impl IntoView {
    let action = ServerAction::<RenameAccount>::new();
    let error = action_error(action);
    // The left nav shows the saved name at once.
    let shown = use_context::<ShownAccountName>();
    Effect::new(move |_| {
        if let (Some(Ok(account)), Some(ShownAccountName(name))) = (action.value().get(), shown) {
            name.try_set(account.name);
        }
    });
    view! {
        <section class="card settings-section" aria-labelledby="settings-account">
            <h2 id="settings-account">"Account"</h2>
            <ActionForm action=action attr:novalidate=true>
                <Field label="Account Name" name="name" autocomplete="organization" value=name
                    server_error=name_error(error)
                    validate=|v| AccountName::parse(v).map(|_| ())/>
                <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().to_string()>
                    "Save"
                </button>
                <p class="form-error" role="alert">{form_error(error)}</p>
                <p class="form-success" role="status">
                    {move || matches!(action.value().get(), Some(Ok(_))).then_some("The account was renamed.")}
                </p>
            </ActionForm>
        </section>
    }
}
