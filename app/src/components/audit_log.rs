//! `/audit-log`: who did what to whom, newest first (Admins only).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::set_page_status;
use super::team::{page_count, page_number};
use crate::rpc::auth::CurrentUser;
use crate::rpc::team::{AuditEntry, list_audit_events};
use shared::dates::civil_from_days;

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(ms: i64) -> String {
    let seconds = ms.div_euclid(1_000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3_600,
        of_day % 3_600 / 60
    )
}

/// A JSON object's pairs, in order.
type Pairs = Vec<(String, String)>;

/// Reads a flat JSON object of scalars (`{"role":"user","status":"active"}`,
/// as the server records states) into its pairs, in order. `None` for
/// anything else, which is then shown as it is.
fn flat_object(text: &str) -> Option<Pairs> {
    fn string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
        let mut out = String::new();
        loop {
            match chars.next()? {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' => {
                        let hex: String = (0..4).map(|_| chars.next()).collect::<Option<_>>()?;
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => out.push(other),
                },
                other => out.push(other),
            }
        }
    }
    let mut chars = text.trim().chars().peekable();
    let skip_space = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
    };
    if chars.next()? != '{' {
        return None;
    }
    let mut pairs = Vec::new();
    loop {
        skip_space(&mut chars);
        match chars.next()? {
            '}' if pairs.is_empty() => break,
            '"' => {}
            _ => return None,
        }
        let key = string(&mut chars)?;
        skip_space(&mut chars);
        if chars.next()? != ':' {
            return None;
        }
        skip_space(&mut chars);
        let value = if chars.next_if_eq(&'"').is_some() {
            string(&mut chars)?
        } else {
            let mut scalar = String::new();
            while let Some(c) = chars.next_if(|c| !matches!(c, ',' | '}') && !c.is_whitespace()) {
                scalar.push(c);
            }
            if scalar.is_empty() || scalar.starts_with(['{', '[']) {
                return None;
            }
            scalar
        };
        pairs.push((key, value));
        skip_space(&mut chars);
        match chars.next()? {
            ',' => {}
            '}' => break,
            _ => return None,
        }
    }
    skip_space(&mut chars);
    chars.next().is_none().then_some(pairs)
}

/// An event's change: for two recorded states, what differs
/// (`role: user → admin`); for one, that state; else nothing.
fn change(entry: &AuditEntry) -> String {
    fn parsed(value: Option<&str>) -> Option<(&str, Option<Pairs>)> {
        value.map(|v| (v, flat_object(v)))
    }
    match (
        parsed(entry.before.as_deref()),
        parsed(entry.after.as_deref()),
    ) {
        (Some((_, Some(before))), Some((_, Some(after)))) => {
            let value_in = |pairs: &[(String, String)], key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or_else(|| "—".to_owned(), |(_, v)| v.clone())
            };
            let mut keys: Vec<&str> = before.iter().map(|(k, _)| k.as_str()).collect();
            for (key, _) in &after {
                if !keys.contains(&key.as_str()) {
                    keys.push(key);
                }
            }
            keys.into_iter()
                .map(|key| (key, value_in(&before, key), value_in(&after, key)))
                .filter(|(_, was, is)| was != is)
                .map(|(key, was, is)| format!("{key}: {was} → {is}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        (before, after) => {
            let show = |state: Option<(&str, Option<Pairs>)>| {
                state.map(|(raw, pairs)| match pairs {
                    Some(pairs) => pairs
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    None => raw.to_owned(),
                })
            };
            match (show(before), show(after)) {
                (Some(before), Some(after)) => format!("{before} → {after}"),
                (None, Some(after)) => after,
                (Some(before), None) => format!("{before} → —"),
                (None, None) => String::new(),
            }
        }
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    if !user.is_admin() {
        set_page_status(403);
        return view! {
            <Title text="Access denied"/>
            <h1>"Access denied"</h1>
            <p>"Only admins can read the audit log."</p>
        }
        .into_any();
    }
    let query = use_query_map();
    let page = move || page_number(query.read().get("page"));
    let events = Resource::new(page, list_audit_events);
    view! {
        <Title text="Audit Log"/>
        <h1>"Audit Log"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => {
                        let pages = page_count(page.total, page.page_size);
                        let current = page.page;
                        let empty = page.entries.is_empty();
                        view! {
                            <div class="table-wrap">
                                <table class="audit">
                                    <caption class="visually-hidden">"Audit events, newest first"</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Actor"</th>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"Target"</th>
                                            <th scope="col">"Change"</th>
                                            <th scope="col">"Source"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page.entries.into_iter().map(|entry| {
                                            let change = change(&entry);
                                            view! {
                                                <tr>
                                                    <td class="nowrap">
                                                        <time datetime=entry.at.to_string()>{format_utc(entry.at)}</time>
                                                    </td>
                                                    <td>{entry.actor}</td>
                                                    <td><code>{entry.action}</code></td>
                                                    <td>{entry.target}</td>
                                                    <td>{change}</td>
                                                    <td class="source">{entry.source}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                        {empty.then(|| view! {
                                            <tr><td colspan="6" class="empty">"Nothing has happened yet."</td></tr>
                                        })}
                                    </tbody>
                                </table>
                            </div>
                            <div class="pager">
                                {if current > 1 {
                                    view! { <a href=format!("/audit-log?page={}", current - 1) rel="prev">"Previous"</a> }.into_any()
                                } else {
                                    view! { <span class="pager-off" aria-disabled="true">"Previous"</span> }.into_any()
                                }}
                                <span class="pager-position">{format!("Page {current} of {pages}")}</span>
                                {if i64::from(current) < pages {
                                    view! { <a href=format!("/audit-log?page={}", current + 1) rel="next">"Next"</a> }.into_any()
                                } else {
                                    view! { <span class="pager-off" aria-disabled="true">"Next"</span> }.into_any()
                                }}
                            </div>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_709_251_199_000), "2024-02-29 23:59 UTC");
        assert_eq!(
            format_utc(1_735_689_600_000 - 60_000),
            "2024-12-31 23:59 UTC"
        );
        assert_eq!(format_utc(-1), "1969-12-31 23:59 UTC");
        assert_eq!(format_utc(4_102_444_800_000), "2100-01-01 00:00 UTC");
    }

    fn entry(before: Option<&str>, after: Option<&str>) -> AuditEntry {
        AuditEntry {
            id: "e".into(),
            at: 0,
            actor: "a".into(),
            target: "t".into(),
            action: "member.promote".into(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
            source: "ui".into(),
        }
    }

    #[test]
    fn changes_show_what_differs() {
        let user = r#"{"role":"user","status":"active"}"#;
        let admin = r#"{"role":"admin","status":"active"}"#;
        assert_eq!(
            change(&entry(Some(user), Some(admin))),
            "role: user → admin"
        );
        assert_eq!(change(&entry(Some(user), Some(user))), "");
        assert_eq!(
            change(&entry(None, Some(r#"{"role":"user","status":"invited"}"#))),
            "role: user, status: invited"
        );
        assert_eq!(
            change(&entry(Some(user), None)),
            "role: user, status: active → —"
        );
        assert_eq!(change(&entry(None, None)), "");
        assert_eq!(change(&entry(Some("plain"), Some("text"))), "plain → text");
        assert_eq!(
            flat_object(r#" { "a" : "x\"y\u0041" , "n": 3, "b": true } "#),
            Some(vec![
                ("a".into(), "x\"yA".into()),
                ("n".into(), "3".into()),
                ("b".into(), "true".into()),
            ])
        );
        assert_eq!(flat_object("{}"), Some(vec![]));
        assert_eq!(flat_object(r#"{"a":{"b":1}}"#), None);
        assert_eq!(flat_object(r#"{"a":"b"} x"#), None);
        assert_eq!(flat_object(r#"{"a":"b""#), None);
    }

    #[test]
    fn days_round_trip_over_four_centuries() {
        // Consecutive days give consecutive dates.
        let mut previous = civil_from_days(-1);
        for days in 0..146_097 {
            let (year, month, day) = civil_from_days(days);
            let (py, pm, pd) = previous;
            let next_day = (year, month, day) == (py, pm, pd + 1);
            let next_month = day == 1
                && ((year == py && month == pm + 1) || (year == py + 1 && month == 1 && pm == 12));
            assert!(
                next_day || next_month,
                "{previous:?} -> {:?}",
                (year, month, day)
            );
            previous = (year, month, day);
        }
    }
}
