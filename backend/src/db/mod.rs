//! One data layer for SQLite and PostgreSQL through sqlx's `Any` driver:
//! portable SQL with `$1` placeholders, TEXT ids, BIGINT millisecond times.
//! Each submodule holds the queries of one table group as plain functions
//! taking an executor.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod email_changes;
pub mod idempotency;
pub mod invitations;
pub mod lease;
pub mod member_list;
pub mod members;
pub mod outbox;
pub mod password_resets;
pub mod rate_limits;
pub mod sessions;
pub mod users;
pub mod verifications;
pub mod webhooks;

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor as _, Transaction};

/// The database engine behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The migrations in `migrations/`, embedded at compile time (`build.rs`
/// rebuilds when a file is added). Each is recorded in `_sqlx_migrations`
/// by version and SQL checksum, as the hand-kept list before it recorded
/// them, so existing databases carry on.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
}

/// Runs one batch of a purge: `sql` deletes up to `$2` rows older than the
/// cut-off `$1` (ms); how many went. Each table's module owns its SQL.
pub(crate) async fn delete_batch<'e>(
    db: impl sqlx::Executor<'e, Database = Any>,
    sql: &'static str,
    before_ms: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(sql)
        .bind(before_ms)
        .bind(limit)
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}

/// Creates `path` and any missing folders above it, readable by the owner
/// only (0700: the database and the secret live there).
///
/// # Errors
/// When a folder cannot be created.
pub fn create_private_dir_all(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Creates an empty file at `path` with mode 0600 unless one exists: SQLite
/// would create it with the umask's mode (typically world-readable), and its
/// `-wal` and `-shm` files copy the main file's mode.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// The file path of a `sqlite://PATH?…` URL.
#[must_use]
pub fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default()
}

/// Adds `mode=rwc` so SQLite creates the file (first created here, 0600),
/// and creates its folder (0700).
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let path_part = sqlite_path(url);
    let parent = Path::new(path_part)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|_| path_part != ":memory:") {
        create_private_dir_all(parent)
            .with_context(|| format!("creating the database folder {}", parent.display()))?;
    }
    if !path_part.is_empty() && path_part != ":memory:" {
        create_private_file(Path::new(path_part))
            .with_context(|| format!("creating the database file {path_part}"))?;
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    ///
    /// # Errors
    /// When the URL names another engine or the database cannot be reached.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let (engine, url) = if url.starts_with("sqlite:") {
            (Engine::Sqlite, prepare_sqlite_url(url)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Engine::Postgres, url.to_owned())
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://");
        };
        let options: AnyConnectOptions = url.parse().context("parsing DATABASE_URL")?;
        // SQLite runs each connection on its own thread: a few are enough on
        // small machines (one writer at a time anyway), more only contend.
        let max_connections = match engine {
            Engine::Sqlite => 4,
            Engine::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 5000",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("connecting to the database")?;
        Ok(Self { pool, engine })
    }

    /// Applies the embedded migrations, then installs the triggers that
    /// differ between the engines ([`member_list`]); idempotent, and safe
    /// with several processes on PostgreSQL (both take an advisory lock).
    ///
    /// # Errors
    /// When a migration fails or an applied one was edited.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context("running migrations")?;
        member_list::install_triggers(&self.pool, self.engine)
            .await
            .context("installing the member-list triggers")
    }

    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock up front (`BEGIN IMMEDIATE`), so a read-then-write transaction
    /// cannot fail half-way on a lock upgrade.
    ///
    /// The begin runs in a task of its own, so that a caller dropped half-way
    /// (a client gone, a request deadline) cannot leave a pooled connection
    /// inside a transaction nothing will end. sqlx rolls back a dropped
    /// `Transaction`, and a `BEGIN` whose answer nobody waits for, but not
    /// one answered just before the waiting future was dropped: the answer
    /// sat unread, and the connection went back to the pool holding SQLite's
    /// write lock (every later write failed; see the test below).
    ///
    /// # Errors
    /// When no connection can be had or the lock times out.
    pub async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Any>> {
        let pool = self.pool.clone();
        let engine = self.engine;
        let begin = tokio::spawn(async move {
            match engine {
                Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                Engine::Postgres => pool.begin().await,
            }
        });
        match begin.await {
            Ok(begun) => begun,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Only when the runtime shuts down.
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
    }

    /// True when the database answers.
    pub async fn is_healthy(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_sqlite_database_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let root = std::env::temp_dir().join(format!("muster-db-{}", crate::tokens::new_id()));
        let dir = root.join("data");
        let file = dir.join("muster.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        let wal = dir.join("muster.db-wal");
        if wal.exists() {
            assert_eq!(mode(&wal), 0o600);
        }
        db.pool.close().await;
        std::fs::remove_dir_all(root).unwrap();
    }

    /// A client that goes away drops its request's future wherever it is,
    /// `begin_write` included: between SQLite's worker thread running
    /// `BEGIN IMMEDIATE` and the future reading the answer, a drop once left
    /// a pooled connection inside a transaction holding the write lock, and
    /// every later write failed ("attempted to call begin_with at non-zero
    /// transaction depth", then "database is locked").
    #[tokio::test]
    async fn a_begin_dropped_half_way_leaves_no_connection_in_a_transaction() {
        use std::future::Future as _;
        use std::task::{Context, Poll, Waker};
        let root = std::env::temp_dir().join(format!("muster-db-{}", crate::tokens::new_id()));
        let file = root.join("muster.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        // Dropped after one poll, two, …: one of them is the poll that sends
        // `BEGIN IMMEDIATE` to the worker thread, which answers while this
        // thread sleeps.
        for polls in (1..=8).cycle().take(24) {
            {
                let mut begin = std::pin::pin!(db.begin_write());
                let mut context = Context::from_waker(Waker::noop());
                for _ in 0..polls {
                    if let Poll::Ready(result) = begin.as_mut().poll(&mut context) {
                        drop(result.unwrap());
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            // Time for the runtime to return dropped connections to the pool.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Every connection of the pool, in turn, can still begin and write.
        for round in 0..12 {
            let mut tx = tokio::time::timeout(Duration::from_secs(2), db.begin_write())
                .await
                .unwrap_or_else(|_| panic!("round {round}: the write lock is held"))
                .unwrap_or_else(|error| panic!("round {round}: {error}"));
            sqlx::query("UPDATE outbox SET attempts = attempts WHERE id = 'none'")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        db.pool.close().await;
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATOR
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_")))
            .collect();
        assert_eq!(files, embedded);
    }

    /// A database migrated by the hand-kept list this replaced (descriptions
    /// with underscores, the same SQL) is up to date for [`MIGRATOR`].
    #[tokio::test]
    async fn databases_migrated_by_the_old_list_carry_on() {
        use sqlx::migrate::{Migration, MigrationType};
        use std::borrow::Cow;

        let dir = std::env::temp_dir().join(format!("muster-mig-{}", crate::tokens::new_id()));
        let db = Db::connect(&format!("sqlite://{}/m.db", dir.display()))
            .await
            .unwrap();
        let old: Vec<Migration> = MIGRATOR
            .iter()
            .map(|m| {
                Migration::new(
                    m.version,
                    Cow::Owned(m.description.replace(' ', "_")),
                    MigrationType::Simple,
                    m.sql.clone(),
                    false,
                )
            })
            .collect();
        let old = Migrator {
            migrations: Cow::Owned(old),
            ..Migrator::DEFAULT
        };
        old.run(&db.pool).await.unwrap();
        db.migrate().await.unwrap();
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(applied, MIGRATOR.iter().count() as i64);
        db.pool.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = std::env::temp_dir().join(format!("muster-url-{}", crate::tokens::new_id()));
        let url = format!("sqlite://{}/x.db", dir.display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.exists());
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:?mode=memory").unwrap(),
            "sqlite::memory:?mode=memory"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
