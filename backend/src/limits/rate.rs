//! The named rate limits, kept in the database so that every
//! server process shares them exactly. Keys are normalised emails or client
//! addresses; a limit never depends on whether an account exists. (The
//! per-API-key limit, checked on every API request, is counted in memory
//! instead: `limits::buffered`.)

use std::time::Duration;

use anyhow::Context as _;

use crate::Core;
use crate::clock::millis;
use crate::db::rate_limits;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub name: &'static str,
    pub max: i64,
    pub window: Duration,
}

/// Failed sign-ins per email address: 10 per 15 minutes.
pub const SIGN_IN_FAILURES_PER_ACCOUNT: Limit = Limit {
    name: "sign-in-failures",
    max: 10,
    window: Duration::from_secs(15 * 60),
};
/// Sign-in attempts per client address: 60 per minute.
pub const SIGN_IN_PER_ADDRESS: Limit = Limit {
    name: "sign-in-address",
    max: 60,
    window: Duration::from_secs(60),
};
/// First-admin setup attempts per client address: 10 per minute (each
/// may cost a hash while there is no admin yet).
pub const SETUP_PER_ADDRESS: Limit = Limit {
    name: "setup-address",
    max: 10,
    window: Duration::from_secs(60),
};
/// Verification emails per address: 3 per hour.
pub const VERIFICATION_RESENDS_PER_EMAIL: Limit = Limit {
    name: "verify-resend",
    max: 3,
    window: Duration::from_secs(3600),
};
/// Verification resend requests per client address: 10 per hour.
pub const VERIFICATION_RESENDS_PER_ADDRESS: Limit = Limit {
    name: "verify-resend-address",
    max: 10,
    window: Duration::from_secs(3600),
};
/// Registrations per client address: 20 per hour.
pub const REGISTRATIONS_PER_ADDRESS: Limit = Limit {
    name: "register-address",
    max: 20,
    window: Duration::from_secs(3600),
};

/// "Send Reset Link" requests per client address: 10 per hour. Past it
/// the answer is the same page (nothing is sent).
pub const PASSWORD_RESET_REQUESTS_PER_ADDRESS: Limit = Limit {
    name: "reset-address",
    max: 10,
    window: Duration::from_secs(3600),
};
/// Password reset mails per email address: 3 per hour (counted whether or
/// not the address has an account). Past it nothing is sent.
pub const PASSWORD_RESET_MAILS_PER_EMAIL: Limit = Limit {
    name: "reset-email",
    max: 3,
    window: Duration::from_secs(3600),
};
/// Failed current-password checks on the Profile page (email and password
/// changes) per user: 10 per 15 minutes, counted before the hash like
/// sign-in failures; a match forgets them.
pub const PROFILE_PASSWORD_FAILURES_PER_USER: Limit = Limit {
    name: "profile-password-failures",
    max: 10,
    window: Duration::from_secs(15 * 60),
};
/// Email-change requests (each sends a mail to the typed address) per
/// user: 5 per hour.
pub const EMAIL_CHANGES_PER_USER: Limit = Limit {
    name: "email-change",
    max: 5,
    window: Duration::from_secs(3600),
};

/// Accounts created in the app per user: 10 per hour.
pub const ACCOUNTS_CREATED_PER_USER: Limit = Limit {
    name: "account-create",
    max: 10,
    window: Duration::from_secs(3600),
};

const INVITES_WINDOW: Duration = Duration::from_secs(3600);

/// Invitations sent (and resent) per account per hour
/// (`Settings::invites_per_hour`, 100 by default).
pub fn invites_per_account(state: &Core) -> Limit {
    Limit {
        name: "invites",
        max: state.settings.invites_per_hour,
        window: INVITES_WINDOW,
    }
}

/// The window of the per-API-key limit (`limits::buffered`, counted in
/// the same table).
pub const API_KEY_WINDOW: Duration = Duration::from_secs(60);

/// No limit's window is longer: a counter whose window started longer ago
/// than this has ended, and the retention purge deletes it.
pub const LONGEST_WINDOW: Duration = Duration::from_secs(3600);

impl Limit {
    fn bucket(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    /// Counts one attempt; `false` when it is over the limit.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn allow(&self, state: &Core, key: &str) -> anyhow::Result<bool> {
        let hits = rate_limits::hit(
            &state.db.pool,
            &self.bucket(key),
            state.clock.now_ms(),
            millis(self.window),
        )
        .await
        .context("counting a rate-limited attempt")?;
        Ok(hits <= self.max)
    }

    /// The attempts counted under `key` in the current window (without
    /// counting one).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn used(&self, state: &Core, key: &str) -> anyhow::Result<i64> {
        rate_limits::peek(
            &state.db.pool,
            &self.bucket(key),
            state.clock.now_ms(),
            millis(self.window),
        )
        .await
        .context("reading a rate limit")
    }

    /// Counts one attempt on `conn`, inside the caller's transaction (so the
    /// count is a write of that transaction, whatever else it does);
    /// `false` when it is over the limit.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn allow_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        now_ms: i64,
        key: &str,
    ) -> anyhow::Result<bool> {
        let hits = rate_limits::hit(conn, &self.bucket(key), now_ms, millis(self.window))
            .await
            .context("counting a rate-limited attempt")?;
        Ok(hits <= self.max)
    }

    /// Forgets the attempts under `key`.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn reset(&self, state: &Core, key: &str) -> anyhow::Result<()> {
        rate_limits::clear(&state.db.pool, &self.bucket(key))
            .await
            .context("clearing a rate limit")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_window_is_longer_than_the_longest() {
        for limit in [
            SIGN_IN_FAILURES_PER_ACCOUNT,
            SIGN_IN_PER_ADDRESS,
            SETUP_PER_ADDRESS,
            VERIFICATION_RESENDS_PER_EMAIL,
            VERIFICATION_RESENDS_PER_ADDRESS,
            REGISTRATIONS_PER_ADDRESS,
            PASSWORD_RESET_REQUESTS_PER_ADDRESS,
            PASSWORD_RESET_MAILS_PER_EMAIL,
            PROFILE_PASSWORD_FAILURES_PER_USER,
            EMAIL_CHANGES_PER_USER,
        ] {
            assert!(limit.window <= LONGEST_WINDOW, "{}", limit.name);
        }
        assert!(API_KEY_WINDOW <= LONGEST_WINDOW);
        assert!(INVITES_WINDOW <= LONGEST_WINDOW);
    }
}
