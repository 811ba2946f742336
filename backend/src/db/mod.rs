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

    /// Applies the embedded migrations (idempotent; safe with several
    /// processes on PostgreSQL, which takes an advisory lock).
    ///
    /// # Errors
    /// When a migration fails or an applied one was edited.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR.run(&self.pool).await.context("running migrations")
    }

    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock up front (`BEGIN IMMEDIATE`), so a read-then-write transaction
    /// cannot fail half-way on a lock upgrade.
    ///
    /// # Errors
    /// When no connection can be had or the lock times out.
    pub async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Any>> {
        match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
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
