//! `GET /api/docs`: the OpenAPI document rendered by Swagger UI.
//!
//! The viewer is npm's `swagger-ui-dist` (pinned in `end2end/package.json`,
//! installed by `scripts/setup.sh`), copied into the site's `api-docs/`
//! folder by `cargo xtask build` next to our own starter script
//! (`public/api-docs/`). Everything comes from our own origin under the
//! site's CSP (no inline script or style, no CDN), so the page works
//! offline. Like the document it renders (`/api/v1/openapi.json`), it is
//! public: it describes the API, it reveals no data.

use axum::response::Html;

/// The page: a header linking the raw document and the app, and the
/// viewer's mount point.
pub async fn page() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}
