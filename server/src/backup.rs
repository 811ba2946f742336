//! `server backup FILE`: the command around `backend::db::backup` (a
//! consistent online copy of a live SQLite database; see there).
//!
//! PostgreSQL has its own tools: the command says to use `pg_dump` and
//! exits with an error (1), so a backup script that was pointed at the
//! wrong database fails loudly rather than "succeeding" with no file.
//!
//! Restore: stop the servers, put the copy in place of the database file
//! (and delete any `-wal`/`-shm` files beside the old one), start again.
//! Keep the secret file (`MUSTER_SECRET_FILE`) with the backup: the API
//! keys in the database are sealed with it.

use std::path::PathBuf;

use backend::db::backup::{BackupError, backup};

/// What the command tells a PostgreSQL operator.
pub const USE_PG_DUMP: &str = "this database is PostgreSQL: back it up with its own tools, e.g. \
     `pg_dump --format=custom --file=muster.dump \"$DATABASE_URL\"` (consistent while the \
     servers run), and restore with `pg_restore --clean --dbname=\"$DATABASE_URL\" muster.dump`";

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
/// On PostgreSQL (see [`USE_PG_DUMP`]) and as [`backup`].
pub async fn run(database_url: &str, args: Backup) -> anyhow::Result<()> {
    let size = match backup(database_url, &args.file).await {
        Ok(size) => size,
        Err(BackupError::Postgres) => anyhow::bail!("{USE_PG_DUMP}"),
        Err(error) => return Err(error.into()),
    };
    println!(
        "Backed up the database to {} ({size} bytes, checked). Keep the secret file \
         (MUSTER_SECRET_FILE) with it: the API keys in it are sealed with that secret.",
        args.file.display()
    );
    Ok(())
}
