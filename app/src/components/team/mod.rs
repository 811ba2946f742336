//! `/team`: the member table with search, status filter, pagination, the
//! row actions and the "Invite User" modal. The first page is rendered on
//! the server; after that every action updates its row in place. "Import
//! CSV" opens the "Import Users" dialog (`import_modal`); the list is read
//! again when it closes after inviting anyone.
//!
//! - `search`: the search and status filter form;
//! - `row`: one member's row, its pending state, notices and focus;
//! - `row_actions`: which buttons a row offers, what each asks before it
//!   acts, and which server call it makes.

mod row;
mod row_actions;
mod search;

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::admin_only::AdminOnly;
use super::data_table::DataTable;
use super::import_modal::ImportModal;
use super::invite_modal::InviteModal;
use super::pager::Pager;
use super::query::page_number;
use crate::components::suspended;
use crate::rpc::team::{MemberRow, list_members};
use row::MemberRowView;
use search::{SearchForm, status_filter};

/// The id of the "Invite User" button (focus returns there).
const INVITE_BUTTON_ID: &str = "invite-user-button";

/// The id of the "Import CSV" button (focus returns there).
const IMPORT_BUTTON_ID: &str = "import-csv-button";

/// The id of the page's heading, where focus goes when nothing better is
/// left (a row removed with its buttons).
const TITLE_ID: &str = "team-title";

/// `/team`: Admins only; everyone else gets a 403 page.
#[component]
pub fn TeamPage() -> impl IntoView {
    view! {
        <AdminOnly denial="Only admins can manage the team.">
            <Team/>
        </AdminOnly>
    }
}

#[component]
fn Team() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let status = move || status_filter(query.read().get("status"));
    let page = move || page_number(query.read().get("page"));
    // The answer carries the search and filter it answers, for the pager.
    let members = Resource::new(
        move || (q(), status(), page()),
        |(q, status, page)| async move {
            let answer = list_members(q.clone(), status.clone(), page).await;
            (q, status, answer)
        },
    );
    // The rows on screen: set from each fetched page, then changed in place
    // by the row actions and the invite modal.
    let rows = RwSignal::new(Vec::<MemberRow>::new());
    let total = RwSignal::new(0_i64);
    let inviting = RwSignal::new(false);
    let announcement = RwSignal::new(String::new());
    let on_invited = Callback::new(move |row: MemberRow| {
        rows.update(|rows| rows.insert(0, row));
        total.update(|total| *total += 1);
        announcement.set("Invitation sent.".to_owned());
        inviting.set(false);
    });
    let close_invite = Callback::new(move |()| inviting.set(false));
    let importing = RwSignal::new(false);
    let close_import = Callback::new(move |invited_any: bool| {
        importing.set(false);
        if invited_any {
            members.refetch();
        }
    });

    view! {
        <Title text="Team"/>
        <div class="page-header">
            <h1 id=TITLE_ID tabindex="-1">"Team"</h1>
            <div class="page-actions">
                <button
                    type="button"
                    class="secondary"
                    id=IMPORT_BUTTON_ID
                    aria-haspopup="dialog"
                    on:click=move |_| {
                        announcement.set(String::new());
                        importing.set(true);
                    }
                >
                    "Import CSV"
                </button>
                <button
                    type="button"
                    id=INVITE_BUTTON_ID
                    aria-haspopup="dialog"
                    on:click=move |_| {
                        announcement.set(String::new());
                        inviting.set(true);
                    }
                >
                    "Invite User"
                </button>
            </div>
        </div>
        <SearchForm q=Signal::derive(q) status=Signal::derive(status)/>
        <p class="visually-hidden" aria-live="polite">{move || announcement.get()}</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {suspended(move || async move {
                match members.await {
                    (q, status, Ok(page)) => {
                        rows.set(page.rows);
                        total.set(page.total);
                        view! {
                            <MemberTable rows total/>
                            <Pager
                                path="/team"
                                page=page.page
                                page_size=page.page_size
                                total=move || total.get()
                                keep=vec![("q", q), ("status", status)]
                            />
                        }
                        .into_any()
                    }
                    (_, _, Err(error)) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || inviting.get().then(|| view! {
            <Portal>
                <InviteModal on_invited on_close=close_invite return_focus=INVITE_BUTTON_ID.to_owned()/>
            </Portal>
        })}
        {move || importing.get().then(|| view! {
            <Portal>
                <ImportModal on_close=close_import return_focus=IMPORT_BUTTON_ID.to_owned()/>
            </Portal>
        })}
    }
}

#[component]
fn MemberTable(rows: RwSignal<Vec<MemberRow>>, total: RwSignal<i64>) -> impl IntoView {
    view! {
        <DataTable
            class="members"
            caption="Members of this account"
            columns=&["Name", "Email", "Role", "Status", "Last Active", "Actions"]
        >
            <For
                each=move || rows.get()
                key=|row| row.id.clone()
                children=move |row: MemberRow| view! { <MemberRowView id=row.id rows total/> }
            />
            <Show when=move || rows.with(Vec::is_empty)>
                <tr>
                    <td colspan="6" class="empty">"No members match."</td>
                </tr>
            </Show>
        </DataTable>
    }
}
