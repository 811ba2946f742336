//! The "Import Users" dialog of the Team page ("Import CSV"): a file field
//! "CSV File" and "Import". The file is read and parsed in the browser
//! (`shared::csv_import`: the whole file is refused with a message for a
//! missing header, more than 1,000 rows or 1 MiB, or text that is not
//! UTF-8); rows that cannot be invited as written (wrong number of cells,
//! a field the invite's own check refuses) get their errors at once, and
//! the rest go to the server in batches of [`BATCH`], in order, so the
//! dialog can show how far it got (a `progress` bar) and no call comes near
//! the request deadline. The server re-checks every row and invites each in
//! its own transaction with its mail.
//!
//! The outcome is a table, every row in the file's order ("Line", "Email",
//! "Outcome"), after the summary "N invited, M skipped, K failed", which
//! takes the focus (and is announced) when the import ends. Closing the
//! dialog during an import stops it after the batch under way; what was
//! invited stays invited.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::data_table::DataTable;
use super::modal::ModalFrame;
use crate::rpc::team::{BulkInvitee, BulkOutcome, import_invitations};
use shared::csv_import::{self, CsvError, CsvRow};
use shared::domain::{BulkTally, MAX_CSV_BYTES};
use shared::dto::import::{ImportReport, ImportRow};

/// Rows per server call: a few hundred milliseconds of work, well under
/// the 64 KiB a server function's body may hold.
const BATCH: usize = 50;

const FILE_FIELD_ID: &str = "field-csv-file";
const SUMMARY_ID: &str = "import-summary";

/// Where the import is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    /// Nothing running.
    Idle,
    /// Reading and checking the file.
    Reading,
    /// `done` of `total` rows have an outcome.
    Inviting { done: usize, total: usize },
}

/// The dialog; the Team page shows it while importing. `on_close` is
/// called by "Cancel"/"Close" and Escape with whether anyone was invited
/// (the page then reloads its list).
#[component]
pub fn ImportModal(on_close: Callback<bool>, return_focus: String) -> impl IntoView {
    let file_input = NodeRef::<leptos::html::Input>::new();
    let file_error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(Progress::Idle);
    let report = RwSignal::new(None::<ImportReport>);
    // Why the import stopped before the end, if it did.
    let stopped = RwSignal::new(None::<String>);
    let invited_any = RwSignal::new(false);
    let announcement = RwSignal::new(String::new());
    // Set when the dialog goes: the import sends no further batch.
    let cancelled = Arc::new(AtomicBool::new(false));
    {
        let cancelled = cancelled.clone();
        on_cleanup(move || cancelled.store(true, Ordering::SeqCst));
    }
    let busy = move || progress.get() != Progress::Idle;
    let close = move || on_close.run(invited_any.get_untracked());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if progress.get_untracked() != Progress::Idle {
            return;
        }
        let file = file_input
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|files| files.item(0));
        let Some(file) = file else {
            file_error.set(Some("Choose a CSV file.".to_owned()));
            focus_file_field();
            return;
        };
        // Refused before it is read.
        if file.size() > MAX_CSV_BYTES as f64 {
            file_error.set(Some(CsvError::TooLarge.to_string()));
            focus_file_field();
            return;
        }
        file_error.set(None);
        report.set(None);
        stopped.set(None);
        announcement.set(String::new());
        progress.set(Progress::Reading);
        let cancelled = cancelled.clone();
        spawn_local(async move {
            let parsed = match read_bytes(&file).await {
                Some(bytes) => csv_import::parse(&bytes).map_err(|error| error.to_string()),
                None => Err("The file could not be read. Choose it again.".to_owned()),
            };
            let rows = match parsed {
                Ok(rows) => rows,
                Err(message) => {
                    file_error.try_set(Some(message));
                    progress.try_set(Progress::Idle);
                    focus_file_field();
                    return;
                }
            };
            let total = rows.len();
            announcement.try_set(format!("Importing {total} rows…"));
            let run = Import {
                progress,
                stopped,
                invited_any,
                cancelled,
            };
            let finished = run.invite(rows).await;
            if run.cancelled.load(Ordering::SeqCst) {
                return;
            }
            announcement.try_set(finished.summary());
            report.try_set(Some(finished));
            progress.try_set(Progress::Idle);
            focus_summary();
        });
    };

    view! {
        <ModalFrame
            role="dialog"
            labelledby="import-users-title".to_owned()
            describedby="import-users-description".to_owned()
            on_escape=Callback::new(move |()| close())
            return_focus
            class="import"
        >
            <h2 id="import-users-title">"Import Users"</h2>
            <p id="import-users-description" class="muted">
                "A CSV file whose first row is the header first_name,last_name,email (and optionally role: user or admin). UTF-8, at most 1,000 rows and 1 MiB. Each row is invited by email."
            </p>
            <form novalidate=true on:submit=submit>
                <div class="field">
                    <label for=FILE_FIELD_ID>"CSV File"</label>
                    <input
                        id=FILE_FIELD_ID
                        name="csv_file"
                        type="file"
                        accept=".csv,text/csv"
                        required=true
                        node_ref=file_input
                        disabled=busy
                        aria-invalid=move || if file_error.get().is_some() { "true" } else { "false" }
                        aria-describedby="field-csv-file-error"
                        on:change=move |_| file_error.set(None)
                    />
                    <p class="field-error" id="field-csv-file-error" aria-live="polite">
                        {move || file_error.get()}
                    </p>
                </div>
                {move || match progress.get() {
                    Progress::Idle => None,
                    Progress::Reading => Some(view! {
                        <div class="import-progress">
                            <label for="import-progress">"Reading the file…"</label>
                            <progress id="import-progress"></progress>
                        </div>
                    }.into_any()),
                    Progress::Inviting { done, total } => Some(view! {
                        <div class="import-progress">
                            <label for="import-progress">{format!("Importing: {done} of {total} rows")}</label>
                            <progress id="import-progress" max=total value=done></progress>
                        </div>
                    }.into_any()),
                }}
                <p class="visually-hidden" role="status">{move || announcement.get()}</p>
                <div class="modal-actions">
                    <button type="button" class="secondary" on:click=move |_| close()>
                        {move || if report.with(Option::is_some) { "Close" } else { "Cancel" }}
                    </button>
                    <button type="submit" disabled=busy aria-busy=move || busy().to_string()>
                        "Import"
                    </button>
                </div>
            </form>
            {move || report.get().map(|report| view! { <ImportResults report stopped/> })}
        </ModalFrame>
    }
}

/// One import's run: sends the rows to be invited, batch by batch, and
/// keeps the dialog's progress.
struct Import {
    progress: RwSignal<Progress>,
    stopped: RwSignal<Option<String>>,
    invited_any: RwSignal<bool>,
    cancelled: Arc<AtomicBool>,
}

impl Import {
    /// Every row's outcome, in order; rows after a failed call are left
    /// out (and `stopped` says why).
    async fn invite(&self, rows: Vec<CsvRow>) -> ImportReport {
        let total = rows.len();
        let mut outcomes: Vec<Option<BulkOutcome>> =
            rows.iter().map(CsvRow::local_outcome).collect();
        let to_send: Vec<usize> = (0..total).filter(|&at| outcomes[at].is_none()).collect();
        let mut done = total - to_send.len();
        self.progress.try_set(Progress::Inviting { done, total });
        for batch in to_send.chunks(BATCH) {
            if self.cancelled.load(Ordering::SeqCst) {
                break;
            }
            let invitees: Vec<BulkInvitee> =
                batch.iter().map(|&at| rows[at].invitee.clone()).collect();
            match import_invitations(invitees).await {
                Ok(answers) if answers.len() == batch.len() => {
                    if answers
                        .iter()
                        .any(|answer| answer.status.tally() == BulkTally::Invited)
                    {
                        self.invited_any.try_set(true);
                    }
                    for (&at, answer) in batch.iter().zip(answers) {
                        outcomes[at] = Some(answer);
                    }
                    done += batch.len();
                    self.progress.try_set(Progress::Inviting { done, total });
                }
                Ok(_) => {
                    self.stop(
                        &rows[batch[0]],
                        "the server's answer did not match the rows sent",
                    );
                    break;
                }
                Err(error) => {
                    self.stop(&rows[batch[0]], &error.to_string());
                    break;
                }
            }
        }
        ImportReport {
            rows: rows
                .into_iter()
                .zip(outcomes)
                .filter_map(|(row, outcome)| {
                    outcome.map(|outcome| ImportRow {
                        line: row.line,
                        email: row.invitee.email,
                        outcome,
                    })
                })
                .collect(),
        }
    }

    fn stop(&self, at: &CsvRow, why: &str) {
        self.stopped.try_set(Some(format!(
            "The import stopped at line {}: {why} The rows from there on were not imported.",
            at.line
        )));
    }
}

/// The summary, why the import stopped (if it did), and every row's
/// outcome.
#[component]
fn ImportResults(report: ImportReport, stopped: RwSignal<Option<String>>) -> impl IntoView {
    let summary = report.summary();
    view! {
        <section class="import-results" aria-labelledby=SUMMARY_ID>
            <p id=SUMMARY_ID class="import-summary" tabindex="-1">{summary}</p>
            <p class="form-error" role="alert">{move || stopped.get()}</p>
            <DataTable
                class="import-rows"
                caption="Import results, one row per line of the file"
                columns=&["Line", "Email", "Outcome"]
            >
                {report
                    .rows
                    .into_iter()
                    .map(|row| {
                        let class = match row.outcome.status.tally() {
                            BulkTally::Invited => "outcome invited",
                            BulkTally::Skipped => "outcome skipped",
                            BulkTally::Failed => "outcome failed",
                        };
                        view! {
                            <tr>
                                <td>{row.line}</td>
                                <td>{row.email.clone()}</td>
                                <td class=class>{row.outcome_text()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
        </section>
    }
}

fn focus_by_id(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(element) = document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

/// On the next frame: the field is enabled again by then.
fn focus_file_field() {
    request_animation_frame(|| focus_by_id(FILE_FIELD_ID));
}

/// The summary exists once the report is drawn: focus it on the next frame.
fn focus_summary() {
    request_animation_frame(|| focus_by_id(SUMMARY_ID));
}

/// The file's bytes (so the parser, not the browser, decides what is
/// UTF-8); `None` when the browser could not read it.
async fn read_bytes(file: &web_sys::File) -> Option<Vec<u8>> {
    #[cfg(feature = "hydrate")]
    {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
            .await
            .ok()?;
        Some(js_sys::Uint8Array::new(&buffer).to_vec())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = file;
        None
    }
}
