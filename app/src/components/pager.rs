//! The pager under a paged table: "Previous", "Page X of Y", "Next". Links
//! are plain `<a href>`s carrying the page in the query, so paging works
//! before hydration too; the ends show the word without a link
//! (`aria-disabled`), so the pager never changes shape.

use leptos::prelude::*;

use super::query;

/// How many pages `total` rows fill (at least one, so an empty table is
/// "Page 1 of 1").
pub fn page_count(total: i64, page_size: u32) -> i64 {
    let size = i64::from(page_size.max(1));
    ((total.max(0) + size - 1) / size).max(1)
}

/// The pager for page `page` of `total()` rows, `page_size` to a page, at
/// `path`. `keep` are the other query values a page link keeps (a search, a
/// filter); empty ones are left out.
///
/// `total` may read a signal: the Team page adds and removes rows in place,
/// and the page count follows. It is a closure over the caller's own signal
/// rather than a `Signal` made from it, because such a `Signal` would belong
/// to the `Suspend` that renders the pager and be disposed when the next page
/// loads, while the old pager is still on screen and still reacting.
#[component]
pub fn Pager(
    path: &'static str,
    page: u32,
    page_size: u32,
    total: impl Fn() -> i64 + Copy + Send + Sync + 'static,
    #[prop(optional)] keep: Vec<(&'static str, String)>,
) -> impl IntoView {
    let href = move |page: u32| {
        let page = page.to_string();
        let mut params = vec![("page", page.as_str())];
        params.extend(keep.iter().map(|(name, value)| (*name, value.as_str())));
        query::href(path, &params)
    };
    let pages = move || page_count(total(), page_size);
    let previous = (page > 1).then(|| href(page - 1));
    let next_href = href(page + 1);
    view! {
        <div class="pager">
            {match previous {
                Some(href) => view! { <a href=href rel="prev">"Previous"</a> }.into_any(),
                None => view! { <span class="pager-off" aria-disabled="true">"Previous"</span> }.into_any(),
            }}
            <span class="pager-position">{move || format!("Page {page} of {}", pages())}</span>
            {move || if i64::from(page) < pages() {
                view! { <a href=next_href.clone() rel="next">"Next"</a> }.into_any()
            } else {
                view! { <span class="pager-off" aria-disabled="true">"Next"</span> }.into_any()
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::page_count;

    #[test]
    fn pages_round_up_and_never_reach_zero() {
        assert_eq!(page_count(0, 50), 1);
        assert_eq!(page_count(-3, 50), 1);
        assert_eq!(page_count(1, 50), 1);
        assert_eq!(page_count(50, 50), 1);
        assert_eq!(page_count(51, 50), 2);
        assert_eq!(page_count(7, 0), 7);
    }
}
