//! `serve`: the simulator in the foreground, stopped by Ctrl-C or SIGTERM.

use std::io::Write;

use signalr_rest::{Error, Simulator, SimulatorOptions};

use crate::args::ServeArgs;
use crate::failure::Failure;

/// Access key `serve` uses unless `--access-key` is given. It is public and fixed so that local
/// setups can hard-code one connection string; it protects nothing, so never use it outside
/// local development.
pub const DEV_ACCESS_KEY: &str = "SignalRRestDevKey0000000000000000000000000000";

/// Starts the simulator, prints its connection string as the first stdout line, and serves
/// until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    // Listen for signals before announcing the endpoint: a supervisor may stop us the
    // moment it has read the connection string.
    let mut stop = StopSignal::install()?;
    let options = SimulatorOptions {
        host: args.host,
        port: args.port,
        access_key: Some(args.access_key),
        ping_interval: args
            .ping_interval
            .unwrap_or(signalr_rest::simulator::PING_INTERVAL),
        client_timeout: args
            .client_timeout
            .unwrap_or(signalr_rest::simulator::CLIENT_TIMEOUT),
        secondary_access_key: args.secondary_access_key,
        upstreams: args.upstream,
        upstream_timeout: args
            .upstream_timeout
            .unwrap_or(signalr_rest::simulator::UPSTREAM_TIMEOUT),
    };
    let simulator = Simulator::start(options).await.map_err(|e| match e {
        Error::Transport(message) => Failure::Service(format!(
            "{message}\nhint: check that port {} on {} is free and may be used, \
             or pass --port 0 to let the OS choose one",
            args.port, args.host
        )),
        other => Failure::from(other),
    })?;
    let line = simulator.connection_string();
    announce(&line)?;
    let signal = stop.wait().await?;
    tracing::info!(signal, "shutting down");
    simulator.shutdown().await;
    Ok(())
}

/// Writes the first stdout line and flushes it, so a parent reading a pipe sees it at once.
fn announce(line: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::Service(format!("cannot write the connection string: {e}")))?;
    eprintln!("simulator ready; press Ctrl-C to stop");
    Ok(())
}

/// The signals that end `serve`, registered up front.
struct StopSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignal {
    fn install() -> Result<Self, Failure> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let register = |kind: SignalKind, name: &str| {
                signal(kind).map_err(|e| Failure::Service(format!("cannot listen for {name}: {e}")))
            };
            Ok(StopSignal {
                interrupt: register(SignalKind::interrupt(), "SIGINT")?,
                terminate: register(SignalKind::terminate(), "SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignal {})
    }

    /// Waits for a signal and names it.
    async fn wait(&mut self) -> Result<&'static str, Failure> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Ok("SIGINT"),
                _ = self.terminate.recv() => Ok("SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c()
                .await
                .map_err(|e| Failure::Service(format!("cannot listen for Ctrl-C: {e}")))?;
            Ok("Ctrl-C")
        }
    }
}
