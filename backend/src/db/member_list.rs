//! Each account's member-list version (`member_list_versions`): what bumps
//! it and how it is read. A member list shows rows of `members`, the names
//! and addresses of `users` and of open `invitations`, and whether an
//! invitation's mail was given up (`outbox.dead_at`); a change to any of
//! those, by any process or by hand, bumps the version of the accounts it
//! shows in, in the same transaction. Triggers do it, so no write path can
//! forget, including ones added later; `services::team::list_cache` relies
//! on it.
//!
//! The triggers differ between the engines, so they are installed from
//! here after the migrations, at every start (SQLite drops a table's
//! triggers with the table, and migrations rebuild tables). On PostgreSQL
//! they are deferred to the commit: a transaction then takes the version
//! row last and lets it go at once, so it never waits for a member row
//! while holding it (two transactions locking member and version rows in
//! opposite orders would deadlock); a change shown in several accounts (a
//! user's name) bumps them in the order of their ids. SQLite has one
//! writer at a time.

use sqlx::{Any, AnyPool, Executor as _};

use super::Engine;

/// The statement that bumps the versions of the accounts a changed row
/// shows in: `new`/`old` for a `members` or `invitations` row (its own
/// account), `user` for a `users` row (every account the user is a member
/// of), `outbox` for an `outbox` row (its invitation's account). Several
/// accounts go in id order.
macro_rules! bump {
    (new) => { bump!(@ "VALUES (NEW.account_id, 1)") };
    (old) => { bump!(@ "VALUES (OLD.account_id, 1)") };
    (user) => {
        bump!(@ "SELECT DISTINCT account_id, 1 FROM members WHERE user_id = NEW.id ORDER BY account_id")
    };
    (outbox) => {
        bump!(@ "SELECT DISTINCT account_id, 1 FROM invitations WHERE outbox_id = NEW.id ORDER BY account_id")
    };
    (@ $accounts:literal) => {
        concat!(
            "INSERT INTO member_list_versions (account_id, version) ",
            $accounts,
            " ON CONFLICT (account_id) DO UPDATE SET version = member_list_versions.version + 1"
        )
    };
}

/// On SQLite, one trigger per table and kind of change.
const SQLITE_TRIGGERS: &[&str] = &[
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_members_insert AFTER INSERT ON members BEGIN ",
        bump!(new),
        "; END"
    ),
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_members_update AFTER UPDATE ON members BEGIN ",
        bump!(new),
        "; END"
    ),
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_members_delete AFTER DELETE ON members BEGIN ",
        bump!(old),
        "; END"
    ),
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_invitations_insert AFTER INSERT ON invitations BEGIN ",
        bump!(new),
        "; END"
    ),
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_invitations_update AFTER UPDATE ON invitations BEGIN ",
        bump!(new),
        "; END"
    ),
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_invitations_delete AFTER DELETE ON invitations BEGIN ",
        bump!(old),
        "; END"
    ),
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_users_update ",
        "AFTER UPDATE OF first_name, last_name, email ON users BEGIN ",
        bump!(user),
        "; END"
    ),
    concat!(
        "CREATE TRIGGER IF NOT EXISTS member_list_outbox_dead AFTER UPDATE OF dead_at ON outbox ",
        "WHEN NEW.dead_at IS NOT OLD.dead_at BEGIN ",
        bump!(outbox),
        "; END"
    ),
];

/// On PostgreSQL, one function serves the triggers.
const POSTGRES_FUNCTION: &str = concat!(
    "CREATE OR REPLACE FUNCTION member_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ",
    "IF TG_TABLE_NAME = 'users' THEN ",
    bump!(user),
    "; ELSIF TG_TABLE_NAME = 'outbox' THEN ",
    bump!(outbox),
    "; ELSIF TG_OP = 'DELETE' THEN ",
    bump!(old),
    "; ELSE ",
    bump!(new),
    "; END IF; RETURN NULL; END $$"
);

/// PostgreSQL's triggers by name, each created unless it exists (a
/// constraint trigger cannot be `CREATE OR REPLACE`d; a changed one gets a
/// new name).
const POSTGRES_TRIGGERS: &[(&str, &str)] = &[
    (
        "member_list_members",
        "CREATE CONSTRAINT TRIGGER member_list_members AFTER INSERT OR UPDATE OR DELETE ON members \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_list_changed()",
    ),
    (
        "member_list_invitations",
        "CREATE CONSTRAINT TRIGGER member_list_invitations AFTER INSERT OR UPDATE OR DELETE ON invitations \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_list_changed()",
    ),
    (
        "member_list_users",
        "CREATE CONSTRAINT TRIGGER member_list_users AFTER UPDATE OF first_name, last_name, email ON users \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION member_list_changed()",
    ),
    (
        "member_list_outbox",
        "CREATE CONSTRAINT TRIGGER member_list_outbox AFTER UPDATE OF dead_at ON outbox \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.dead_at IS DISTINCT FROM OLD.dead_at) \
         EXECUTE FUNCTION member_list_changed()",
    ),
];

/// An arbitrary key for PostgreSQL's advisory lock: processes starting
/// together install the triggers one after the other (two concurrent
/// `CREATE OR REPLACE` of one function fail with "tuple concurrently
/// updated").
const INSTALL_LOCK: i64 = 0x6d75_7374_6572_0017;

/// Installs the triggers that bump the version (idempotent).
///
/// # Errors
/// When a statement fails.
pub async fn install_triggers(pool: &AnyPool, engine: Engine) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    match engine {
        Engine::Sqlite => {
            for statement in SQLITE_TRIGGERS {
                tx.execute(*statement).await?;
            }
        }
        Engine::Postgres => {
            // (`pg_advisory_xact_lock` returns `void`, which the `Any`
            // driver cannot decode: the query answers 1 instead.)
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS locked")
                .bind(INSTALL_LOCK)
                .execute(&mut *tx)
                .await?;
            tx.execute(POSTGRES_FUNCTION).await?;
            for (name, statement) in POSTGRES_TRIGGERS {
                let exists: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM pg_trigger WHERE tgname = $1")
                        .bind(*name)
                        .fetch_optional(&mut *tx)
                        .await?;
                if exists.is_none() {
                    tx.execute(*statement).await?;
                }
            }
        }
    }
    tx.commit().await
}

/// The account's member-list version now.
///
/// # Errors
/// Database failures.
pub async fn version<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    account_id: &str,
) -> sqlx::Result<i64> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM member_list_versions WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(db)
            .await?;
    Ok(version.unwrap_or_default())
}
