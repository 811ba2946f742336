//! Invitations: one pending invitation per (account, email); the token is
//! stored as a digest (for look-up) and sealed (for "Copy Invite Link").

use shared::domain::InvitationState;
use sqlx::{Any, Executor};

pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub member_id: &'a str,
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub invited_by: &'a str,
    pub token_hash: &'a str,
    pub token_sealed: &'a str,
    pub expires_at: i64,
    pub outbox_id: &'a str,
}

/// Inserts a pending invitation; `false` when one is already open (pending
/// or declined) for that address in the account.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    invitation: &NewInvitation<'_>,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO invitations (id, account_id, member_id, email, email_normalized, first_name, last_name, \
         invited_by, token_hash, token_sealed, state, expires_at, outbox_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12, $13, $13) \
         ON CONFLICT DO NOTHING",
    )
    .bind(invitation.id)
    .bind(invitation.account_id)
    .bind(invitation.member_id)
    .bind(invitation.email)
    .bind(invitation.email_normalized)
    .bind(invitation.first_name)
    .bind(invitation.last_name)
    .bind(invitation.invited_by)
    .bind(invitation.token_hash)
    .bind(invitation.token_sealed)
    .bind(invitation.expires_at)
    .bind(invitation.outbox_id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRecord {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub member_id: Option<String>,
    pub email: String,
    pub email_normalized: String,
    pub first_name: String,
    pub last_name: String,
    pub invited_by_label: String,
    pub token_sealed: String,
    pub state: String,
    pub expires_at: i64,
}

const SELECT: &str = "SELECT i.id, i.account_id, a.name AS account_name, i.member_id, i.email, i.email_normalized, \
     i.first_name, i.last_name, u.first_name || ' ' || u.last_name AS invited_by_label, i.token_sealed, i.state, i.expires_at \
     FROM invitations i JOIN accounts a ON a.id = i.account_id JOIN users u ON u.id = i.invited_by";

pub async fn find_by_token<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> sqlx::Result<Option<InvitationRecord>> {
    let sql = format!("{SELECT} WHERE i.token_hash = $1");
    sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

pub async fn find_by_id<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
) -> sqlx::Result<Option<InvitationRecord>> {
    let sql = format!("{SELECT} WHERE i.id = $1");
    sqlx::query_as(&sql).bind(id).fetch_optional(db).await
}

/// The pending invitation of a member row.
pub async fn pending_for_member<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
) -> sqlx::Result<Option<InvitationRecord>> {
    let sql = format!("{SELECT} WHERE i.member_id = $1 AND i.state = 'pending'");
    sqlx::query_as(&sql)
        .bind(member_id)
        .fetch_optional(db)
        .await
}

/// The open invitation (pending or declined) of a member row.
pub async fn open_for_member<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
) -> sqlx::Result<Option<InvitationRecord>> {
    let sql = format!("{SELECT} WHERE i.member_id = $1 AND i.state IN ('pending', 'declined')");
    sqlx::query_as(&sql)
        .bind(member_id)
        .fetch_optional(db)
        .await
}

/// Pending, unexpired invitations for an address, oldest first.
pub async fn pending_for_email<'e>(
    db: impl Executor<'e, Database = Any>,
    email_normalized: &str,
    now_ms: i64,
) -> sqlx::Result<Vec<InvitationRecord>> {
    let sql = format!(
        "{SELECT} WHERE i.email_normalized = $1 AND i.state = 'pending' AND i.expires_at > $2 ORDER BY i.created_at"
    );
    sqlx::query_as(&sql)
        .bind(email_normalized)
        .bind(now_ms)
        .fetch_all(db)
        .await
}

/// Gives an open invitation a new token, expiry and email; a declined one
/// is pending again.
pub async fn renew<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    token_hash: &str,
    token_sealed: &str,
    expires_at: i64,
    outbox_id: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE invitations SET state = 'pending', token_hash = $1, token_sealed = $2, expires_at = $3, outbox_id = $4, \
         updated_at = $5 WHERE id = $6 AND state IN ('pending', 'declined')",
    )
    .bind(token_hash)
    .bind(token_sealed)
    .bind(expires_at)
    .bind(outbox_id)
    .bind(now_ms)
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Moves a pending invitation to `state`; `false` if it was not pending.
pub async fn finish<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    state: InvitationState,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let accepted_at = (state == InvitationState::Accepted).then_some(now_ms);
    let done = sqlx::query(
        "UPDATE invitations SET state = $1, updated_at = $2, accepted_at = $3 WHERE id = $4 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(now_ms)
    .bind(accepted_at)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels an open (pending or declined) invitation; `false` if it was not
/// open.
pub async fn cancel_open<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND state IN ('pending', 'declined')",
    )
    .bind(now_ms)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `email_normalized` has a pending, unexpired invitation.
pub async fn has_pending<'e>(
    db: impl Executor<'e, Database = Any>,
    email_normalized: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM invitations WHERE email_normalized = $1 AND state = 'pending' AND expires_at > $2 LIMIT 1")
        .bind(email_normalized)
        .bind(now_ms)
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}

/// Whether the account has an open (pending or declined) invitation for
/// `email_normalized`: the one [`insert`] would refuse.
pub async fn is_open_for<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    email_normalized: &str,
) -> sqlx::Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM invitations \
         WHERE account_id = $1 AND email_normalized = $2 AND state IN ('pending', 'declined') LIMIT 1",
    )
    .bind(account_id)
    .bind(email_normalized)
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}
