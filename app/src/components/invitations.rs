//! `/invitations`: the signed-in user's pending invitations, each with
//! "Accept" and "Decline". Also shown on the home page of a user without an
//! account.

use leptos::prelude::*;
use leptos_meta::Title;

use super::action_error;
use super::auth_context::Auth;
use super::dates::format_utc;
use crate::components::suspended;
use crate::rpc::invitations::{DeclineInvitation, pending_invitations};

#[component]
pub fn InvitationsPage() -> impl IntoView {
    view! {
        <Title text="Invitations"/>
        <h1>"Invitations"</h1>
        <PendingInvitations/>
    }
}

/// Each pending invitation: "You have been invited to join {account}",
/// "Accept" and "Decline" (forms, so they work before hydration too).
#[component]
pub fn PendingInvitations() -> impl IntoView {
    // Shared with the signed-in user's resource, which refetches when an
    // invitation is accepted (the membership changes).
    let accept = Auth::get().accept_invitation;
    let decline = ServerAction::<DeclineInvitation>::new();
    let accept_error = action_error(accept);
    let decline_error = action_error(decline);
    let error = Signal::derive(move || accept_error.get().or_else(|| decline_error.get()));
    let busy = move || accept.pending().get() || decline.pending().get();
    let invitations = Resource::new(
        move || (accept.version().get(), decline.version().get()),
        |_| pending_invitations(),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {suspended(move || async move {
                match invitations.await {
                    Ok(list) if list.is_empty() => view! {
                        <p>"You have no pending invitations."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="invitations">
                            {list.into_iter().map(|invitation| {
                                let accept_id = invitation.id.clone();
                                let decline_id = invitation.id.clone();
                                view! {
                                <li class="invitation">
                                    <p class="invitation-text">
                                        {format!("You have been invited to join {}", invitation.account_name)}
                                    </p>
                                    <p class="muted">
                                        {format!(
                                            "Invited by {}. The invitation expires {}.",
                                            invitation.invited_by,
                                            format_utc(invitation.expires_at),
                                        )}
                                    </p>
                                    <div class="invitation-actions">
                                        <ActionForm action=accept>
                                            <input type="hidden" name="invitation_id" value=accept_id/>
                                            <button
                                                type="submit"
                                                disabled=busy
                                                aria-busy=move || accept.pending().get().to_string()
                                            >
                                                "Accept"
                                            </button>
                                        </ActionForm>
                                        <ActionForm action=decline>
                                            <input type="hidden" name="invitation_id" value=decline_id/>
                                            <button
                                                type="submit"
                                                class="secondary"
                                                disabled=busy
                                                aria-busy=move || decline.pending().get().to_string()
                                            >
                                                "Decline"
                                            </button>
                                        </ActionForm>
                                    </div>
                                </li>
                                }
                            }).collect_view()}
                        </ul>
                        <p class="form-error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
                    }.into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
