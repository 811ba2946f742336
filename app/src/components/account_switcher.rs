//! "Switch Account": the account name at the top of the left nav is a menu
//! button (the WAI-ARIA menu button pattern): `aria-haspopup="menu"` and
//! `aria-expanded`; Enter, Space or Down Arrow opens the menu on its first
//! item, Up Arrow on its last; in the menu the arrows move (and wrap), Home
//! and End jump, Escape closes it and gives the focus back to the button,
//! Tab or a press elsewhere closes it. The menu holds the accounts where the
//! user is Active (the current one checked) and, when `ACCOUNT_CREATION`
//! lets them, "New Account". Choosing an account is a POST (the switch
//! changes the session); the app then shows that account's home.
//!
//! The list loads in the browser, once hydrated: the menu opens from a click
//! handler, so the server renders the button and a hidden "Loading…".

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use super::auth_context::Auth;
use crate::error::AppError;
use crate::rpc::accounts::{AccountMenu, SwitchAccount, list_accounts};

const BUTTON_ID: &str = "account-switcher";
const MENU_ID: &str = "account-menu";

/// Which item to focus once the open menu is rendered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    First,
    Last,
}

/// A move from the focused item.
#[derive(Clone, Copy)]
enum Step {
    Next,
    Previous,
}

/// The menu's items, in order.
fn items(menu: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = menu.query_selector_all("[role='menuitem'], [role='menuitemradio']") else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|index| list.item(index))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// Focuses the item `step` places from the focused one (wrapping), or the
/// first or last.
fn move_focus(menu: &web_sys::HtmlElement, step: Option<Step>, edge: Edge) {
    let items = items(menu);
    if items.is_empty() {
        return;
    }
    let active = document().active_element();
    let focused = items
        .iter()
        .position(|item| active.as_ref() == Some(item.unchecked_ref::<web_sys::Element>()));
    let count = items.len();
    let target = match (step, focused) {
        (Some(Step::Next), Some(at)) => (at + 1) % count,
        (Some(Step::Previous), Some(at)) => (at + count - 1) % count,
        _ => match edge {
            Edge::First => 0,
            Edge::Last => items.len() - 1,
        },
    };
    let _ = items[target].focus();
}

/// The menu button and its menu; `account_name` is the current account's
/// name (or "Muster" without one).
#[component]
pub fn AccountSwitcher(#[prop(into)] account_name: Signal<String>) -> impl IntoView {
    let switch = Auth::get().switch_account;
    let open = RwSignal::new(false);
    let focus_on_open = RwSignal::new(None::<Edge>);
    let menu_ref = NodeRef::<leptos::html::Ul>::new();
    let button_ref = NodeRef::<leptos::html::Button>::new();
    let wrapper_ref = NodeRef::<leptos::html::Div>::new();
    // Filled in the browser only (effects do not run on the server), so
    // the server and the hydrating browser both render "Loading…" and no
    // page waits for the list.
    let choices = RwSignal::new(None::<Result<AccountMenu, AppError>>);
    Effect::new(move |_| {
        switch.version().get();
        leptos::task::spawn_local(async move {
            let menu = list_accounts().await;
            choices.try_set(Some(menu));
        });
    });

    // Once the open menu's items are there, focus the asked-for one.
    Effect::new(move |_| {
        let loaded = choices.get().is_some();
        if let (true, true, Some(edge)) = (open.get(), loaded, focus_on_open.get()) {
            request_animation_frame(move || {
                if let Some(menu) = menu_ref.get_untracked() {
                    move_focus(&menu, None, edge);
                }
                focus_on_open.set(None);
            });
        }
    });

    let open_at = move |edge: Edge| {
        focus_on_open.set(Some(edge));
        open.set(true);
    };
    let close = move |refocus: bool| {
        open.set(false);
        focus_on_open.set(None);
        if refocus && let Some(button) = button_ref.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_button_click = move |_| {
        if open.get_untracked() {
            close(false);
        } else {
            open_at(Edge::First);
        }
    };
    let on_button_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" => {
            ev.prevent_default();
            open_at(Edge::First);
        }
        "ArrowUp" => {
            ev.prevent_default();
            open_at(Edge::Last);
        }
        "Escape" if open.get_untracked() => {
            ev.prevent_default();
            close(true);
        }
        _ => {}
    };
    let on_menu_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(menu) = menu_ref.get_untracked() else {
            return;
        };
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                move_focus(&menu, Some(Step::Next), Edge::First);
            }
            "ArrowUp" => {
                ev.prevent_default();
                move_focus(&menu, Some(Step::Previous), Edge::Last);
            }
            "Home" => {
                ev.prevent_default();
                move_focus(&menu, None, Edge::First);
            }
            "End" => {
                ev.prevent_default();
                move_focus(&menu, None, Edge::Last);
            }
            "Escape" => {
                ev.prevent_default();
                ev.stop_propagation();
                close(true);
            }
            "Tab" => close(false),
            _ => {}
        }
    };
    // Focus leaving the switcher (Tab, a press elsewhere) closes the menu.
    let on_focusout = move |ev: leptos::ev::FocusEvent| {
        let inside = match (ev.related_target(), wrapper_ref.get_untracked()) {
            (Some(next), Some(wrapper)) => next
                .dyn_ref::<web_sys::Node>()
                .is_some_and(|node| wrapper.contains(Some(node))),
            _ => false,
        };
        if !inside {
            open.set(false);
        }
    };
    let choose = move |account_id: String, is_current: bool| {
        close(true);
        if !is_current {
            switch.dispatch(SwitchAccount { account_id });
        }
    };

    view! {
        <div class="account-switcher" node_ref=wrapper_ref on:focusout=on_focusout>
            <button
                type="button"
                id=BUTTON_ID
                class="brand"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=MENU_ID
                aria-busy=move || switch.pending().get().to_string()
                node_ref=button_ref
                on:click=on_button_click
                on:keydown=on_button_keydown
            >
                <span class="brand-name">{move || account_name.get()}</span>
                <span class="brand-hint">"Switch Account"</span>
            </button>
            <ul
                id=MENU_ID
                role="menu"
                aria-labelledby=BUTTON_ID
                class="account-menu"
                hidden=move || !open.get()
                node_ref=menu_ref
                on:keydown=on_menu_keydown
            >
                // No Suspense: nothing here may hold up the page's render.
                {move || match choices.get() {
                    None => view! {
                        <li role="none"><span role="menuitem" aria-disabled="true" class="muted">"Loading…"</span></li>
                    }.into_any(),
                    Some(Ok(menu)) => {
                        let can_create = menu.can_create;
                        let separator = can_create && !menu.accounts.is_empty();
                        view! {
                            {menu.accounts.into_iter().map(|account| {
                                let id = account.id.clone();
                                let is_current = account.is_current;
                                let role = account.role.label();
                                view! {
                                    <li role="none">
                                        <button
                                            type="button"
                                            role="menuitemradio"
                                            tabindex="-1"
                                            aria-checked=is_current.to_string()
                                            on:click=move |_| choose(id.clone(), is_current)
                                        >
                                            <span class="account-menu-name">{account.name}</span>
                                            <span class="account-menu-role">{role}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                            {separator.then(|| view! { <li role="separator"></li> })}
                            {can_create.then(|| view! {
                                <li role="none">
                                    <a
                                        role="menuitem"
                                        tabindex="-1"
                                        href="/accounts/new"
                                        on:click=move |_| open.set(false)
                                    >
                                        "New Account"
                                    </a>
                                </li>
                            })}
                        }.into_any()
                    }
                    Some(Err(error)) => view! {
                        <li role="none">
                            <span role="menuitem" aria-disabled="true" class="form-error">{error.to_string()}</span>
                        </li>
                    }.into_any(),
                }}
            </ul>
        </div>
    }
}
