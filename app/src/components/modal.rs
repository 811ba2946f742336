//! What every modal dialog shares: it is rendered into `<body>` (through a
//! `Portal`), the page behind it is made inert and hidden from assistive
//! technology while it is open, focus moves into it, Tab and Shift+Tab cycle
//! inside it, Escape dismisses it, and focus goes back to the element that
//! opened it when it closes.
//!
//! Dialogs exist only after hydration (they open from click handlers), so
//! the DOM helpers here run in the browser only.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// Marks the elements this module made inert, so they can be restored.
const INERT_MARK: &str = "data-modal-inert";

/// What Tab can reach inside a dialog.
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), \
     select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/// The frame of a modal dialog: backdrop, panel with `role`, `aria-modal`,
/// the labels, keyboard handling and focus management.
#[component]
pub fn ModalFrame(
    /// `dialog` or `alertdialog`.
    role: &'static str,
    /// The id of the element that names the dialog.
    labelledby: String,
    /// The id of the element that describes the dialog.
    #[prop(optional, into)]
    describedby: Option<String>,
    /// Escape was pressed.
    on_escape: Callback<()>,
    /// The id of the element to focus when the dialog closes.
    return_focus: String,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            hide_background(&panel);
            focus_first(&panel);
        }
    });
    on_cleanup(move || release(&return_focus));
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            ev.stop_propagation();
            on_escape.run(());
        }
        "Tab" => {
            if let Some(panel) = panel.get_untracked() {
                trap_tab(&ev, &panel);
            }
        }
        _ => {}
    };
    // A press on the backdrop must not take the focus out of the dialog
    // (Escape and Tab would stop reaching it).
    let keep_focus = move |ev: leptos::ev::MouseEvent| {
        let on_backdrop = match (ev.target(), ev.current_target()) {
            (Some(target), Some(current)) => target == current,
            _ => false,
        };
        if on_backdrop {
            ev.prevent_default();
        }
    };
    view! {
        <div class="modal-backdrop" on:mousedown=keep_focus>
            <div
                class=format!("modal {class}")
                role=role
                aria-modal="true"
                aria-labelledby=labelledby
                aria-describedby=describedby
                node_ref=panel
                on:keydown=on_keydown
            >
                {children()}
            </div>
        </div>
    }
}

/// Makes every child of `<body>` except the one holding `dialog` inert and
/// hidden from assistive technology.
fn hide_background(dialog: &web_sys::Element) {
    let Some(body) = document().body() else {
        return;
    };
    let children = body.children();
    for index in 0..children.length() {
        let Some(child) = children.item(index) else {
            continue;
        };
        if child.contains(Some(dialog)) || child.has_attribute("inert") {
            continue;
        }
        let _ = child.set_attribute("inert", "");
        let _ = child.set_attribute("aria-hidden", "true");
        let _ = child.set_attribute(INERT_MARK, "");
    }
}

/// Undoes `hide_background`, then focuses `return_focus` (or, when that
/// element is gone, the page's main heading).
pub fn release(return_focus: &str) {
    let document = document();
    if let Ok(marked) = document.query_selector_all(&format!("[{INERT_MARK}]")) {
        for index in 0..marked.length() {
            if let Some(element) = marked
                .item(index)
                .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
            {
                let _ = element.remove_attribute("inert");
                let _ = element.remove_attribute("aria-hidden");
                let _ = element.remove_attribute(INERT_MARK);
            }
        }
    }
    let target = document
        .get_element_by_id(return_focus)
        .or_else(|| document.query_selector("#content h1").ok().flatten());
    if let Some(target) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = target.focus();
    }
}

/// The elements Tab can reach inside `container`, in document order.
fn focusable(container: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = container.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|index| list.item(index))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// Focuses the first element Tab can reach in `container`.
pub fn focus_first(container: &web_sys::Element) {
    if let Some(first) = focusable(container).first() {
        let _ = first.focus();
    }
}

/// Keeps Tab and Shift+Tab inside `container`.
fn trap_tab(ev: &web_sys::KeyboardEvent, container: &web_sys::Element) {
    let elements = focusable(container);
    let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
        ev.prevent_default();
        return;
    };
    let active = document().active_element();
    let inside = active
        .as_ref()
        .is_some_and(|active| container.contains(Some(active)));
    let is = |element: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|active| element.is_same_node(Some(active)))
    };
    if ev.shift_key() {
        if !inside || is(first) {
            ev.prevent_default();
            let _ = last.focus();
        }
    } else if !inside || is(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}
