//! `serve`: the simulator in the foreground, stopped by Ctrl-C or SIGTERM.

use std::io::Write;

use signalr_rest::simulator::UpstreamTemplate;
use signalr_rest::{Error, Simulator, SimulatorOptions};

use crate::args::ServeArgs;
use crate::failure::Failure;

pub use signalr_rest::simulator::DEV_ACCESS_KEY;

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
        upstreams: upstreams(args.upstream, args.settings.as_deref())?,
        upstream_timeout: args
            .upstream_timeout
            .unwrap_or(signalr_rest::simulator::UPSTREAM_TIMEOUT),
        dashboard: args.dashboard,
        faults: args.fault,
        fault_seed: args.fault_seed,
    };
    let simulator = Simulator::start(options).await.map_err(|e| match e {
        Error::Transport(message) => Failure::Service(format!(
            "{message}\nhint: check that port {} on {} is free and may be used, \
             or pass --port 0 to let the OS choose one",
            args.port, args.host
        )),
        other => Failure::from(other),
    })?;
    let line = match &args.advertise_url {
        // The simulator answers on whatever address reached it (token audiences are checked
        // against the Host header), so only the printed endpoint changes.
        Some(url) => format!("Endpoint={url};AccessKey={};Version=1.0;", simulator.access_key()),
        None => simulator.connection_string(),
    };
    // Before "ready", so whoever waits for that line has seen this one.
    if simulator.dashboard_url().is_some() {
        let base = args.advertise_url.clone().unwrap_or_else(|| simulator.url());
        eprintln!("dashboard: {base}{}", signalr_rest::simulator::DASHBOARD_PATH);
    }
    announce(&line)?;
    let signal = stop.wait().await?;
    tracing::info!(signal, "shutting down");
    simulator.shutdown().await;
    Ok(())
}

/// The `--upstream` templates, then those of the settings file.
fn upstreams(
    mut templates: Vec<UpstreamTemplate>,
    settings: Option<&std::path::Path>,
) -> Result<Vec<UpstreamTemplate>, Failure> {
    let Some(path) = settings else {
        return Ok(templates);
    };
    let bad = |why: String| Failure::BadInput(format!("settings file {}: {why}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    // Keys in any case: the emulator writes PascalCase, ARM templates camelCase.
    let field = |v: &serde_json::Value, name: &str| -> Option<serde_json::Value> {
        v.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let listed = field(&value, "UpstreamSettings")
        .and_then(|u| field(&u, "Templates"))
        .ok_or_else(|| bad("no UpstreamSettings.Templates list".into()))?;
    for (index, item) in listed.as_array().into_iter().flatten().enumerate() {
        let text = |name: &str| field(item, name).and_then(|v| v.as_str().map(str::to_string));
        let url = text("UrlTemplate").ok_or_else(|| bad(format!("template {index} has no UrlTemplate")))?;
        let mut template = UpstreamTemplate::new(url);
        template
            .check_url()
            .map_err(|e| bad(format!("template {index}: {e}")))?;
        for (name, slot) in [
            ("HubPattern", &mut template.hub_pattern),
            ("CategoryPattern", &mut template.category_pattern),
            ("EventPattern", &mut template.event_pattern),
        ] {
            if let Some(pattern) = text(name) {
                *slot = pattern;
            }
        }
        templates.push(template);
    }
    Ok(templates)
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
