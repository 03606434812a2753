//! The local simulator: start and shut it down, connect virtual clients, inspect its state.

use std::sync::Arc;
use std::time::SystemTime;

use signalr_rest::settings::SimulatorSettings;
use signalr_rest::PayloadMessage;

use crate::cancel::{cancellable, spawned_serving, Cancellation};
use crate::error::SignalRError;
use crate::{seconds, CONVENTION};

/// Where and with which key a simulator serves, and where it calls a serverless app; absent
/// fields: 127.0.0.1, a free port, a random key, no upstream, a 30 s upstream timeout, the
/// core's ping interval, no fault rules, a random fault seed.
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
    /// Seconds of silence after which a WebSocket client gets a ping.
    #[uniffi(default)]
    pub ping_interval_seconds: Option<f64>,
    /// Serve the live dashboard; absent means only on a loopback host (it has no login).
    #[uniffi(default)]
    pub dashboard: Option<bool>,
    /// Fault rules in force from the start, in the rule text form
    /// (`ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]`).
    #[uniffi(default)]
    pub faults: Vec<String>,
    /// Seed for the draws of rules with a `fraction`, for a repeatable pattern; random when absent.
    #[uniffi(default)]
    pub fault_seed: Option<u64>,
}

impl SimulatorOptions {
    /// The options as the core's settings read them.
    fn settings(self) -> SimulatorSettings {
        SimulatorSettings {
            host: self.host,
            port: self.port,
            access_key: self.access_key,
            ping_interval: self.ping_interval_seconds,
            secondary_access_key: self.secondary_access_key,
            upstreams: self.upstreams,
            upstream_timeout: self.upstream_timeout_seconds,
            dashboard: self.dashboard,
            faults: self.faults,
            fault_seed: self.fault_seed,
        }
    }
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

/// A fault rule in force: its id (for `remove_fault`), its rule text and how many times it
/// has been injected.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FaultRule {
    /// The id `remove_fault` takes.
    pub id: String,
    /// The rule text, which `add_fault` reads back to the same rule.
    pub fault: String,
    /// How many times it has been injected.
    pub injected: u32,
}

impl From<signalr_rest::simulator::FaultInfo> for FaultRule {
    fn from(info: signalr_rest::simulator::FaultInfo) -> Self {
        FaultRule {
            id: info.id,
            fault: info.fault.to_string(),
            injected: info.injected,
        }
    }
}

/// One fault the simulator injected.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InjectedFault {
    /// The id of the rule that injected it; empty for a drop or pause asked for directly.
    pub fault_id: String,
    /// The rule text, or `drop`, `drop;close` or `pause=...ms` for a socket fault.
    pub fault: String,
    /// What it hit: `METHOD /path` of a request, or `connection ID`.
    pub target: String,
    /// The hub of the request or connection, lower case, if known.
    pub hub: Option<String>,
}

impl From<signalr_rest::simulator::InjectedFault> for InjectedFault {
    fn from(injected: signalr_rest::simulator::InjectedFault) -> Self {
        let signalr_rest::simulator::InjectedFault {
            fault_id,
            fault,
            target,
            hub,
        } = injected;
        InjectedFault {
            fault_id,
            fault,
            target,
            hub,
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

impl From<signalr_rest::simulator::ConnectionInfo> for ConnectionInfo {
    fn from(info: signalr_rest::simulator::ConnectionInfo) -> Self {
        let signalr_rest::simulator::ConnectionInfo {
            connection_id,
            user_id,
            ..
        } = info;
        ConnectionInfo {
            connection_id,
            user_id,
        }
    }
}

impl From<signalr_rest::simulator::GroupInfo> for GroupInfo {
    fn from(group: signalr_rest::simulator::GroupInfo) -> Self {
        let signalr_rest::simulator::GroupInfo {
            name, connection_ids, ..
        } = group;
        GroupInfo { name, connection_ids }
    }
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

impl From<signalr_rest::simulator::UserGroupMapping> for UserGroupMapping {
    fn from(mapping: signalr_rest::simulator::UserGroupMapping) -> Self {
        let signalr_rest::simulator::UserGroupMapping {
            user_id,
            group,
            expires_at,
            ..
        } = mapping;
        UserGroupMapping {
            user_id,
            group,
            expires_at,
        }
    }
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

/// A running simulator: it serves until `shutdown` or the process ends (releasing the last
/// reference does not stop it). What a shut-down simulator answers is the core's rule.
#[derive(Debug, uniffi::Object)]
pub struct Simulator {
    inner: signalr_rest::Simulator,
}

#[uniffi::export(async_runtime = "tokio")]
impl Simulator {
    /// Binds the listener and starts serving in the background.
    #[uniffi::constructor]
    pub async fn start(options: SimulatorOptions) -> Result<Arc<Self>, SignalRError> {
        let options = options.settings().options(CONVENTION)?;
        // Its server runs on the multi-threaded runtime, not on uniffi's single thread.
        let inner = spawned_serving(signalr_rest::Simulator::start(options)).await?;
        Ok(Arc::new(Simulator { inner }))
    }

    /// `http://{address}:{port}` (a wildcard listen address is given as loopback).
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// `Endpoint=...;AccessKey=...;Version=1.0;` for clients of this simulator.
    pub fn connection_string(&self) -> String {
        self.inner.connection_string()
    }

    /// The live dashboard's URL, or nil/null when it is not served.
    pub fn dashboard_url(&self) -> Option<String> {
        self.inner.dashboard_url()
    }

    /// The access key tokens must be signed with.
    pub fn access_key(&self) -> String {
        self.inner.access_key().to_string()
    }

    /// A REST token for `audience` signed with the simulator's key, valid for `lifetime_seconds`:
    /// what an app's backend hands to a token provider.
    pub fn access_token(&self, audience: String, lifetime_seconds: f64) -> Result<String, SignalRError> {
        let lifetime = seconds("lifetime", lifetime_seconds)?;
        Ok(self.inner.access_token(&audience, lifetime)?)
    }

    /// Connects an in-process client to `hub`, as `user_id` if given.
    pub fn connect(&self, hub: String, user_id: Option<String>) -> Result<Arc<VirtualClient>, SignalRError> {
        let client = self.inner.connect(&hub, user_id.as_deref())?;
        Ok(Arc::new(VirtualClient { inner: client }))
    }

    /// Names of all hubs any call has used, lower case, sorted.
    pub fn hubs(&self) -> Vec<String> {
        self.inner.hubs()
    }

    /// The hub's live connections.
    pub fn connections(&self, hub: String) -> Vec<ConnectionInfo> {
        self.inner.connections(&hub).into_iter().map(Into::into).collect()
    }

    /// The hub's groups that have connections, with their members.
    pub fn groups(&self, hub: String) -> Vec<GroupInfo> {
        self.inner.groups(&hub).into_iter().map(Into::into).collect()
    }

    /// The hub's unexpired user-group mappings.
    pub fn user_groups(&self, hub: String) -> Vec<UserGroupMapping> {
        self.inner.user_groups(&hub).into_iter().map(Into::into).collect()
    }

    /// The serverless upstream calls made so far (the last 1000), oldest first.
    pub fn upstream_calls(&self) -> Vec<UpstreamCall> {
        self.inner.upstream_calls().into_iter().map(Into::into).collect()
    }

    /// Moves the simulator's clock forward by `seconds` (TTLs expire; tokens keep wall time).
    pub fn advance_clock(&self, seconds: f64) -> Result<(), SignalRError> {
        self.inner.advance_clock(crate::seconds("seconds", seconds)?);
        Ok(())
    }

    /// Adds a fault rule given in its text form (`503;route=send;times=2`); returns its id.
    /// A bad rule is refused naming the bad part.
    pub fn add_fault(&self, rule: String) -> Result<String, SignalRError> {
        let fault = rule.parse::<signalr_rest::simulator::Fault>()?;
        Ok(self.inner.add_fault(fault))
    }

    /// Removes the rule with this id; false if there is none (it may have run out).
    pub fn remove_fault(&self, id: String) -> bool {
        self.inner.remove_fault(&id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    /// The rules in force, in order.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.inner.faults().into_iter().map(Into::into).collect()
    }

    /// The faults injected so far (the last 1000), oldest first.
    pub fn injected_faults(&self) -> Vec<InjectedFault> {
        self.inner.injected_faults().into_iter().map(Into::into).collect()
    }

    /// Drops the hub's client connections (or the one named), with a Close that allows
    /// reconnecting when `close`, else without any; returns the ids dropped.
    pub fn drop_clients(
        &self,
        hub: String,
        connection_id: Option<String>,
        close: bool,
    ) -> Result<Vec<String>, SignalRError> {
        Ok(self.inner.drop_clients(&hub, connection_id.as_deref(), close)?)
    }

    /// Stalls the hub's WebSocket clients (or the one named) for `duration_seconds`; returns the
    /// ids paused (virtual clients are not paused).
    pub fn pause_clients(
        &self,
        hub: String,
        connection_id: Option<String>,
        duration_seconds: f64,
    ) -> Result<Vec<String>, SignalRError> {
        let duration = seconds("duration", duration_seconds)?;
        Ok(self
            .inner
            .pause_clients(&hub, connection_id.as_deref(), duration)?)
    }

    /// Stops serving, closes every client and waits for the server to end; a second shutdown
    /// does nothing.
    pub async fn shutdown(&self) {
        self.inner.shutdown().await;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_options_reach_the_core_settings_and_a_bad_rule_is_refused() {
        let options = SimulatorOptions {
            faults: vec!["503;route=send;times=2".into()],
            fault_seed: Some(7),
            ..SimulatorOptions::default()
        };
        let settings = options.settings().options(CONVENTION).unwrap();
        assert_eq!(settings.faults.len(), 1);
        assert_eq!(settings.faults[0].to_string(), "503;route=send;times=2");
        assert_eq!(settings.fault_seed, Some(7));
        let bad = SimulatorOptions {
            faults: vec!["600".into()],
            ..SimulatorOptions::default()
        };
        let err = SignalRError::from(bad.settings().options(CONVENTION).unwrap_err());
        assert!(
            matches!(err, SignalRError::InvalidArgument { ref field, ref detail } if field == "fault" && detail.contains("600")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn fault_calls_convert_and_refuse_bad_values_naming_them() {
        let simulator = Simulator::start(SimulatorOptions::default()).await.unwrap();
        let id = simulator.add_fault("429;retry-after=1;hub=Chat".into()).unwrap();
        let rules = simulator.faults();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, id);
        assert_eq!(rules[0].fault, "429;hub=chat;retry-after=1");
        assert_eq!(rules[0].injected, 0);
        let err = simulator.add_fault("503;route=sends".into()).unwrap_err();
        assert!(
            matches!(err, SignalRError::InvalidArgument { ref detail, .. } if detail.contains("sends")),
            "{err:?}"
        );
        assert!(simulator.remove_fault(id.clone()));
        assert!(!simulator.remove_fault(id));
        let err = simulator.pause_clients("chat".into(), None, -1.0).unwrap_err();
        assert!(
            matches!(err, SignalRError::InvalidArgument { ref field, ref detail } if field == "duration" && detail.contains("-1")),
            "{err:?}"
        );
        let client = simulator.connect("chat".into(), None).unwrap();
        let dropped = simulator.drop_clients("chat".into(), None, true).unwrap();
        assert_eq!(dropped, vec![client.connection_id()]);
        assert!(client.is_closed());
        let injected = simulator.injected_faults();
        assert_eq!(injected.len(), 1);
        assert_eq!(injected[0].fault, "drop;close");
        assert_eq!(injected[0].hub.as_deref(), Some("chat"));
        assert!(simulator.drop_clients("bad hub!".into(), None, false).is_err());
        simulator.shutdown().await;
    }
}
