//! `listen`: a SignalR client of a hub that prints what it receives, one JSON line each.

use signalr_rest::{ClientTokenOptions, HubListener, ListenerEvent, ListenerTimeouts, ServiceClient};

use crate::args::ListenTimeouts;
use crate::failure::Failure;
use crate::verbs::print_line;

/// The `listen` timeouts given on the command line, the core's defaults for the rest.
fn listener_timeouts(given: ListenTimeouts) -> ListenerTimeouts {
    let defaults = ListenerTimeouts::default();
    ListenerTimeouts {
        negotiate: given.negotiate_timeout.unwrap_or(defaults.negotiate),
        connect: given.connect_timeout.unwrap_or(defaults.connect),
        handshake: given.handshake_timeout.unwrap_or(defaults.handshake),
        server_silence: given.server_timeout.unwrap_or(defaults.server_silence),
    }
}

/// Prints `{"target","arguments"}` for every invocation until Ctrl-C or a close.
pub async fn run(
    service: &ServiceClient,
    hub: &str,
    user_id: Option<String>,
    timeouts: ListenTimeouts,
) -> Result<(), Failure> {
    let timeouts = listener_timeouts(timeouts);
    let options = ClientTokenOptions {
        user_id,
        ..ClientTokenOptions::default()
    };
    let mut listener = HubListener::connect_with(service, hub, &options, &timeouts).await?;
    eprintln!(
        "listening on hub {hub} as connection {}; Ctrl-C stops",
        listener.connection_id()
    );
    loop {
        let event = tokio::select! {
            event = listener.next() => event?,
            _ = tokio::signal::ctrl_c() => {
                let _ = listener.close().await;
                return Ok(());
            }
        };
        match event {
            Some(ListenerEvent::Invocation(message)) => {
                let line = serde_json::to_string(&message)
                    .map_err(|e| Failure::Service(format!("cannot print a message: {e}")))?;
                print_line(&line)?;
            }
            Some(ListenerEvent::Closed { error }) => {
                eprintln!(
                    "the service closed the connection: {}",
                    error.as_deref().unwrap_or("no reason given")
                );
                return Ok(());
            }
            None => {
                eprintln!("the connection ended");
                return Ok(());
            }
        }
    }
}
