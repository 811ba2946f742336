//! API keys: reveal and refresh (each audited).

use anyhow::Context as _;

use super::{Actor, TeamError, begin_row_action, to_row};
use crate::Core;
use crate::db::members;
use crate::services::audit;
use crate::{api_keys, sealing};
use shared::domain::{AuditAction, RowAction};
use shared::dto::team::MemberRow;

/// The member's API key, for "Copy API Key" (Active members; audited).
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Active.
pub async fn reveal_api_key(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<String, TeamError> {
    let now = state.clock.now_ms();
    let (mut tx, record) = begin_row_action(state, actor, member_id, RowAction::CopyApiKey).await?;
    let sealed = record
        .api_key_sealed
        .as_deref()
        .context("an active member without an API key")?;
    let key = sealing::open(&state.secret, member_id, sealed)?;
    audit::record(
        &mut tx,
        actor,
        &record,
        AuditAction::ApiKeyReveal,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the reveal")?;
    tracing::info!(target: "security", event = "api_key.revealed", user_id = actor.user_id, member_id);
    Ok(key)
}

/// Gives the member a new API key; the old one fails on the next request.
/// Returns the row and the new key.
///
/// # Errors
/// `NotFound`, `Rule` for a row that is not Active.
pub async fn refresh_api_key(
    state: &Core,
    actor: &Actor,
    member_id: &str,
) -> Result<(MemberRow, String), TeamError> {
    let now = state.clock.now_ms();
    let (mut tx, record) =
        begin_row_action(state, actor, member_id, RowAction::RefreshApiKey).await?;
    let (key, key_digest) = api_keys::generate();
    let sealed = sealing::seal(&state.secret, member_id, &key)?;
    members::set_api_key(&mut *tx, member_id, &key_digest, &sealed, now)
        .await
        .context("storing the new API key")?;
    audit::record(
        &mut tx,
        actor,
        &record,
        AuditAction::ApiKeyRefresh,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.context("committing the refresh")?;
    Ok((to_row(record, actor, now), key))
}
