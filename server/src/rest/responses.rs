//! The error responses each route documents, as named sets: a route's
//! `#[utoipa::path(responses(...))]` lists its success response and one set.
//!
//! Every error is a [`Problem`] sent as `application/problem+json`; a set
//! only says which statuses a route can answer, and names the `code`s worth
//! knowing where a status has several causes.

use std::collections::BTreeMap;

use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

use super::problem::Problem;

/// `(status, description)` → a problem response per status.
fn problems(statuses: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|&(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(
                    <Problem as utoipa::ToSchema>::name(),
                )))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", content)
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// Declares a set: `Name: status, status => "description", …`.
macro_rules! problem_set {
    ($(#[$doc:meta])* $name:ident: $($status:literal $(=> $description:literal)?),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problems(&[$(($status, concat!("" $(, $description)?))),+])
            }
        }
    };
}

problem_set!(
    /// Routes any valid key may call.
    KeyErrors: 401, 429
);

problem_set!(
    /// Admin lists: a bad `limit`, `cursor` or filter is a 400.
    AdminListErrors: 400, 401, 403
);

problem_set!(
    /// Admin routes on one member or invitation.
    AdminItemErrors: 401, 403, 404
);

problem_set!(
    /// Reading or refreshing a member's API key (Active members only).
    ApiKeyErrors: 401, 403, 404, 409
);

problem_set!(
    /// Promote and activate.
    MemberChangeErrors: 401, 403, 404, 409 => "`invalid_state`"
);

problem_set!(
    /// Demote and revoke, which may not leave the account without an Active
    /// Admin.
    AdminGuardedChangeErrors: 401, 403, 404, 409 => "`invalid_state` or `last_active_admin`"
);

problem_set!(
    /// Resending an invitation (rate limited: it sends mail).
    ResendErrors: 401, 403, 404, 429
);

problem_set!(
    /// Creating an invitation: a JSON body, an optional `Idempotency-Key`,
    /// and mail (rate limited).
    CreateInvitationErrors:
        400 => "`validation_failed`, `invalid_json`",
        401,
        403,
        409 => "`already_member`, `already_invited`, `request_in_progress`",
        413,
        415,
        422 => "`idempotency_key_reused`",
        429,
);

problem_set!(
    /// Inviting many at once: a JSON body of 1 to 1,000 items (a failing
    /// item is a result, not an error), an optional `Idempotency-Key`.
    BulkInvitationErrors:
        400 => "`validation_failed` (no items or more than 1,000), `invalid_json`",
        401,
        403,
        409 => "`request_in_progress`",
        413,
        415,
        422 => "`idempotency_key_reused`",
        429,
);

problem_set!(
    /// Removing a member: not an Invited row (cancel its invitation), not
    /// the caller's own, not the last Active Admin.
    RemoveMemberErrors: 401, 403, 404, 409 => "`invalid_state`, `last_active_admin` or `cannot_remove_self`"
);

problem_set!(
    /// Reading or refreshing the caller's own API key (any role).
    OwnApiKeyErrors: 401, 404, 409, 429
);

problem_set!(
    /// Adding a webhook endpoint: a JSON body; the URL must be a public
    /// http(s) URL, the events known (at most 20 endpoints per account).
    CreateWebhookErrors:
        400 => "`validation_failed` (`events`), `invalid_json`",
        401,
        403,
        413,
        415,
        422 => "`invalid_url`: not a public http(s) URL, or the account has 20 endpoints already",
);

problem_set!(
    /// An endpoint's delivery log: a bad `limit` or `cursor` is a 400.
    DeliveryListErrors: 400, 401, 403, 404
);
