//! The local simulator for JS: start and close it, connect virtual clients, inspect state.

use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use signalr_rest::settings::{Convention, SimulatorSettings};
use signalr_rest::simulator::Fault;

use crate::cancel::{spawn, spawn_serving, Cancellation};
use crate::error::napi_result;
use crate::json::Parsed;
use crate::{millis, seconds};

/// A live connection of a hub.
#[napi(object)]
pub struct ConnectionInfo {
    pub connection_id: String,
    pub user_id: Option<String>,
}

/// A group with connections, and their ids.
#[napi(object)]
pub struct GroupInfo {
    pub name: String,
    pub connection_ids: Vec<String>,
}

/// A user mapped to a group until `expires_at_ms` (simulator time, ms since the epoch).
#[napi(object)]
pub struct UserGroupMapping {
    pub user_id: String,
    pub group: String,
    pub expires_at_ms: f64,
}

/// One upstream call the simulator made.
#[napi(object)]
pub struct UpstreamCall {
    pub connection_id: String,
    pub hub: String,
    pub category: String,
    pub event: String,
    pub url: String,
    pub status: Option<u32>,
    pub error: Option<String>,
}

/// A fault rule in force: its id, its rule text and how often it has been injected.
#[napi(object)]
pub struct FaultRule {
    pub id: String,
    pub fault: String,
    pub injected: u32,
}

/// One fault the simulator injected: the rule's id (empty for a drop or pause asked for
/// directly), its text, what it hit and the hub.
#[napi(object)]
pub struct InjectedFault {
    pub fault_id: String,
    pub fault: String,
    pub target: String,
    pub hub: Option<String>,
}

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A JS number as a fault seed: a whole number from 0 to `Number.MAX_SAFE_INTEGER`.
fn seed_from(value: f64) -> Result<u64, signalr_rest::Error> {
    if value.is_finite() && value.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&value) {
        Ok(value as u64)
    } else {
        Err(signalr_rest::Error::invalid(
            "faultSeed",
            format!("faultSeed must be a whole number from 0 to {MAX_SAFE_INTEGER}, got {value}"),
        ))
    }
}

/// A running simulator; `close` stops it.
#[napi]
pub struct Simulator {
    core: Arc<signalr_rest::Simulator>,
    url: String,
    connection_string: String,
    access_key: String,
}

#[napi]
impl Simulator {
    /// Starts a simulator on `host` (default 127.0.0.1) and `port` (0: the OS picks).
    #[napi(ts_return_type = "Promise<Simulator>", catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn start<'env>(
        env: &'env Env,
        host: Option<String>,
        port: Option<u32>,
        access_key: Option<String>,
        ping_interval_ms: Option<f64>,
        upstreams: Option<Vec<String>>,
        upstream_timeout_ms: Option<f64>,
        secondary_access_key: Option<String>,
        dashboard: Option<bool>,
        faults: Option<Vec<String>>,
        fault_seed: Option<f64>,
    ) -> napi::Result<PromiseRaw<'env, Simulator>> {
        let seed = fault_seed.map(seed_from).transpose();
        let mut settings = SimulatorSettings {
            host,
            port: port.map(i64::from),
            access_key,
            ping_interval: ping_interval_ms,
            secondary_access_key,
            upstreams: upstreams.unwrap_or_default(),
            upstream_timeout: upstream_timeout_ms,
            dashboard,
            faults: faults.unwrap_or_default(),
            fault_seed: None,
        };
        spawn_serving(env, async move {
            settings.fault_seed = seed?;
            let options = settings.options(Convention::CAMEL_MILLIS)?;
            let running = signalr_rest::Simulator::start(options).await?;
            Ok(Simulator {
                url: running.url(),
                connection_string: running.connection_string(),
                access_key: running.access_key().to_string(),
                core: Arc::new(running),
            })
        })
    }

    /// `http://127.0.0.1:{port}`.
    #[napi(getter, catch_unwind)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The connection string clients of this simulator use.
    #[napi(getter, catch_unwind)]
    pub fn connection_string(&self) -> String {
        self.connection_string.clone()
    }

    /// The access key tokens must be signed with.
    #[napi(getter, catch_unwind)]
    pub fn access_key(&self) -> String {
        self.access_key.clone()
    }

    /// The live dashboard's URL, or null when it is not served.
    #[napi(getter, catch_unwind)]
    pub fn dashboard_url(&self) -> Option<String> {
        self.core.dashboard_url()
    }

    /// A token signed with the simulator's key for `audience`, valid for `lifetime_seconds`.
    #[napi(catch_unwind)]
    pub fn access_token(&self, env: &Env, audience: String, lifetime_seconds: f64) -> napi::Result<String> {
        let token = seconds("lifetimeSeconds", lifetime_seconds)
            .and_then(|lifetime| self.core.access_token(&audience, lifetime));
        napi_result(env, token)
    }

    /// Connects a virtual client to `hub`, as `user_id` if given.
    #[napi(catch_unwind)]
    pub fn connect(&self, env: &Env, hub: String, user_id: Option<String>) -> napi::Result<VirtualClient> {
        let client = napi_result(env, self.core.connect(&hub, user_id.as_deref()))?;
        Ok(VirtualClient {
            inner: Arc::new(client),
        })
    }

    /// Hubs any call has used, lower case, sorted.
    #[napi(catch_unwind)]
    pub fn hubs(&self) -> Vec<String> {
        self.core.hubs()
    }

    /// The hub's live connections.
    #[napi(catch_unwind)]
    pub fn connections(&self, hub: String) -> Vec<ConnectionInfo> {
        self.core
            .connections(&hub)
            .into_iter()
            .map(|c| ConnectionInfo {
                connection_id: c.connection_id,
                user_id: c.user_id,
            })
            .collect()
    }

    /// The hub's groups that have connections.
    #[napi(catch_unwind)]
    pub fn groups(&self, hub: String) -> Vec<GroupInfo> {
        self.core
            .groups(&hub)
            .into_iter()
            .map(|g| GroupInfo {
                name: g.name,
                connection_ids: g.connection_ids,
            })
            .collect()
    }

    /// The hub's unexpired user-group mappings.
    #[napi(catch_unwind)]
    pub fn user_groups(&self, hub: String) -> Vec<UserGroupMapping> {
        self.core
            .user_groups(&hub)
            .into_iter()
            .map(|m| UserGroupMapping {
                user_id: m.user_id,
                group: m.group,
                expires_at_ms: m
                    .expires_at
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_millis() as f64),
            })
            .collect()
    }

    /// The upstream calls made so far (the last 1000), oldest first.
    #[napi(catch_unwind)]
    pub fn upstream_calls(&self) -> Vec<UpstreamCall> {
        self.core
            .upstream_calls()
            .into_iter()
            .map(|c| UpstreamCall {
                connection_id: c.connection_id,
                hub: c.hub,
                category: c.category,
                event: c.event,
                url: c.url,
                status: c.status.map(u32::from),
                error: c.error,
            })
            .collect()
    }

    /// Moves the simulator's clock forward by `seconds`.
    #[napi(catch_unwind)]
    pub fn advance_clock(&self, env: &Env, by_seconds: f64) -> napi::Result<()> {
        let by = napi_result(env, seconds("seconds", by_seconds))?;
        self.core.advance_clock(by);
        Ok(())
    }

    /// Adds a fault rule (its text, e.g. `503;route=send;times=2`) after the others; returns
    /// its id.
    #[napi(catch_unwind)]
    pub fn add_fault(&self, env: &Env, rule: String) -> napi::Result<String> {
        let added = rule.parse::<Fault>().map(|fault| self.core.add_fault(fault));
        napi_result(env, added)
    }

    /// Removes the fault rule with this id; false if there is none.
    #[napi(catch_unwind)]
    pub fn remove_fault(&self, id: String) -> bool {
        self.core.remove_fault(&id)
    }

    /// Removes every fault rule.
    #[napi(catch_unwind)]
    pub fn clear_faults(&self) {
        self.core.clear_faults();
    }

    /// The fault rules in force, in order.
    #[napi(catch_unwind)]
    pub fn faults(&self) -> Vec<FaultRule> {
        self.core
            .faults()
            .into_iter()
            .map(|rule| FaultRule {
                id: rule.id,
                fault: rule.fault.to_string(),
                injected: rule.injected,
            })
            .collect()
    }

    /// The faults injected so far (the last 1000), oldest first.
    #[napi(catch_unwind)]
    pub fn injected_faults(&self) -> Vec<InjectedFault> {
        self.core
            .injected_faults()
            .into_iter()
            .map(|f| InjectedFault {
                fault_id: f.fault_id,
                fault: f.fault,
                target: f.target,
                hub: f.hub,
            })
            .collect()
    }

    /// Drops the hub's WebSocket and virtual clients (or the one named), with a Close that
    /// allows reconnecting when `close`, else without; returns the ids dropped.
    #[napi(catch_unwind)]
    pub fn drop_clients(
        &self,
        env: &Env,
        hub: String,
        connection_id: Option<String>,
        close: bool,
    ) -> napi::Result<Vec<String>> {
        napi_result(env, self.core.drop_clients(&hub, connection_id.as_deref(), close))
    }

    /// Stalls the hub's WebSocket clients (or the one named) for `duration_ms`; returns the
    /// ids paused.
    #[napi(catch_unwind)]
    pub fn pause_clients(
        &self,
        env: &Env,
        hub: String,
        duration_ms: f64,
        connection_id: Option<String>,
    ) -> napi::Result<Vec<String>> {
        let paused = millis("duration", duration_ms)
            .and_then(|duration| self.core.pause_clients(&hub, connection_id.as_deref(), duration));
        napi_result(env, paused)
    }

    /// Stops serving; resolves once the server has ended. Closing twice is harmless.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let core = self.core.clone();
        spawn(env, None, async move {
            core.shutdown().await;
            Ok(())
        })
    }
}

/// An in-process client connected to a hub of the simulator.
#[napi]
pub struct VirtualClient {
    inner: Arc<signalr_rest::VirtualClient>,
}

#[napi]
impl VirtualClient {
    /// The connection id REST calls address it by.
    #[napi(getter, catch_unwind)]
    pub fn connection_id(&self) -> String {
        self.inner.connection_id().to_string()
    }

    /// The user id it connected as.
    #[napi(getter, catch_unwind)]
    pub fn user_id(&self) -> Option<String> {
        self.inner.user_id().map(str::to_string)
    }

    /// Every invocation received so far, in order.
    #[napi(
        ts_return_type = "Array<{ target: string, arguments: Array<unknown> }>",
        catch_unwind
    )]
    pub fn received(&self, env: &Env) -> napi::Result<Parsed> {
        napi_result(env, Parsed::messages(&self.inner.received()))
    }

    /// Whether the service closed this connection.
    #[napi(getter, catch_unwind)]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The reason the service gave when it closed the connection.
    #[napi(getter, catch_unwind)]
    pub fn close_reason(&self) -> Option<String> {
        self.inner.close_reason()
    }

    /// The first invocation of `target`, waiting up to `timeout_ms` for it.
    #[napi(
        ts_return_type = "Promise<{ target: string, arguments: Array<unknown> }>",
        catch_unwind
    )]
    pub fn wait_for<'env>(
        &self,
        env: &'env Env,
        target: String,
        timeout_ms: f64,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, Parsed>> {
        let client = self.inner.clone();
        spawn(env, cancel, async move {
            let timeout = millis("timeout", timeout_ms)?;
            Parsed::message(&client.wait_for(&target, timeout).await?)
        })
    }

    /// Disconnects from the hub.
    #[napi(catch_unwind)]
    pub fn disconnect(&self) {
        self.inner.disconnect();
    }
}
