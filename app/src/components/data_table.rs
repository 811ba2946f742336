//! The shell of a data table: a scrolling wrapper, a caption for screen
//! readers, one header row of column names, and the rows the screen gives.

use leptos::prelude::*;

/// A table of class `class` with the hidden caption `caption`, the column
/// headers `columns` and `children` as its body rows.
#[component]
pub fn DataTable(
    class: &'static str,
    caption: &'static str,
    columns: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class=class>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        {columns.iter().map(|column| view! { <th scope="col">{*column}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
