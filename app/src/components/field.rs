//! Labelled form fields with inline errors: the field's own check runs in
//! the browser once the field is left, the server's message shows otherwise.

use leptos::prelude::*;

/// A browser-side check: the same rule the server applies.
pub type Validator = fn(&str) -> Result<(), String>;

fn field_id(name: &str) -> String {
    format!("field-{name}")
}

/// The error to show: the browser-side check first, then the server's.
fn shown_error(
    local: RwSignal<Option<String>>,
    server: Signal<Option<String>>,
) -> Signal<Option<String>> {
    Signal::derive(move || local.get().or_else(|| server.get()))
}

#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(into, optional)] value: Option<String>,
    #[prop(optional)] readonly: bool,
    #[prop(into)] server_error: Signal<Option<String>>,
    /// The same rule the server applies, run in the browser.
    #[prop(optional)]
    validate: Option<Validator>,
) -> impl IntoView {
    let id = field_id(name);
    let error_id = format!("{id}-error");
    let local = RwSignal::new(None::<String>);
    let error = shown_error(local, server_error);
    let check = move |ev: leptos::ev::FocusEvent| {
        if let Some(validate) = validate {
            local.set(validate(&event_target_value(&ev)).err());
        }
    };
    let recheck = move |ev: leptos::ev::Event| {
        if let Some(validate) = validate
            && local.get_untracked().is_some()
        {
            local.set(validate(&event_target_value(&ev)).err());
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                value=value
                readonly=readonly
                required=true
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                on:blur=check
                on:input=recheck
            />
            <p class="field-error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A password field with a Show/Hide toggle, labelled `label` ("Password"
/// unless told; the input's name is `password` either way).
#[component]
pub fn PasswordField(
    #[prop(default = "Password")] label: &'static str,
    #[prop(default = "current-password")] autocomplete: &'static str,
    #[prop(into)] server_error: Signal<Option<String>>,
    #[prop(optional)] validate: Option<Validator>,
) -> impl IntoView {
    let id = field_id("password");
    let error_id = format!("{id}-error");
    let visible = RwSignal::new(false);
    let local = RwSignal::new(None::<String>);
    let error = shown_error(local, server_error);
    let check = move |ev: leptos::ev::FocusEvent| {
        if let Some(validate) = validate {
            local.set(validate(&event_target_value(&ev)).err());
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <div class="password-row">
                <input
                    id=id.clone()
                    name="password"
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required=true
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby=error_id.clone()
                    on:blur=check
                />
                <button
                    type="button"
                    class="secondary"
                    aria-controls=id
                    aria-pressed=move || if visible.get() { "true" } else { "false" }
                    on:click=move |_| visible.update(|v| *v = !*v)
                >
                    {move || if visible.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            <p class="field-error" id=error_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// "First Name", "Last Name", "Email Address" and "Password" for a new user,
/// each checked in the browser with the server's rules; `error` is the last
/// submission's error (its field messages show under the fields).
#[component]
pub fn NewUserFields(#[prop(into)] error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    use shared::domain::{EmailAddress, Password, PersonName};
    let field_error = move |field: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(field)))
    };
    view! {
        <Field label="First Name" name="first_name" autocomplete="given-name"
            server_error=field_error("first_name")
            validate=|v| PersonName::parse(v, "First name").map(|_| ())/>
        <Field label="Last Name" name="last_name" autocomplete="family-name"
            server_error=field_error("last_name")
            validate=|v| PersonName::parse(v, "Last name").map(|_| ())/>
        <Field label="Email Address" name="email" input_type="email" autocomplete="email"
            server_error=field_error("email")
            validate=|v| EmailAddress::parse(v).map(|_| ())/>
        <PasswordField autocomplete="new-password" server_error=field_error("password")
            validate=|v| Password::parse(v, None).map(|_| ())/>
    }
}
