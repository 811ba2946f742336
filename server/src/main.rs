use server::config::Config;
use server::startup::Application;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => {
            let app = Application::build(Config::from_env()?).await?;
            app.run_until(server::shutdown_signal()).await
        }
        Some("create-admin") => server::cli::create_admin(&args[1..]).await,
        Some("openapi") => {
            println!("{}", server::rest::routes().1.to_pretty_json()?);
            Ok(())
        }
        Some("-h" | "--help" | "help") => {
            println!("{}", server::cli::USAGE);
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown command {other:?}\n\n{}", server::cli::USAGE),
    }
}
