//! `server create-admin`: creates an admin of the Default account from the
//! command line, for scripted installs. The password comes from
//! `MUSTER_ADMIN_PASSWORD` or, when that is unset, the first line of stdin.

use std::io::BufRead as _;

use anyhow::Context as _;
use backend::services::setup::{self, SetupError};
use shared::domain::Registration;

use crate::config::Config;
use crate::startup::prepare_state;

pub const USAGE: &str = "usage:
  server                      serve the app (configured by environment, see .env.example)
  server create-admin --first-name NAME --last-name NAME --email EMAIL
                              create an admin; password from MUSTER_ADMIN_PASSWORD or stdin
  server openapi              print the REST API's OpenAPI 3.1 document";

fn flag(args: &[String], name: &str) -> anyhow::Result<String> {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .with_context(|| format!("missing {name}\n\n{USAGE}"))
}

/// Runs `create-admin` with the arguments after the subcommand.
///
/// # Errors
/// On invalid input, a taken email, or a database failure.
pub async fn create_admin(args: &[String]) -> anyhow::Result<()> {
    let password = match std::env::var("MUSTER_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let admin = Registration::parse(
        &flag(args, "--first-name")?,
        &flag(args, "--last-name")?,
        &flag(args, "--email")?,
        &password,
    )
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
    let config = Config::from_env()?;
    let public_url = config.public_url.clone().unwrap_or_default();
    let state = prepare_state(&config, public_url).await?;
    let result = setup::create_admin(&state, admin, false).await;
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
