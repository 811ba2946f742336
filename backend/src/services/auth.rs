//! Sign-in, sessions and sign-out. Sessions live in the database (several
//! server processes can share them); the cookie carries a 256-bit token of
//! which only the SHA-256 digest is stored.

use anyhow::Context as _;

use crate::Core;
use crate::clock::millis;
use crate::db::{accounts, members, sessions, users};
use crate::limits::rate::{SIGN_IN_FAILURES_PER_ACCOUNT, SIGN_IN_PER_ADDRESS};
use crate::passwords::Verification;
use crate::tokens::{digest, is_well_formed, new_token};
use shared::domain::{EmailAddress, Role};
use shared::dto::auth::{AccountMembership, CurrentUser};

/// Only refresh `last_seen_at` (and the membership's `last_active_at`, the
/// Team page's "Last Active") when it is older than this, so reads do not
/// each cost a write: both are precise to this interval.
const TOUCH_INTERVAL_MS: i64 = 60_000;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown email and wrong password alike.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("email address not verified")]
    EmailNotVerified,
    #[error("too many attempts")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Checks the credentials and opens a new session; returns the token for the
/// cookie. Unknown emails cost one dummy argon2 verify, like wrong passwords.
/// `client` is the caller's address, for the per-address limit;
/// `user_agent` its `User-Agent` header, described for the Sessions list.
///
/// # Errors
/// `InvalidCredentials`, `EmailNotVerified`, `RateLimited`, or an
/// unexpected failure.
pub async fn sign_in(
    state: &Core,
    email: &str,
    password: String,
    client: &str,
    user_agent: Option<&str>,
) -> Result<String, SignInError> {
    if !SIGN_IN_PER_ADDRESS.allow(state, client).await? {
        tracing::warn!(target: "security", event = "sign_in.limited", limit = "address", client);
        crate::metrics::sign_in("limited");
        return Err(SignInError::RateLimited);
    }
    let parsed = EmailAddress::parse(email).ok();
    // The per-account limit is keyed by what was typed, known or not.
    // (A digest for anything unparseable: it may hold bytes no database keeps.)
    let account_key = parsed.as_ref().map_or_else(
        || digest(&shared::domain::normalize_email(email)),
        EmailAddress::normalized,
    );
    // Counted before the hash, in one atomic upsert: a burst of parallel
    // guesses cannot all pass a check made before any of them was counted,
    // so at most `max` verifications run per window. A match forgets them.
    if !SIGN_IN_FAILURES_PER_ACCOUNT
        .allow(state, &account_key)
        .await?
    {
        tracing::warn!(target: "security", event = "sign_in.limited", limit = "account", client);
        crate::metrics::sign_in("limited");
        return Err(SignInError::RateLimited);
    }
    let user = match parsed {
        Some(email) => users::find_by_email(&state.db.pool, &email.normalized())
            .await
            .context("looking up the user")?,
        None => None,
    };
    let stored = user.as_ref().map(|user| user.password_hash.clone());
    state
        .sign_in_verifications
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let verification = state.passwords.verify(password.clone(), stored).await?;
    // Who, when known: never what was typed (a password typed into the
    // email field would land in the log).
    let known = user.as_ref().map(|user| user.id.clone());
    let (Some(user), Verification::Match { rehash }) = (user, verification) else {
        tracing::info!(target: "security", event = "sign_in.failed", user_id = known, client);
        crate::metrics::sign_in("failed");
        return Err(SignInError::InvalidCredentials);
    };
    SIGN_IN_FAILURES_PER_ACCOUNT
        .reset(state, &account_key)
        .await?;
    if user.email_verified_at.is_none() {
        tracing::info!(target: "security", event = "sign_in.unverified", user_id = user.id, client);
        crate::metrics::sign_in("unverified");
        return Err(SignInError::EmailNotVerified);
    }
    let now = state.clock.now_ms();
    if rehash {
        let new_hash = state.passwords.hash(password).await?;
        users::update_password_hash(&state.db.pool, &user.id, &new_hash, now)
            .await
            .context("storing the rehashed password")?;
    }
    let token = open_session(state, &user.id, user_agent).await?;
    tracing::info!(target: "security", event = "sign_in.succeeded", user_id = user.id, client);
    crate::metrics::sign_in("succeeded");
    Ok(token)
}

/// Opens a session for `user_id` and returns its token; the row keeps a
/// public id and a short description of `user_agent` (the `User-Agent`
/// header) for the Profile page's Sessions list.
///
/// # Errors
/// On a database failure.
pub async fn open_session(
    state: &Core,
    user_id: &str,
    user_agent: Option<&str>,
) -> anyhow::Result<String> {
    let token = new_token();
    let now = state.clock.now_ms();
    let expires_at = now.saturating_add(millis(state.settings.session_absolute_timeout));
    // A new session starts in the user's first account (the Default one
    // first, then the one joined first).
    let first = accounts::active_for_user(&state.db.pool, user_id)
        .await
        .context("reading the user's accounts")?
        .into_iter()
        .next();
    let session = sessions::NewSession {
        token_hash: &digest(&token),
        id: &crate::tokens::new_id(),
        user_id,
        user_agent: &crate::user_agent::describe(user_agent),
        current_account_id: first.as_ref().map(|first| first.account_id.as_str()),
    };
    sessions::insert(&state.db.pool, &session, now, expires_at)
        .await
        .context("storing the session")?;
    Ok(token)
}

/// Ends the session behind `token` (a no-op for unknown tokens).
///
/// # Errors
/// On a database failure.
pub async fn sign_out(state: &Core, token: &str) -> anyhow::Result<()> {
    if is_well_formed(token) {
        sessions::delete(&state.db.pool, &digest(token))
            .await
            .context("deleting the session")?;
        tracing::info!(target: "security", event = "signed_out");
    }
    Ok(())
}

/// The signed-in user behind `token`, or `None` when the token is unknown,
/// malformed, or past its idle or absolute limit (expired rows are deleted).
///
/// # Errors
/// On a database failure.
pub async fn current_user(state: &Core, token: &str) -> anyhow::Result<Option<CurrentUser>> {
    if !is_well_formed(token) {
        return Ok(None);
    }
    let token_hash = digest(token);
    let Some(session) = sessions::find(&state.db.pool, &token_hash)
        .await
        .context("reading the session")?
    else {
        return Ok(None);
    };
    let now = state.clock.now_ms();
    let idle_limit = session
        .last_seen_at
        .saturating_add(millis(state.settings.session_idle_timeout));
    if now >= session.expires_at || now >= idle_limit {
        sessions::delete(&state.db.pool, &token_hash)
            .await
            .context("deleting an expired session")?;
        return Ok(None);
    }
    // A session without a current account keeps the one the lookup took
    // (one write, the first time).
    if session.current_account_id.is_none()
        && let Some(account_id) = &session.account_id
    {
        sessions::set_current_account(&state.db.pool, &token_hash, Some(account_id))
            .await
            .context("storing the session's current account")?;
    }
    if now - session.last_seen_at > TOUCH_INTERVAL_MS {
        sessions::touch(&state.db.pool, &token_hash, now)
            .await
            .context("touching the session")?;
    }
    // The membership the session acts in: at most one write a minute per
    // member, whatever the number of its sessions and requests.
    if let Some(member_id) = &session.member_id
        && session
            .member_last_active_at
            .is_none_or(|at| now - at > TOUCH_INTERVAL_MS)
    {
        members::touch_last_active(&state.db.pool, member_id, now)
            .await
            .context("recording the member's activity")?;
    }
    let membership = match (session.account_id, session.account_name, session.role) {
        (Some(account_id), Some(account_name), Some(role)) => Some(AccountMembership {
            account_id,
            account_name,
            role: Role::parse(&role).map_err(anyhow::Error::msg)?,
        }),
        _ => None,
    };
    Ok(Some(CurrentUser {
        user_id: session.user_id,
        first_name: session.first_name,
        last_name: session.last_name,
        email: session.email,
        membership,
    }))
}
