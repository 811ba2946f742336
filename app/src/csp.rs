//! The per-request CSP nonce. The HTTP middleware mints it, puts it in the
//! request's extensions and in the `Content-Security-Policy` header; the
//! shell hands it to Leptos so the hydration scripts carry it.

use leptos::prelude::*;

/// A nonce minted for one request.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Makes this request's nonce the one Leptos puts on its inline scripts.
pub fn provide_request_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(value));
    }
}
