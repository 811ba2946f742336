//! The "Invite User" modal of the Team page: "First Name", "Last Name",
//! "Email Address", "Role" ("User" or "Admin": what Accept gives), then
//! "Invite User" or "Cancel".

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use super::field::Validator;
use super::modal::ModalFrame;
use super::{Field, action_error};
use crate::error::AppError;
use crate::rpc::team::{InviteMember, MemberRow};
use shared::domain::{EmailAddress, PersonName, Role};

fn check_first_name(value: &str) -> Result<(), String> {
    PersonName::parse(value, "First name").map(|_| ())
}

fn check_last_name(value: &str) -> Result<(), String> {
    PersonName::parse(value, "Last name").map(|_| ())
}

fn check_email(value: &str) -> Result<(), String> {
    EmailAddress::parse(value).map(|_| ())
}

/// The form's fields by name, with the browser-side check of each.
const FIELDS: [(&str, Validator); 3] = [
    ("first_name", check_first_name),
    ("last_name", check_last_name),
    ("email", check_email),
];

/// The current value of the field named `name` (ids are `field-{name}`).
fn field_value(name: &str) -> String {
    document()
        .get_element_by_id(&format!("field-{name}"))
        .and_then(|element| element.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|input| input.value())
        .unwrap_or_default()
}

fn focus_field(name: &str) {
    if let Some(input) = document()
        .get_element_by_id(&format!("field-{name}"))
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = input.focus();
    }
}

/// The modal itself; the Team page shows it while inviting. `on_invited`
/// receives the new Invited row; `on_close` is called by "Cancel" and
/// Escape (the page then removes the modal, and focus returns to
/// `return_focus`).
#[component]
pub fn InviteModal(
    on_invited: Callback<MemberRow>,
    on_close: Callback<()>,
    return_focus: String,
) -> impl IntoView {
    let action = ServerAction::<InviteMember>::new();
    // The select's value: `user` or `admin`.
    let role = RwSignal::new(Role::User.as_str().to_owned());
    let server_error = action_error(action);
    // Problems found in the browser when "Invite User" was pressed.
    let local_errors = RwSignal::new(Vec::<(&'static str, String)>::new());
    // Fields changed since the last submission: their old messages go.
    let edited = RwSignal::new(Vec::<String>::new());
    let field_error = move |field: &'static str| {
        Signal::derive(move || {
            if edited.with(|edited| edited.iter().any(|name| name == field)) {
                return None;
            }
            local_errors
                .with(|errors| {
                    errors
                        .iter()
                        .find(|(name, _)| *name == field)
                        .map(|(_, message)| message.clone())
                })
                .or_else(|| server_error.get().and_then(|e| e.field_message(field)))
        })
    };
    let on_input = move |ev: leptos::ev::Event| {
        if let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            let name = input.name();
            if !edited.with_untracked(|edited| edited.contains(&name)) {
                edited.update(|edited| edited.push(name));
            }
        }
    };
    let form_error = move || {
        server_error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)))
            .map(|e| e.to_string())
    };
    Effect::new(move |_| {
        if let Some(Ok(row)) = action.value().get() {
            on_invited.run(row);
        }
    });
    // The server's field errors move focus to the first field they name.
    Effect::new(move |_| {
        if let Some(Err(error)) = action.value().get()
            && let Some((name, _)) = FIELDS
                .iter()
                .find(|(name, _)| error.field_message(name).is_some())
        {
            focus_field(name);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if action.pending().get_untracked() {
            return;
        }
        let values = FIELDS.map(|(name, check)| {
            let value = field_value(name);
            let problem = check(&value).err().map(|message| (name, message));
            (value, problem)
        });
        let problems: Vec<_> = values.iter().filter_map(|(_, p)| p.clone()).collect();
        edited.set(Vec::new());
        if let Some((first, _)) = problems.first() {
            focus_field(first);
            local_errors.set(problems);
            return;
        }
        local_errors.set(Vec::new());
        let [first_name, last_name, email] = values.map(|(value, _)| value.trim().to_owned());
        action.dispatch(InviteMember {
            first_name,
            last_name,
            email,
            role: Some(role.get_untracked()),
        });
    };
    view! {
        <ModalFrame
            role="dialog"
            labelledby="invite-user-title".to_owned()
            describedby="invite-user-description".to_owned()
            on_escape=on_close
            return_focus
            class="invite"
        >
            <h2 id="invite-user-title">"Invite User"</h2>
            <p id="invite-user-description" class="muted">
                "We will email them a link to join this account."
            </p>
            <form novalidate=true on:submit=submit on:input=on_input>
                <Field label="First Name" name="first_name" autocomplete="off"
                    server_error=field_error("first_name") validate=check_first_name/>
                <Field label="Last Name" name="last_name" autocomplete="off"
                    server_error=field_error("last_name") validate=check_last_name/>
                <Field label="Email Address" name="email" input_type="email" autocomplete="off"
                    server_error=field_error("email") validate=check_email/>
                <div class="field">
                    <label for="field-role">"Role"</label>
                    <select
                        id="field-role"
                        name="role"
                        aria-describedby="field-role-error"
                        on:change=move |ev| role.set(event_target_value(&ev))
                    >
                        {[Role::User, Role::Admin]
                            .into_iter()
                            .map(|option| view! {
                                <option value=option.as_str() selected=option == Role::User>
                                    {option.label()}
                                </option>
                            })
                            .collect_view()}
                    </select>
                    <p class="field-error" id="field-role-error" aria-live="polite">
                        {move || server_error.get().and_then(|e| e.field_message("role"))}
                    </p>
                </div>
                <p class="form-error" role="alert">{form_error}</p>
                <div class="modal-actions">
                    <button type="button" class="secondary" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button
                        type="submit"
                        disabled=move || action.pending().get()
                        aria-busy=move || action.pending().get().to_string()
                    >
                        "Invite User"
                    </button>
                </div>
            </form>
        </ModalFrame>
    }
}
