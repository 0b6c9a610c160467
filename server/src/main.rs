//! `autobank`: the portal's server and its operator commands.

use clap::Parser;
use server::cli::{self, Cli, UserError};
use server::config::{LogFormat, Settings};
use std::process::ExitCode;

fn main() -> ExitCode {
    return_large_allocations();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(settings.log_format);
    match cli::run(cli, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            match err.downcast_ref::<UserError>() {
                Some(user_error) => eprintln!("{user_error}"),
                None => eprintln!("error: {err:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// Every allocation of 128 KiB or more is its own mapping, given back to
/// the system when freed. Without this, glibc raises that threshold to the
/// largest block freed so far: after the first argon2 hash (19 MiB), each
/// hashing thread's arena keeps its 19 MiB for good, and a flood of
/// sign-ins leaves the server hundreds of MB larger.
fn return_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; it runs
    // before any other thread of this process exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Logs to standard error, filtered by `RUST_LOG`; one JSON object per line
/// with `AUTOBANK_LOG_FORMAT=json`.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs.json().with_current_span(true).init(),
        LogFormat::Text => logs.init(),
    }
}
