//! "Sessions": one row per own session (started, last seen, browser), the
//! current one marked "This session"; "Sign Out" ends another one, "Sign
//! Out Everywhere Else" every other one. Plain forms, so they work before
//! hydration too; the list is read again after each.

use leptos::prelude::*;

use super::ProfileSection;
use crate::components::data_table::DataTable;
use crate::components::dates::format_utc;
use crate::components::suspended;
use crate::rpc::profile::{RevokeOtherSessions, RevokeSession, SessionRow, list_sessions};

#[component]
pub(super) fn SessionsSection() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let revoke_others = ServerAction::<RevokeOtherSessions>::new();
    let sessions = Resource::new(
        move || (revoke.version().get(), revoke_others.version().get()),
        |_| list_sessions(),
    );
    let busy = move || revoke.pending().get() || revoke_others.pending().get();
    let error = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| revoke_others.value().get().and_then(Result::err))
            .map(|error| error.to_string())
    };
    let notice = move || match revoke_others.value().get() {
        Some(Ok(0)) => Some("There were no other sessions."),
        Some(Ok(_)) => Some("Your other sessions were signed out."),
        _ => matches!(revoke.value().get(), Some(Ok(()))).then_some("The session was signed out."),
    };
    let row = move |session: SessionRow| {
        let action = if session.is_current {
            view! { <span class="badge">"This session"</span> }.into_any()
        } else {
            view! {
                <ActionForm action=revoke>
                    <input type="hidden" name="session_id" value=session.id.clone()/>
                    <button type="submit" class="small danger-outline" disabled=busy>
                        "Sign Out"
                    </button>
                </ActionForm>
            }
            .into_any()
        };
        view! {
            <tr>
                <td>{format_utc(session.started_at)}</td>
                <td>{format_utc(session.last_seen_at)}</td>
                <td>{session.browser.clone()}</td>
                <td class="actions-cell">{action}</td>
            </tr>
        }
    };
    view! {
        <ProfileSection title="Sessions" id="profile-sessions">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {suspended(move || async move {
                    match sessions.await {
                        Ok(rows) => view! {
                            <DataTable class="sessions" caption="Your sessions"
                                columns=&["Started", "Last Seen", "Browser", "Actions"]>
                                {rows.into_iter().map(row).collect_view()}
                            </DataTable>
                        }.into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=revoke_others>
                <button type="submit" class="secondary" disabled=busy aria-busy=move || revoke_others.pending().get().to_string()>
                    "Sign Out Everywhere Else"
                </button>
            </ActionForm>
            <p class="form-error" role="alert">{error}</p>
            <p class="form-success" role="status">{notice}</p>
        </ProfileSection>
    }
}
