//! The `causeway` command: serve (the default), migrate, or print the OpenAPI document.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use causeway::app::Backends;
use causeway::auth::Address;
use causeway::config::Config;
use causeway::connect::{migrate, postgres};
use causeway::jobs::{self, Job};
use causeway::service::SystemClock;
use causeway::{app, telemetry};

#[derive(Parser)]
#[command(
    name = "causeway",
    version,
    about = "Storage server of the Rein freelance market"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the generated OpenAPI document.
    Openapi,
    /// Run one pass of a background job now (operators; tests from outside).
    RunJob {
        #[arg(value_enum)]
        job: Job,
    },
    /// Credit an account (a negative amount debits it): off-chain payments and refunds.
    Credit {
        /// The account's address.
        address: String,
        /// Satoshis; negative to debit.
        #[arg(allow_negative_numbers = true)]
        sats: i64,
        /// Why, kept on the ledger row.
        #[arg(long, default_value = "")]
        memo: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        println!("{}", app::spec_json());
        return ExitCode::SUCCESS;
    }
    // Telemetry first, outside the runtime: the OTLP exporter's blocking client runs its own.
    let provider = match telemetry::traces::otlp_provider(&cli.config) {
        Ok(provider) => provider,
        Err(err) => {
            eprintln!("causeway: {err}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&cli.config.log_format, provider.as_ref());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("causeway: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let config = cli.config;
    let result = runtime.block_on(async move {
        match command {
            Command::Openapi => Ok(()),
            Command::Migrate => migrate_only(&config).await,
            Command::RunJob { job } => run_job(config, job).await,
            Command::Credit {
                address,
                sats,
                memo,
            } => credit(config, &address, sats, &memo).await,
            Command::Serve => serve(config).await,
        }
    });
    drop(runtime);
    if let Some(provider) = provider {
        // Sends the spans still batched before the process ends.
        if let Err(err) = provider.shutdown() {
            eprintln!("causeway: flushing traces failed: {err}");
        }
    }
    exit_on_error(result)
}

fn exit_on_error(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "causeway stopped");
            eprintln!("causeway: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate_only(config: &Config) -> anyhow::Result<()> {
    let url = config
        .database_url
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("DATABASE_URL is not set"))?;
    let pool = postgres::pool(url, config)?;
    let applied = migrate::run(&pool).await?;
    tracing::info!(?applied, "migrations applied");
    Ok(())
}

async fn run_job(config: Config, job: Job) -> anyhow::Result<()> {
    if config.database_url.is_none() {
        anyhow::bail!("run-job needs DATABASE_URL and REDIS_URL: the memory backend lives in the server process");
    }
    let backends = Backends::connect(&config).await?;
    let app = app::build(config, &backends, Arc::new(SystemClock))?;
    let report = jobs::run_once(&app.service, job).await?;
    println!("{report}");
    Ok(())
}

async fn credit(config: Config, address: &str, sats: i64, memo: &str) -> anyhow::Result<()> {
    if config.database_url.is_none() {
        anyhow::bail!(
            "credit needs DATABASE_URL and REDIS_URL: the memory backend keeps no accounts"
        );
    }
    let backends = Backends::connect(&config).await?;
    let accepted = config.accepted_networks.0.clone();
    let account = Address::parse(address, &accepted)
        .map_err(|err| anyhow::anyhow!("bad address {address:?}: {err}"))?;
    let app = app::build(config, &backends, Arc::new(SystemClock))?;
    let balance = app.service.credit(&account, sats, memo).await?;
    println!(
        "{}",
        serde_json::json!({"address": account.as_str(), "balance": balance})
    );
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let backends = Backends::connect(&config).await?;
    if backends.embedded {
        tracing::warn!(
            "EMBEDDED MEMORY BACKEND: no DATABASE_URL or REDIS_URL set; nothing persists \
             and all data is lost when this process exits"
        );
    }
    let app = app::build(config, &backends, Arc::new(SystemClock))?;
    let running = app.start(shutdown_signal()).await?;
    tracing::info!(
        public = %running.public_addr,
        admin = %running.admin_addr,
        "causeway serving"
    );
    running.handle.await??;
    tracing::info!("causeway stopped cleanly");
    Ok(())
}

/// Resolves on SIGTERM (Kubernetes) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
