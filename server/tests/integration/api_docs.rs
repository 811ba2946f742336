//! `/api/docs`: an HTML page under the site's CSP that loads the viewer and
//! its starter script from our own origin (no inline script, no other
//! origin), public like the document it renders; the footer links it for
//! Admins only. (Playwright's openapi-docs spec renders it in Chromium.)

use reqwest::StatusCode;

use crate::both_engines;
use crate::helpers::{Engine, spawn_app};

both_engines!(the_docs_page_loads_the_viewer_from_our_origin_and_admins_see_its_link);

async fn the_docs_page_loads_the_viewer_from_our_origin_and_admins_see_its_link(engine: Engine) {
    let app = spawn_app(engine).await;
    let response = app.get("/api/docs", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    for asset in [
        "src=\"/api-docs/swagger-ui-bundle.js\"",
        "src=\"/api-docs/muster-api-docs.js\"",
        "href=\"/api-docs/swagger-ui.css\"",
        "href=\"/api/v1/openapi.json\"",
    ] {
        assert!(html.contains(asset), "{asset} not in\n{html}");
    }
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/").count(),
        "every script is a file of our origin"
    );
    assert!(
        !html.contains("//cdn") && !html.contains("https://"),
        "{html}"
    );

    // The footer links it for an Admin, not for a User.
    app.create_admin("ada@example.com").await;
    let admin = app.sign_in("ada@example.com").await;
    assert!(
        app.site
            .page("/", Some(&admin))
            .await
            .contains("href=\"/api/docs\"")
    );
    let (_, grace) = app.onboard(&admin, "grace@example.com").await;
    let home = app.site.page("/", Some(&grace.session)).await;
    assert!(home.contains("Grace"), "Grace's home");
    assert!(!home.contains("/api/docs"), "a User has no API docs link");
}
