//! `serve`: the simulator in the foreground, stopped by Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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
    };
    let simulator = Simulator::start(options).await.map_err(|e| match e {
        Error::Transport(message) => Failure::Service(format!(
            "{message}\nhint: check that port {} on {} is free and may be used, \
             or pass --port 0 to let the OS choose one",
            args.port, args.host
        )),
        other => Failure::from(other),
    })?;
    let line = connection_string(simulator.local_addr(), simulator.access_key());
    announce(&line)?;
    let signal = stop.wait().await?;
    tracing::info!(signal, "shutting down");
    simulator.shutdown().await;
    Ok(())
}

/// The connection string clients should use; a wildcard listen address is replaced by
/// loopback, since `0.0.0.0` is not an address every client can connect to.
fn connection_string(mut address: SocketAddr, access_key: &str) -> String {
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    format!("Endpoint=http://{address};AccessKey={access_key};Version=1.0;")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_become_loopback() {
        let any: SocketAddr = "0.0.0.0:8888".parse().unwrap();
        assert_eq!(
            connection_string(any, "k"),
            "Endpoint=http://127.0.0.1:8888;AccessKey=k;Version=1.0;"
        );
        let any6: SocketAddr = "[::]:1".parse().unwrap();
        assert_eq!(
            connection_string(any6, "k"),
            "Endpoint=http://[::1]:1;AccessKey=k;Version=1.0;"
        );
    }
}
