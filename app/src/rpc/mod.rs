//! `#[server]` functions, all under `/rpc/` (`/api/v1` is the REST API's).
//! Each is thin: parse the input, call a service, map the error.

pub mod accounts;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod ctx;
#[cfg(feature = "ssr")]
mod errors;
pub mod identity;
pub mod invitations;
pub mod password_reset;
pub mod profile;
pub mod setup;
pub mod team;

/// The longest `next` target followed; anything longer goes home.
#[cfg(feature = "ssr")]
const MAX_NEXT: usize = 2048;

/// Where to send the browser after signing in: `next` when it resolves,
/// the way a browser resolves it (WHATWG URL parsing: tabs and newlines
/// dropped, backslashes read as slashes, dot segments and percent-encoding
/// normalised), to a page of this site's origin; otherwise `/`. The answer
/// is the resolved path, query and fragment, re-serialised (so it is always
/// a valid `Location` value, never a control character) and checked to
/// resolve back to the same URL (a path such as `//evil.example` would not).
#[cfg(feature = "ssr")]
pub fn safe_next(next: Option<&str>, public_url: &url::Url) -> String {
    next.filter(|next| next.len() <= MAX_NEXT)
        .and_then(|next| same_origin_path(next, public_url))
        .unwrap_or_else(|| "/".to_owned())
}

#[cfg(feature = "ssr")]
fn same_origin_path(next: &str, public_url: &url::Url) -> Option<String> {
    // Only a path: a scheme, or a network path, is never followed even when
    // it names this host (`https://ours` over http, `//ours`).
    let trimmed = next.trim_start_matches(|c: char| c <= ' ');
    if !trimmed.starts_with('/') {
        return None;
    }
    let resolved = public_url.join(next).ok()?;
    if resolved.origin() != public_url.origin() {
        return None;
    }
    let path = &resolved[url::Position::BeforePath..];
    let round_trip = public_url.join(path).ok()?;
    let printable = path.bytes().all(|byte| byte.is_ascii_graphic());
    (printable && path.starts_with('/') && !path.starts_with("//") && round_trip == resolved)
        .then(|| path.to_owned())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_next;

    fn next_on(public: &str, next: &str) -> String {
        safe_next(Some(next), &url::Url::parse(public).unwrap())
    }

    fn next(next: &str) -> String {
        next_on("http://127.0.0.1:3000", next)
    }

    #[test]
    fn local_paths_are_followed() {
        assert_eq!(next("/team"), "/team");
        assert_eq!(next("/team?page=2#top"), "/team?page=2#top");
        assert_eq!(next("/invitations/abc"), "/invitations/abc");
        assert_eq!(next("/a/../team"), "/team");
        assert_eq!(next("/%09/evil.example"), "/%09/evil.example");
        assert_eq!(next("/caf\u{e9}"), "/caf%C3%A9");
        assert_eq!(next("/a b"), "/a%20b");
        assert_eq!(
            safe_next(None, &url::Url::parse("http://x.example").unwrap()),
            "/"
        );
        assert_eq!(
            next_on("https://team.example.com/muster/", "/muster/team"),
            "/muster/team"
        );
    }

    #[test]
    fn everything_a_browser_would_take_elsewhere_goes_home() {
        for bad in [
            "//evil.example",
            "///evil.example",
            "////evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "\u{0}//evil.example",
            "/\t\\evil.example",
            "/./\t/evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "/%2e//evil.example",
            "/%2E%2E//evil.example",
            "https://evil.example",
            "http://evil.example/team",
            "HTTP://evil.example",
            "https:evil.example",
            "http:evil.example",
            "http:/evil.example",
            "http:\\\\evil.example",
            "javascript:alert(1)",
            "data:text/html,hi",
            "http://127.0.0.1:3001/team",
            "https://127.0.0.1:3000/team",
            "http://127.0.0.1:3000@evil.example/",
            "//127.0.0.1:3000@evil.example",
            "team",
            "evil.example",
            "",
            "?next=//evil.example",
            "#//evil.example",
        ] {
            let target = next(bad);
            assert!(
                target == "/"
                    || target.starts_with("/%")
                    || (target.starts_with('/') && !target.starts_with("//")),
                "{bad:?} -> {target:?}"
            );
            let resolved = url::Url::parse("http://127.0.0.1:3000")
                .unwrap()
                .join(&target)
                .unwrap();
            assert_eq!(
                resolved.origin().ascii_serialization(),
                "http://127.0.0.1:3000",
                "{bad:?}"
            );
            assert!(
                !bad.starts_with('/') || target == "/" || !bad.contains("evil"),
                "{bad:?} -> {target:?}"
            );
        }
    }

    #[test]
    fn control_characters_never_reach_the_location_header() {
        for raw in [
            "/\n",
            "/\r",
            "/\t",
            "/\u{0}",
            "/\u{7f}",
            "/a\u{1b}b",
            "/\u{85}",
            "/\u{2028}",
        ] {
            let target = next(raw);
            assert!(
                http::HeaderValue::from_str(&target).is_ok(),
                "{raw:?} -> {target:?}"
            );
            assert!(
                target.bytes().all(|b| b.is_ascii_graphic()),
                "{raw:?} -> {target:?}"
            );
        }
        assert_eq!(next(&format!("/{}", "a".repeat(5000))), "/");
    }
}
