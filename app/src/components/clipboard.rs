//! Writing to the clipboard, and the fallback when the browser refuses:
//! the value in a read-only field, selected, for the person to copy.

use leptos::prelude::*;

/// Writes `text` to the clipboard with `navigator.clipboard.writeText`.
/// False when the browser has no clipboard here (an insecure origin) or
/// refuses (permission denied, document not focused).
pub async fn write_text(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let clipboard = window().navigator().clipboard();
        let value: &leptos::wasm_bindgen::JsValue = clipboard.as_ref();
        if value.is_undefined() || value.is_null() {
            return false;
        }
        wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
            .await
            .is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// A read-only text field holding `value`, focused and selected on mount.
#[component]
pub fn CopyFallback(
    /// Unique on the page.
    id: String,
    label: String,
    value: String,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
            input.select();
        }
    });
    view! {
        <div class="copy-fallback">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="text"
                readonly=true
                value=value
                node_ref=input
                on:focus=move |_| {
                    if let Some(input) = input.get_untracked() {
                        input.select();
                    }
                }
            />
        </div>
    }
}
