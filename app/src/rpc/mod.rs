//! `#[server]` functions, all under `/rpc/` (`/api/v1` is the REST API's).
//! Each is thin: parse the input, call a service, map the error.

pub mod auth;
#[cfg(feature = "ssr")]
pub mod ctx;
#[cfg(feature = "ssr")]
mod errors;
pub mod identity;
pub mod invitations;
pub mod setup;
pub mod team;

/// A `next` target is only followed when it is a path on this site.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_follows_local_paths() {
        assert_eq!(safe_next(Some("/team")), "/team");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
