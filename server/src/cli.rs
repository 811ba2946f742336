//! The command line: `server [serve]` (the default), `server create-admin`
//! and `server create-account` for scripted installs, `server backup FILE`
//! (see [`crate::backup`]), `server migrate` and `server openapi`. Every
//! subcommand reads the same settings ([`Options`]), from flags or the
//! environment, and `--help` on each lists them with their variables and
//! defaults. A wrong flag or value is one line on stderr and exit code 2
//! ([`Cli::from_env_and_args`]); a command that fails is one line and 1.

use std::io::BufRead as _;

use anyhow::Context as _;
use backend::db::{Db, MIGRATOR};
use backend::services::accounts::{self, AccountError};
use backend::services::setup::{self, SetupError};
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use shared::domain::Registration;

use crate::config::Options;
use crate::startup::{Application, prepare_state};

/// Where `create-admin` takes the new admin's password from (else the first
/// line of stdin). Not a flag: a password on the command line would show in
/// the process list.
pub const ADMIN_PASSWORD_ENV: &str = "MUSTER_ADMIN_PASSWORD";

/// Muster: team administration. Configured by flags or, more usually, by the
/// environment (see .env.example); a variable set to an empty value counts as
/// unset.
#[derive(Debug, Parser)]
#[command(name = "server", version)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    /// What to do; without one, serve.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (the default).
    Serve,
    /// Create an admin of the Default account (verified, active), for
    /// scripted installs. The password comes from MUSTER_ADMIN_PASSWORD or,
    /// when that is unset, the first line of stdin.
    CreateAdmin(CreateAdmin),
    /// Create an account whose first Admin (Active, with an API key) is the
    /// existing, verified user with --admin-email, whatever ACCOUNT_CREATION
    /// says.
    CreateAccount(CreateAccount),
    /// Print the REST API's OpenAPI 3.1 document.
    Openapi,
    /// Apply the database migrations that are missing, then exit.
    ///
    /// Serving (and every command that opens the database) does this at
    /// start anyway, inside PostgreSQL's advisory lock, so this is only for
    /// a deploy step that migrates before the new version's processes roll.
    Migrate,
    /// Copy a live SQLite database to FILE, consistently, while the servers
    /// keep running and writing.
    ///
    /// The copy (SQLite's `VACUUM INTO`) holds every write committed before
    /// it began; FILE must not exist, is created readable by its owner only,
    /// synced to disk and checked (`PRAGMA quick_check`). To restore: stop
    /// the servers, put the copy in place of the database file (removing the
    /// old file's -wal and -shm files), start them. Keep the secret file
    /// (MUSTER_SECRET_FILE) with the copy: the API keys in the database are
    /// sealed with it.
    ///
    /// On PostgreSQL this prints how to use `pg_dump` / `pg_restore` instead
    /// and exits with status 1.
    Backup(crate::backup::Backup),
}

#[derive(Debug, clap::Args)]
pub struct CreateAdmin {
    /// The admin's first name.
    #[arg(long, value_name = "NAME")]
    pub first_name: String,
    /// The admin's last name.
    #[arg(long, value_name = "NAME")]
    pub last_name: String,
    /// The admin's email address (they sign in with it).
    #[arg(long)]
    pub email: String,
}

#[derive(Debug, clap::Args)]
pub struct CreateAccount {
    /// The account's name.
    #[arg(long)]
    pub name: String,
    /// The email address of the user who becomes its Admin (they must have
    /// registered and verified it).
    #[arg(long)]
    pub admin_email: String,
}

/// The command line's definition, with every environment variable that is
/// set to an empty (or blank) value treated as unset, so `SMTP_URL=` in an
/// env file means "no SMTP" rather than an empty URL.
pub fn command() -> clap::Command {
    Cli::command().mut_args(|arg| {
        let blank = arg
            .get_env()
            .and_then(std::env::var_os)
            .is_some_and(|value| value.to_str().is_some_and(|value| value.trim().is_empty()));
        if blank { arg.env(None) } else { arg }
    })
}

impl Cli {
    /// Parses the process's arguments and environment. `--help` and
    /// `--version` print and exit 0; a wrong flag or value prints one line
    /// (see [`one_line`]) and exits 2.
    pub fn from_env_and_args() -> Self {
        command()
            .try_get_matches()
            .and_then(|matches| Self::from_arg_matches(&matches))
            .unwrap_or_else(|error| {
                if !error.use_stderr() {
                    error.exit();
                }
                eprintln!("{}", one_line(&error));
                std::process::exit(2);
            })
    }

    /// Runs the chosen subcommand.
    ///
    /// # Errors
    /// Whatever the subcommand fails with.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let app = Application::build(self.options.to_config()?).await?;
                app.with_shutdown_drain(self.options.shutdown_drain)
                    .run_until(crate::shutdown_signal())
                    .await
            }
            Command::CreateAdmin(admin) => create_admin(&self.options, admin).await,
            Command::CreateAccount(account) => create_account(&self.options, account).await,
            Command::Backup(args) => crate::backup::run(&self.options.database_url, args).await,
            Command::Migrate => migrate(&self.options).await,
            Command::Openapi => {
                println!("{}", crate::rest::routes().1.to_pretty_json()?);
                Ok(())
            }
        }
    }
}

/// clap's error message on one line: its first paragraph (the error, and
/// what it lists, such as the missing flags), without the usage and tips,
/// then where to read more.
pub fn one_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let first_paragraph: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    format!("{} (see --help)", first_paragraph.join(" "))
}

/// `migrate`: applies what is missing and names the database's version.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn migrate(options: &Options) -> anyhow::Result<()> {
    let db = Db::connect(&options.database_url).await?;
    let migrated = db.migrate().await;
    db.pool.close().await;
    migrated?;
    match MIGRATOR.iter().last() {
        Some(last) => println!(
            "The database is migrated: its latest migration is {} ({}).",
            last.version, last.description
        ),
        None => println!("There are no migrations."),
    }
    Ok(())
}

fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(ADMIN_PASSWORD_ENV) {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `create-admin`: validates the admin, then creates it in the Default
/// account of the configured database (migrating it first).
///
/// # Errors
/// On invalid input, a taken email, or a database failure.
pub async fn create_admin(options: &Options, args: CreateAdmin) -> anyhow::Result<()> {
    let password = admin_password()?;
    let admin = Registration::parse(&args.first_name, &args.last_name, &args.email, &password)
        .map_err(|fields| {
            anyhow::anyhow!(
                "{}",
                fields
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })?;
    let email = admin.email.clone();
    let config = options.to_config()?;
    let public_url = config.settings.public_url.clone();
    let state = prepare_state(&config, public_url).await?;
    let result = setup::create_admin(&state, admin, setup::Via::CommandLine).await;
    state.db.pool.close().await;
    match result {
        Ok(_) => {
            println!("Created admin {email} in the Default account.");
            Ok(())
        }
        Err(SetupError::EmailTaken) => {
            anyhow::bail!("a user with the email {email} already exists")
        }
        Err(error) => Err(error.into()),
    }
}

/// `create-account`: creates the account in the configured database
/// (migrating it first), with the user of `--admin-email` as its Admin.
///
/// # Errors
/// On an invalid name or email, no such (verified) user, or a database
/// failure.
pub async fn create_account(options: &Options, args: CreateAccount) -> anyhow::Result<()> {
    let config = options.to_config()?;
    let public_url = config.settings.public_url.clone();
    let state = prepare_state(&config, public_url).await?;
    let result = accounts::create_by_operator(&state, &args.name, &args.admin_email).await;
    state.db.pool.close().await;
    match result {
        Ok(account) => {
            println!(
                "Created the account {:?} ({}) with {} as its admin.",
                account.name,
                account.id,
                args.admin_email.trim()
            );
            Ok(())
        }
        Err(AccountError::Invalid(fields)) => anyhow::bail!(
            "{}",
            fields
                .iter()
                .map(|field| field.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Err(error) => Err(anyhow::Error::new(error)),
    }
}
