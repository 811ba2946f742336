use server::cli::Cli;

/// Runs the command; a failure is one line on stderr (the error and its
/// causes) and exit code 1. A wrong flag or value exits 2 before this
/// (`Cli::from_env_and_args`).
#[tokio::main]
async fn main() {
    let cli = Cli::from_env_and_args();
    server::telemetry::init(&cli.options.log, cli.options.log_format);
    if let Err(error) = cli.run().await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
