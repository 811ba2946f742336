use sqlx::{Any, Executor};

use super::{Db, Engine};

use crate::tokens::new_id;
use shared::domain::{MemberStatus, Role};

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    user_id: &str,
    role: Role,
    status: MemberStatus,
    now_ms: i64,
) -> sqlx::Result<String> {
    let id = new_id();
    // An Active row joins now; an Invited one when it is accepted.
    let joined_at = (status != MemberStatus::Invited).then_some(now_ms);
    sqlx::query(
        "INSERT INTO members (id, account_id, user_id, role, status, created_at, updated_at, joined_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(status.as_str())
    .bind(now_ms)
    .bind(joined_at)
    .execute(db)
    .await?;
    Ok(id)
}

/// Number of Active Admins of an account.
pub async fn count_active_admins<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) AS n FROM members WHERE account_id = $1 AND role = 'admin' AND status = 'active'")
        .bind(account_id)
        .fetch_one(db)
        .await
}

/// A member row with what the Team table shows: the user's name and email,
/// or (for Invited rows) the invitation's.
///
/// Read from a row (`FromRow`) or, for a page, from the JSON array the query
/// builds ([`page`]): the fields in this order.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct MemberRecord {
    pub id: String,
    pub account_id: String,
    pub user_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(try_from = "String")]
    pub status: MemberStatus,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub api_key_sealed: Option<String>,
    pub invitation_id: Option<String>,
    pub invitation_expires_at: Option<i64>,
    /// When the pending invitation's email was given up on (dead letter).
    pub invitation_mail_dead_at: Option<i64>,
    /// The open invitation's state: `pending` or `declined`.
    pub invitation_state: Option<String>,
    /// When the membership became Active.
    pub joined_at: Option<i64>,
    /// The last request by session in this account (minute precision).
    pub last_active_at: Option<i64>,
    /// The last request by the member's API key (minute precision).
    pub api_key_last_used_at: Option<i64>,
}

impl MemberRecord {
    /// "First Last <email>", for audit events.
    pub fn label(&self) -> String {
        shared::domain::actor_label(&self.first_name, &self.last_name, &self.email)
    }
}

/// An Invited row's open invitation: pending, or declined (the admin still
/// sees it, and may resend or cancel it). At most one per row.
const OPEN_INVITATION: &str =
    "LEFT JOIN invitations i ON i.member_id = m.id AND i.state IN ('pending', 'declined')";

/// The [`MemberRecord`] columns, read from [`FROM`].
const COLUMNS: &str = "m.id, m.account_id, m.user_id, m.role, m.status, m.api_key_sealed, \
     COALESCE(u.first_name, i.first_name) AS first_name, COALESCE(u.last_name, i.last_name) AS last_name, \
     COALESCE(u.email, i.email) AS email, i.id AS invitation_id, i.expires_at AS invitation_expires_at, \
     o.dead_at AS invitation_mail_dead_at, i.state AS invitation_state, m.joined_at, m.last_active_at, \
     m.api_key_last_used_at";

const FROM: &str = "FROM members m \
     LEFT JOIN users u ON u.id = m.user_id \
     LEFT JOIN invitations i ON i.member_id = m.id AND i.state IN ('pending', 'declined') \
     LEFT JOIN outbox o ON o.id = i.outbox_id";

/// Search, status and role filters; `$2`: status or '', `$3`: LIKE pattern
/// or '', `$4`: role or ''.
const FILTER: &str = "WHERE m.account_id = $1 AND ($2 = '' OR m.status = $2) AND ($4 = '' OR m.role = $4) AND ($3 = '' \
     OR LOWER(COALESCE(u.first_name, i.first_name) || ' ' || COALESCE(u.last_name, i.last_name)) LIKE $3 ESCAPE '\\' \
     OR LOWER(COALESCE(u.email, i.email)) LIKE $3 ESCAPE '\\')";

/// A LIKE pattern for a search term, with `%`, `_` and `\` escaped.
pub fn like_pattern(term: &str) -> String {
    let term = term.trim().to_lowercase();
    if term.is_empty() {
        return String::new();
    }
    let escaped: String = term
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            other => vec![other],
        })
        .collect();
    format!("%{escaped}%")
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    member_id: &str,
) -> sqlx::Result<Option<MemberRecord>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE m.account_id = $1 AND m.id = $2");
    sqlx::query_as(&sql)
        .bind(account_id)
        .bind(member_id)
        .fetch_optional(db)
        .await
}

/// The filters of a member listing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// A status, or '' for all.
    pub status: &'a str,
    /// A role, or '' for all.
    pub role: &'a str,
    /// A LIKE pattern (see [`like_pattern`]), or '' for all.
    pub pattern: &'a str,
}

/// One page of an account's members, newest first, in one query.
///
/// The database packs the page into one JSON array of arrays (the
/// [`MemberRecord`] fields in order), read back with serde: one row through
/// the driver instead of one per member, whose per-row cost (the SQLite
/// worker's hand-off and the `Any` row conversion, about 8 µs a row in
/// `make bench`) was most of a member list's CPU.
pub async fn page(
    db: &Db,
    account_id: &str,
    filter: Filter<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<MemberRecord>> {
    let inner = format!(
        "SELECT m.created_at AS sort_at, {COLUMNS} {FROM} {FILTER} \
         ORDER BY m.created_at DESC, m.id DESC LIMIT $5 OFFSET $6"
    );
    let fields = "id, account_id, user_id, role, status, first_name, last_name, email, api_key_sealed, \
         invitation_id, invitation_expires_at, invitation_mail_dead_at, invitation_state, joined_at, \
         last_active_at, api_key_last_used_at";
    let sql = match db.engine {
        Engine::Sqlite => format!(
            "SELECT json_group_array(json_array({fields}) ORDER BY sort_at DESC, id DESC) FROM ({inner}) p"
        ),
        Engine::Postgres => format!(
            "SELECT COALESCE(json_agg(json_build_array({fields}) ORDER BY sort_at DESC, id DESC), '[]')::text \
             FROM ({inner}) p"
        ),
    };
    let json: String = sqlx::query_scalar(&sql)
        .bind(account_id)
        .bind(filter.status)
        .bind(filter.pattern)
        .bind(filter.role)
        .bind(limit)
        .bind(offset)
        .fetch_one(&db.pool)
        .await?;
    serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

/// How many members match. Without a search term no join is needed, and the
/// count is answered from the `members` index alone.
pub async fn count<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    filter: Filter<'_>,
) -> sqlx::Result<i64> {
    let sql = if filter.pattern.is_empty() {
        "SELECT COUNT(*) AS n FROM members m \
         WHERE m.account_id = $1 AND ($2 = '' OR m.status = $2) AND ($4 = '' OR m.role = $4) AND $3 = ''"
            .to_owned()
    } else {
        format!(
            "SELECT COUNT(*) AS n FROM members m LEFT JOIN users u ON u.id = m.user_id \
             {OPEN_INVITATION} {FILTER}"
        )
    };
    sqlx::query_scalar(&sql)
        .bind(account_id)
        .bind(filter.status)
        .bind(filter.pattern)
        .bind(filter.role)
        .fetch_one(db)
        .await
}

/// A new Invited row with the invited role (no user yet: it is linked on
/// accept).
pub async fn insert_invited<'e>(
    db: impl Executor<'e, Database = Any>,
    id: &str,
    account_id: &str,
    role: Role,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO members (id, account_id, user_id, role, status, created_at, updated_at) \
         VALUES ($1, $2, NULL, $3, 'invited', $4, $4)",
    )
    .bind(id)
    .bind(account_id)
    .bind(role.as_str())
    .bind(now_ms)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn set_role_and_status<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
    role: Role,
    status: MemberStatus,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE members SET role = $1, status = $2, updated_at = $3 WHERE id = $4")
        .bind(role.as_str())
        .bind(status.as_str())
        .bind(now_ms)
        .bind(member_id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn set_api_key<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
    key_digest: &str,
    key_sealed: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE members SET api_key_digest = $1, api_key_sealed = $2, updated_at = $3 WHERE id = $4")
        .bind(key_digest)
        .bind(key_sealed)
        .bind(now_ms)
        .bind(member_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Turns an Invited row into an Active member of `user_id` with a key; the
/// role is the invited one.
pub async fn activate_invited<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
    user_id: &str,
    key_digest: &str,
    key_sealed: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE members SET user_id = $1, status = 'active', api_key_digest = $2, api_key_sealed = $3, \
         updated_at = $4, joined_at = $4 WHERE id = $5 AND status = 'invited'",
    )
    .bind(user_id)
    .bind(key_digest)
    .bind(key_sealed)
    .bind(now_ms)
    .bind(member_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM members WHERE id = $1")
        .bind(member_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Records a request by session of member `member_id` at `now_ms` (the
/// caller writes at most once a minute per member).
pub async fn touch_last_active<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE members SET last_active_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(member_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Whether a user with this address is already a member of the account.
pub async fn email_is_member<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    email_normalized: &str,
) -> sqlx::Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM members m JOIN users u ON u.id = m.user_id \
         WHERE m.account_id = $1 AND u.email_normalized = $2 LIMIT 1",
    )
    .bind(account_id)
    .bind(email_normalized)
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}

/// Whether `user_id` is an Active Admin of the account.
pub async fn is_active_admin<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    user_id: &str,
) -> sqlx::Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM members WHERE account_id = $1 AND user_id = $2 AND role = 'admin' AND status = 'active'",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}

/// Locks the account's row for the rest of the transaction, so that
/// concurrent changes to its members (the last-admin rule) serialise.
pub async fn lock_account<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET name = name WHERE id = $1")
        .bind(account_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// `user_id`'s member row in the account, whatever its status.
pub async fn find_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    account_id: &str,
    user_id: &str,
) -> sqlx::Result<Option<MemberRecord>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE m.account_id = $1 AND m.user_id = $2");
    sqlx::query_as(&sql)
        .bind(account_id)
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// When the member's API key was last used (`None`: never).
pub async fn api_key_last_used_at<'e>(
    db: impl Executor<'e, Database = Any>,
    member_id: &str,
) -> sqlx::Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT api_key_last_used_at FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(at,)| at))
}

/// Every member row of `user_id`, in any account.
pub async fn list_for_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> sqlx::Result<Vec<MemberRecord>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE m.user_id = $1 ORDER BY m.created_at");
    sqlx::query_as(&sql).bind(user_id).fetch_all(db).await
}
