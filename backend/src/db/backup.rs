//! A consistent copy of a live SQLite database (`server backup FILE`).
//!
//! SQLite's `VACUUM INTO` writes the database as one read transaction sees
//! it: every write committed before the copy began is in it, none that
//! commits later, and in WAL mode writers carry on meanwhile (they wait
//! only for the moment each of their own commits takes). The file is
//! created first with mode 0600 (it holds password hashes and sealed API
//! keys), must not exist yet, is synced to disk, and is checked with
//! `PRAGMA quick_check` before success is reported.
//!
//! PostgreSQL has its own tools ([`BackupError::Postgres`]): the command
//! says to use `pg_dump`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sqlx::Connection as _;

use super::{Db, Engine, sqlite_path};

/// Why no copy was made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL: `pg_dump` it.
    #[error("the database is PostgreSQL")]
    Postgres,
    #[error("there is no database at {0} to back up")]
    NoDatabase(String),
    #[error("{} already exists: choose a new file name (a backup never overwrites)", .0.display())]
    Exists(PathBuf),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Copies the database at `database_url` to the new file `file`; returns
/// the copy's size in bytes.
///
/// # Errors
/// On PostgreSQL, when there is no database file, when `file` exists or
/// cannot be written, or when the copy fails its check (the file is then
/// removed).
pub async fn backup(database_url: &str, file: &Path) -> Result<u64, BackupError> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        return Err(BackupError::Postgres);
    }
    if !database_url.starts_with("sqlite:") {
        return Err(
            anyhow::anyhow!("DATABASE_URL must start with sqlite:// or postgres://").into(),
        );
    }
    let source = sqlite_path(database_url);
    if !Path::new(source).is_file() {
        return Err(BackupError::NoDatabase(source.to_owned()));
    }
    create_empty_private(file)?;
    if let Err(error) = copy(database_url, file).await {
        let _ = std::fs::remove_file(file);
        return Err(error.into());
    }
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    Ok(size)
}

async fn copy(database_url: &str, file: &Path) -> anyhow::Result<()> {
    let db = Db::connect(database_url).await?;
    debug_assert_eq!(db.engine, Engine::Sqlite);
    let target = file
        .to_str()
        .context("the backup file's name must be valid UTF-8")?;
    let vacuumed = sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&db.pool)
        .await
        .context("copying the database (VACUUM INTO)");
    db.pool.close().await;
    vacuumed?;
    std::fs::File::open(file)
        .and_then(|copy| copy.sync_all())
        .with_context(|| format!("syncing {}", file.display()))?;
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        // The new name is durable too (best effort: not every platform can
        // open a folder).
        let _ = std::fs::File::open(dir).and_then(|dir| dir.sync_all());
    }
    check(file).await
}

/// `PRAGMA quick_check` on the copy, opened read-only.
async fn check(file: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .with_context(|| format!("opening the copy {}", file.display()))?;
    let (verdict,): (String,) = sqlx::query_as("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await
        .context("checking the copy")?;
    conn.close().await.ok();
    if verdict != "ok" {
        anyhow::bail!("the copy {} failed its check: {verdict}", file.display());
    }
    Ok(())
}

/// Creates `file` empty with mode 0600 (`VACUUM INTO` fills an empty file);
/// refuses one that exists.
fn create_empty_private(file: &Path) -> Result<(), BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(BackupError::Exists(file.to_path_buf()))
        }
        Err(error) => Err(anyhow::Error::new(error)
            .context(format!("creating {}", file.display()))
            .into()),
    }
}
