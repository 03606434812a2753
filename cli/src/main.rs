//! `signalr-rest`: a local simulator of the Azure SignalR Service REST API (v1 and 2022-06-01),
//! and one verb per REST operation to call it or the real service from the shell.
//!
//! Exit codes: 0 success, 1 the service or network failed, 2 the command line was wrong.

mod args;
mod failure;
mod faults;
mod listen;
mod serve;
mod verbs;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use args::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    // clap prints usage errors itself and exits with 2, the bad-input code.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(options) => {
            let _flush_on_exit = init_logging("info");
            serve::run(options).await
        }
        Command::Faults(command) => {
            let _flush_on_exit = init_logging("warn");
            match verbs::connection_string(cli.connection_string.as_deref()) {
                Ok(text) => faults::run(&text, command).await,
                Err(failure) => Err(failure),
            }
        }
        Command::Client(command) => {
            // Client verbs stay quiet unless asked: their stderr is for errors and notes.
            let _flush_on_exit = init_logging("warn");
            let target = verbs::Target {
                connection_string: cli.connection_string.as_deref(),
                api_version: cli.api_version,
                application_name: cli.application_name.as_deref(),
                access_token: cli.access_token.as_deref(),
            };
            verbs::run(target, command).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` when set, else at `default` level, through a
/// writer thread; the returned guard flushes it when dropped.
fn init_logging(default: &str) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(e) => {
            if std::env::var_os(EnvFilter::DEFAULT_ENV).is_some() {
                eprintln!("warning: ignoring RUST_LOG ({e}); logging at {default}");
            }
            EnvFilter::new(default)
        }
    };
    // 4,096 lines queued at most (the default's 128,000 slots are allocated up front, 4 MiB of
    // resident memory); a full queue makes the logging thread wait, it never drops a line.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(false)
        .finish(std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    guard
}
