//! `server backup FILE`: a consistent copy of a live SQLite database.
//!
//! SQLite's `VACUUM INTO` writes the database as one read transaction sees
//! it: every write committed before the copy began is in it, none that
//! commits later, and in WAL mode writers carry on meanwhile (they wait
//! only for the moment each of their own commits takes). The file is
//! created first with mode 0600 (it holds password hashes and sealed API
//! keys), must not exist yet, is synced to disk, and is checked with
//! `PRAGMA quick_check` before the command reports success.
//!
//! PostgreSQL has its own tools: the command says to use `pg_dump` and
//! exits with an error (1), so a backup script that was pointed at the
//! wrong database fails loudly rather than "succeeding" with no file.
//!
//! Restore: stop the servers, put the copy in place of the database file
//! (and delete any `-wal`/`-shm` files beside the old one), start again.
//! Keep the secret file (`MUSTER_SECRET_FILE`) with the backup: the API
//! keys in the database are sealed with it.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use backend::db::{Db, Engine};
use sqlx::Connection as _;

/// What the command tells a PostgreSQL operator.
pub const USE_PG_DUMP: &str = "this database is PostgreSQL: back it up with its own tools, e.g. \
     `pg_dump --format=custom --file=muster.dump \"$DATABASE_URL\"` (consistent while the \
     servers run), and restore with `pg_restore --clean --dbname=\"$DATABASE_URL\" muster.dump`";

/// Copies the database at `database_url` to `file`; returns the copy's size
/// in bytes.
///
/// # Errors
/// On PostgreSQL (see [`USE_PG_DUMP`]), when `file` exists or cannot be
/// written, or when the copy fails its check.
pub async fn backup(database_url: &str, file: &Path) -> anyhow::Result<u64> {
    if !database_url.starts_with("sqlite:") {
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            anyhow::bail!("{USE_PG_DUMP}");
        }
        anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://");
    }
    let source = sqlite_path(database_url);
    if !Path::new(&source).is_file() {
        anyhow::bail!("there is no database at {source} to back up");
    }
    create_empty_private(file)?;
    let copied = copy(database_url, file).await;
    if let Err(error) = copied {
        let _ = std::fs::remove_file(file);
        return Err(error);
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

/// The file path of a `sqlite://PATH?…` URL.
fn sqlite_path(url: &str) -> String {
    url.trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Creates `file` empty with mode 0600 (`VACUUM INTO` fills an empty file);
/// refuses one that exists.
fn create_empty_private(file: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "{} already exists: choose a new file name (a backup never overwrites)",
            file.display()
        ),
        Err(error) => Err(error).with_context(|| format!("creating {}", file.display())),
    }
}

/// The `backup` subcommand's arguments.
#[derive(Debug, clap::Args)]
pub struct Backup {
    /// The new file to write the copy to (must not exist).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Runs `backup` and reports the copy.
///
/// # Errors
/// As [`backup`].
pub async fn run(database_url: &str, args: Backup) -> anyhow::Result<()> {
    let size = backup(database_url, &args.file).await?;
    println!(
        "Backed up the database to {} ({size} bytes, checked). Keep the secret file \
         (MUSTER_SECRET_FILE) with it: the API keys in it are sealed with that secret.",
        args.file.display()
    );
    Ok(())
}
