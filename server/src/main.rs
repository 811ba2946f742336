use server::cli::Cli;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::from_env_and_args();
    server::telemetry::init(&cli.options.log, cli.options.log_format);
    cli.run().await
}
