use server::cli::Cli;

/// mimalloc instead of the system allocator: rendering a page allocates and
/// frees many small strings from several threads, and glibc's malloc spent
/// about 29 % of `/team`'s CPU on it (bench/RESULTS.md, "Profiles").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
