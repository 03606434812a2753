//! The local simulator: start and shut it down, connect virtual clients, inspect its state.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use serde_json::Map;
use signalr_rest::auth::AccessKey;
use signalr_rest::simulator::UpstreamTemplate;
use signalr_rest::{Error, PayloadMessage};

use crate::cancel::{cancellable, Cancellation};
use crate::error::SignalRError;
use crate::seconds;

/// Where and with which key a simulator serves, and where it calls a serverless app; absent
/// fields: 127.0.0.1, a free port, a random key, no upstream, a 30 s upstream timeout.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct SimulatorOptions {
    /// IP address to listen on.
    #[uniffi(default)]
    pub host: Option<String>,
    /// Port to listen on; 0 or absent lets the OS choose.
    #[uniffi(default)]
    pub port: Option<i64>,
    /// Access key tokens must be signed with.
    #[uniffi(default)]
    pub access_key: Option<String>,
    /// Serverless upstream templates in the CLI's form
    /// (`URL[;hub=PATTERN][;category=PATTERN][;event=PATTERN]`), first match wins.
    #[uniffi(default)]
    pub upstreams: Vec<String>,
    /// Time one upstream call may take, in seconds (default 30).
    #[uniffi(default)]
    pub upstream_timeout_seconds: Option<f64>,
    /// A second key tokens may be signed with; upstream requests carry a signature for each.
    #[uniffi(default)]
    pub secondary_access_key: Option<String>,
}

/// One upstream call the simulator made.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UpstreamCall {
    /// The client connection it was about.
    pub connection_id: String,
    /// The hub.
    pub hub: String,
    /// `connections` or `messages`.
    pub category: String,
    /// `connected`, `disconnected` or the invoked hub method.
    pub event: String,
    /// The URL called.
    pub url: String,
    /// The app's HTTP status, absent when no answer came.
    pub status: Option<u16>,
    /// Why no answer came (connection refused, timeout).
    pub error: Option<String>,
}

impl From<signalr_rest::simulator::UpstreamCall> for UpstreamCall {
    fn from(call: signalr_rest::simulator::UpstreamCall) -> Self {
        UpstreamCall {
            connection_id: call.connection_id,
            hub: call.hub,
            category: call.category,
            event: call.event,
            url: call.url,
            status: call.status,
            error: call.error,
        }
    }
}

/// A live connection of a hub.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConnectionInfo {
    /// The id REST calls address it by.
    pub connection_id: String,
    /// The user it connected as.
    pub user_id: Option<String>,
}

/// A group with at least one connection, and its members' connection ids.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GroupInfo {
    /// The group name.
    pub name: String,
    /// Its members.
    pub connection_ids: Vec<String>,
}

/// A user mapped to a group until `expires_at` (simulator time).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserGroupMapping {
    /// The mapped user.
    pub user_id: String,
    /// The group it is mapped to.
    pub group: String,
    /// When the mapping ends, in simulator time.
    pub expires_at: SystemTime,
}

/// An invocation a virtual client received; `arguments_json` is a JSON array text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceivedMessage {
    /// The client method invoked.
    pub target: String,
    /// Its arguments as a JSON array text.
    pub arguments_json: String,
}

impl From<PayloadMessage> for ReceivedMessage {
    fn from(message: PayloadMessage) -> Self {
        ReceivedMessage {
            target: message.target,
            arguments_json: message.arguments.as_json().to_string(),
        }
    }
}

/// A running simulator; `shutdown` stops it, dropping the last reference stops it too.
#[derive(Debug, uniffi::Object)]
pub struct Simulator {
    running: Mutex<Option<signalr_rest::Simulator>>,
    url: String,
    connection_string: String,
    access_key: String,
}

#[uniffi::export(async_runtime = "tokio")]
impl Simulator {
    /// Binds the listener and starts serving in the background.
    #[uniffi::constructor]
    pub async fn start(options: SimulatorOptions) -> Result<Arc<Self>, SignalRError> {
        let running = signalr_rest::Simulator::start(core_options(options)?).await?;
        Ok(Arc::new(Simulator {
            url: running.url(),
            connection_string: running.connection_string(),
            access_key: running.access_key().to_string(),
            running: Mutex::new(Some(running)),
        }))
    }

    /// `http://{address}:{port}`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `Endpoint=...;AccessKey=...;Version=1.0;` for clients of this simulator.
    pub fn connection_string(&self) -> String {
        self.connection_string.clone()
    }

    /// The access key tokens must be signed with.
    pub fn access_key(&self) -> String {
        self.access_key.clone()
    }

    /// A REST token for `audience` signed with the simulator's key, valid for `lifetime_seconds`:
    /// what an app's backend hands to a token provider.
    pub fn access_token(&self, audience: String, lifetime_seconds: f64) -> Result<String, SignalRError> {
        let lifetime = seconds("lifetime", lifetime_seconds)?;
        let key = AccessKey::new(self.access_key.clone())?;
        Ok(key.sign(&audience, lifetime, &Map::new())?)
    }

    /// Connects an in-process client to `hub`, as `user_id` if given.
    pub fn connect(&self, hub: String, user_id: Option<String>) -> Result<Arc<VirtualClient>, SignalRError> {
        let client = self.with_running(|sim| sim.connect(&hub, user_id.as_deref()))?;
        Ok(Arc::new(VirtualClient { inner: client }))
    }

    /// Names of all hubs any call has used, lower case, sorted.
    pub fn hubs(&self) -> Result<Vec<String>, SignalRError> {
        self.with_running(|sim| Ok(sim.hubs()))
    }

    /// The hub's live connections.
    pub fn connections(&self, hub: String) -> Result<Vec<ConnectionInfo>, SignalRError> {
        self.with_running(|sim| {
            Ok(sim
                .connections(&hub)
                .into_iter()
                .map(|c| ConnectionInfo {
                    connection_id: c.connection_id,
                    user_id: c.user_id,
                })
                .collect())
        })
    }

    /// The hub's groups that have connections, with their members.
    pub fn groups(&self, hub: String) -> Result<Vec<GroupInfo>, SignalRError> {
        self.with_running(|sim| {
            Ok(sim
                .groups(&hub)
                .into_iter()
                .map(|g| GroupInfo {
                    name: g.name,
                    connection_ids: g.connection_ids,
                })
                .collect())
        })
    }

    /// The hub's unexpired user-group mappings.
    pub fn user_groups(&self, hub: String) -> Result<Vec<UserGroupMapping>, SignalRError> {
        self.with_running(|sim| {
            Ok(sim
                .user_groups(&hub)
                .into_iter()
                .map(|m| UserGroupMapping {
                    user_id: m.user_id,
                    group: m.group,
                    expires_at: m.expires_at,
                })
                .collect())
        })
    }

    /// The serverless upstream calls made so far (the last 1000), oldest first.
    pub fn upstream_calls(&self) -> Result<Vec<UpstreamCall>, SignalRError> {
        self.with_running(|sim| Ok(sim.upstream_calls().into_iter().map(Into::into).collect()))
    }

    /// Moves the simulator's clock forward by `seconds` (TTLs expire; tokens keep wall time).
    pub fn advance_clock(&self, seconds: f64) -> Result<(), SignalRError> {
        self.with_running(|sim| {
            sim.advance_clock(crate::seconds("seconds", seconds)?);
            Ok(())
        })
    }

    /// Stops serving and waits for the server to end; later calls fail, a second shutdown is
    /// harmless.
    pub async fn shutdown(&self) {
        let running = self.lock().take();
        if let Some(sim) = running {
            sim.shutdown().await;
        }
    }
}

impl Simulator {
    fn with_running<T>(
        &self,
        use_it: impl FnOnce(&signalr_rest::Simulator) -> signalr_rest::Result<T>,
    ) -> Result<T, SignalRError> {
        match self.lock().as_ref() {
            Some(sim) => Ok(use_it(sim)?),
            None => Err(Error::invalid("simulator", "the simulator is shut down").into()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<signalr_rest::Simulator>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn core_options(options: SimulatorOptions) -> Result<signalr_rest::SimulatorOptions, Error> {
    let mut converted = signalr_rest::SimulatorOptions {
        access_key: options.access_key,
        secondary_access_key: options.secondary_access_key,
        upstreams: options
            .upstreams
            .iter()
            .map(|spec| UpstreamTemplate::parse(spec))
            .collect::<signalr_rest::Result<Vec<_>>>()?,
        ..Default::default()
    };
    if let Some(timeout) = options.upstream_timeout_seconds {
        converted.upstream_timeout = seconds("upstream_timeout", timeout)?;
    }
    if let Some(port) = options.port {
        converted.port = u16::try_from(port)
            .map_err(|_| Error::invalid("port", format!("port must be 0 to 65535, got {port}")))?;
    }
    if let Some(text) = options.host {
        converted.host = text
            .parse::<IpAddr>()
            .map_err(|_| Error::invalid("host", format!("host {text:?} is not an IP address")))?;
    }
    Ok(converted)
}

/// An in-process client connected to a hub of the simulator; dropping it disconnects.
#[derive(Debug, uniffi::Object)]
pub struct VirtualClient {
    inner: signalr_rest::VirtualClient,
}

#[uniffi::export(async_runtime = "tokio")]
impl VirtualClient {
    /// The connection id REST calls address it by.
    pub fn connection_id(&self) -> String {
        self.inner.connection_id().to_string()
    }

    /// The user id it connected as.
    pub fn user_id(&self) -> Option<String> {
        self.inner.user_id().map(str::to_string)
    }

    /// Every invocation received so far, in order.
    pub fn received(&self) -> Vec<ReceivedMessage> {
        self.inner.received().into_iter().map(Into::into).collect()
    }

    /// The first invocation of `target`, waiting up to `timeout_seconds` for it.
    pub async fn wait_for(
        &self,
        target: String,
        timeout_seconds: f64,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<ReceivedMessage, SignalRError> {
        cancellable(cancel, async {
            let timeout = seconds("timeout", timeout_seconds)?;
            self.inner.wait_for(&target, timeout).await
        })
        .await
        .map(Into::into)
    }

    /// Whether the service closed this connection.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The reason the service gave when it closed the connection, if any.
    pub fn close_reason(&self) -> Option<String> {
        self.inner.close_reason()
    }

    /// Disconnects from the hub, leaving every group.
    pub fn disconnect(&self) {
        self.inner.disconnect();
    }
}
