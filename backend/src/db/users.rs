use sqlx::{Any, Executor};

/// A user as stored, with the password hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub password_hash: String,
    pub email_verified_at: Option<i64>,
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub password_hash: &'a str,
    pub email_verified_at: Option<i64>,
}

/// What [`insert`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    Created,
    /// The address belongs to another user (compared case-insensitively).
    EmailTaken,
}

/// Inserts a user, or reports that the email is taken. Uses
/// `ON CONFLICT DO NOTHING`, so a taken address never aborts the caller's
/// transaction (PostgreSQL would) and needs no select-then-insert.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    user: &NewUser<'_>,
    now_ms: i64,
) -> sqlx::Result<Inserted> {
    let done = sqlx::query(
        "INSERT INTO users (id, first_name, last_name, email, email_normalized, password_hash, \
         email_verified_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (email_normalized) DO NOTHING",
    )
    .bind(user.id)
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(user.email)
    .bind(user.email_normalized)
    .bind(user.password_hash)
    .bind(user.email_verified_at)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(if done.rows_affected() == 1 {
        Inserted::Created
    } else {
        Inserted::EmailTaken
    })
}

pub async fn find_by_email<'e>(
    db: impl Executor<'e, Database = Any>,
    email_normalized: &str,
) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as(
        "SELECT id, first_name, last_name, email, password_hash, email_verified_at \
         FROM users WHERE email_normalized = $1",
    )
    .bind(email_normalized)
    .fetch_optional(db)
    .await
}

pub async fn update_password_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    password_hash: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now_ms)
        .bind(user_id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn find_by_id<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as(
        "SELECT id, first_name, last_name, email, password_hash, email_verified_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Verifies a still-unverified user with the registration a link was sent
/// for (`None` keeps the user's own value). `false` when the user was
/// verified already: then nothing changes.
pub async fn verify_with<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    first_name: Option<&str>,
    last_name: Option<&str>,
    password_hash: Option<&str>,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET first_name = COALESCE($1, first_name), last_name = COALESCE($2, last_name), \
         password_hash = COALESCE($3, password_hash), email_verified_at = $4, updated_at = $4 \
         WHERE id = $5 AND email_verified_at IS NULL",
    )
    .bind(first_name)
    .bind(last_name)
    .bind(password_hash)
    .bind(now_ms)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a still-unverified user the newest registration's names and
/// password hash (what sign-in checks and a resent link carries). `false`
/// when the user is verified: then nothing changes.
pub async fn replace_unverified<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    first_name: &str,
    last_name: &str,
    password_hash: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET first_name = $1, last_name = $2, password_hash = $3, updated_at = $4 \
         WHERE id = $5 AND email_verified_at IS NULL",
    )
    .bind(first_name)
    .bind(last_name)
    .bind(password_hash)
    .bind(now_ms)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a user a new password hash after a password reset, and marks the
/// address verified if it was not (following the mailed link proved it).
pub async fn set_password_and_verify<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    password_hash: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, \
         email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 WHERE id = $3",
    )
    .bind(password_hash)
    .bind(now_ms)
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Sets a user's first and last name.
pub async fn update_names<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    first_name: &str,
    last_name: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET first_name = $1, last_name = $2, updated_at = $3 WHERE id = $4")
        .bind(first_name)
        .bind(last_name)
        .bind(now_ms)
        .bind(user_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Whether another user than `user_id` has this (normalised) address.
pub async fn email_taken_by_other<'e>(
    db: impl Executor<'e, Database = Any>,
    email_normalized: &str,
    user_id: &str,
) -> sqlx::Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM users WHERE email_normalized = $1 AND id <> $2")
        .bind(email_normalized)
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}

/// Sets a user's address (proved by the link just followed: verified).
pub async fn update_email<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: &str,
    email: &str,
    email_normalized: &str,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email = $1, email_normalized = $2, \
         email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3 WHERE id = $4",
    )
    .bind(email)
    .bind(email_normalized)
    .bind(now_ms)
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}
