//! The `samenspel` command: run the server, and the administrative tasks a region scripts.

mod cli;
mod governance;
mod health;
mod production;
mod risk_sharing;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SAMENSPEL_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("samenspel: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
