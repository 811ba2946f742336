//! Query strings for links: the one place that percent-encodes a value for a
//! URL and reads the values screens take from one (`page`).
//!
//! Encoding keeps only the unreserved characters (`A-Z a-z 0-9 - _ . ~`) as
//! they are, so a value always comes back as it was, whatever it contains
//! (`&`, `=`, `#`, spaces…). A path passed as a value (`/sign-in?next=/team`)
//! also keeps its `/`, which is allowed in a query and reads better.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the unreserved characters.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// [`VALUE`], but a path's `/` stays as it is.
const PATH_VALUE: &AsciiSet = &VALUE.remove(b'/');

/// `value` percent-encoded for a query.
pub fn encode_value(value: &str) -> String {
    utf8_percent_encode(value, VALUE).to_string()
}

/// A path (`/team`) percent-encoded as a query value, keeping its `/`.
pub fn encode_path_value(path: &str) -> String {
    utf8_percent_encode(path, PATH_VALUE).to_string()
}

/// `path?name=value&…` with the values encoded, leaving out empty values
/// (an empty search is no search).
pub fn href(path: &str, params: &[(&str, &str)]) -> String {
    let mut href = path.to_owned();
    let mut separator = '?';
    for (name, value) in params.iter().filter(|(_, value)| !value.is_empty()) {
        href.push(separator);
        href.push_str(name);
        href.push('=');
        href.push_str(&encode_value(value));
        separator = '&';
    }
    href
}

/// The 1-based page number a `page` query value asks for (1 when missing or
/// not a positive number).
pub fn page_number(value: Option<String>) -> u32 {
    value
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_only_unreserved_characters() {
        assert_eq!(encode_value("a b&c=d@e"), "a%20b%26c%3Dd%40e");
        assert_eq!(encode_value("A-z_0.9~"), "A-z_0.9~");
        assert_eq!(encode_value("a/b"), "a%2Fb");
        assert_eq!(encode_value("é"), "%C3%A9");
    }

    #[test]
    fn paths_keep_their_slashes() {
        assert_eq!(encode_path_value("/team"), "/team");
        assert_eq!(encode_path_value("/a b?c&d"), "/a%20b%3Fc%26d");
    }

    #[test]
    fn hrefs_leave_out_empty_values() {
        assert_eq!(href("/audit-log", &[("page", "2")]), "/audit-log?page=2");
        assert_eq!(
            href("/team", &[("page", "3"), ("q", "ada l"), ("status", "")]),
            "/team?page=3&q=ada%20l"
        );
        assert_eq!(
            href("/team", &[("page", "1"), ("q", ""), ("status", "active")]),
            "/team?page=1&status=active"
        );
        assert_eq!(href("/team", &[("q", "")]), "/team");
    }

    #[test]
    fn page_numbers_start_at_one() {
        assert_eq!(page_number(Some("3".into())), 3);
        assert_eq!(page_number(Some("0".into())), 1);
        assert_eq!(page_number(Some("-2".into())), 1);
        assert_eq!(page_number(Some("x".into())), 1);
        assert_eq!(page_number(None), 1);
    }
}
