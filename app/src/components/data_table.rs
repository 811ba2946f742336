//! The shell of a data table: a scrolling wrapper, a caption for screen
//! readers, one header row of column names, and the rows the screen gives.
//! The wrapper scrolls sideways on narrow screens, so it is a focusable
//! region named by the caption: a keyboard can reach it and scroll it
//! (WCAG 2.1.1; axe-core's `scrollable-region-focusable`).

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
        <div class="table-wrap" role="region" aria-label=caption tabindex="0">
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
