use server::cli::Cli;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::from_env_and_args();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(&cli.options.log))
        .init();
    cli.run().await
}
