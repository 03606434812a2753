//! A local stand-in for the service: the REST API over real sockets, in-process virtual
//! clients, inspection of hubs, connections, groups and mappings, and a clock tests can advance.

mod accepted;
mod activity;
mod clock;
mod control;
mod dashboard;
mod delivery;
mod errors;
mod faults;
mod front_door;
mod inbox;
mod negotiate;
mod rest;
mod socket;
mod state;
mod upgrade;
mod upstream;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::middleware;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::auth::AccessKey;
use crate::error::{Error, Result};
use crate::model::{validate_hub, validate_id, PayloadMessage};
pub use activity::ACTIVITY_HISTORY;
pub use dashboard::DASHBOARD_PATH;
pub use delivery::{OVERFLOW_REASON, QUEUE_CAPACITY, QUEUE_CAPACITY_BYTES};
pub use errors::MAX_HEADER_BYTES;
pub use faults::{Fault, FaultAction, FaultInfo, FaultRoute, InjectedFault, INJECTED_HISTORY};
pub use rest::MAX_BODY_BYTES;
pub use socket::{CLIENT_TIMEOUT, MAX_CLIENT_MESSAGE_BYTES, MAX_HANDSHAKE_BYTES, PING_INTERVAL};
pub use state::MAX_TTL_LESS_MAPPINGS;
pub use upstream::{UpstreamCall, UpstreamTemplate, UPSTREAM_TIMEOUT};

use delivery::Sink;
use inbox::Inbox;
use state::State;

/// Close reason WebSocket clients get when the simulator shuts down.
pub const SHUTDOWN_REASON: &str = "the service is shutting down";
/// How long shutdown waits for WebSocket clients to receive their Close.
/// Access key `signalr-rest serve` (and `python -m signalr_rest serve`, `npx signalr-rest
/// serve`) use unless given one. It is public and fixed so that local setups can hard-code one
/// connection string; it protects nothing, so never use it outside local development.
pub const DEV_ACCESS_KEY: &str = "SignalRRestDevKey0000000000000000000000000000";

/// The message of the error a shut-down simulator's `connect` and `access_token` give.
pub const SHUT_DOWN: &str = "the simulator has been shut down";
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Where and with which key a simulator serves.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// Address to listen on (default 127.0.0.1).
    pub host: IpAddr,
    /// Port to listen on; 0 lets the OS choose (default).
    pub port: u16,
    /// Access key tokens must be signed with; random when `None`.
    pub access_key: Option<String>,
    /// Silence after which a WebSocket client gets a ping (default 15 s, as the service).
    pub ping_interval: Duration,
    /// Silence from a WebSocket client after which it is dropped (default 30 s, as the service).
    pub client_timeout: Duration,
    /// A second valid access key (key rotation): tokens signed with either are accepted, and
    /// upstream requests carry a signature for each.
    pub secondary_access_key: Option<String>,
    /// Serverless upstream templates, first match wins; empty (default) means client
    /// invocations are refused with a Close, as a serverless hub without upstream.
    pub upstreams: Vec<UpstreamTemplate>,
    /// Time an upstream call may take (default 30 s).
    pub upstream_timeout: Duration,
    /// Serve the live dashboard at [`DASHBOARD_PATH`]. `None` (default) serves it only when
    /// `host` is a loopback address: it has no login, so a simulator on `0.0.0.0` shows it to
    /// the network only when asked with `Some(true)`.
    pub dashboard: Option<bool>,
    /// Fault rules in force from the start (see [`Fault`]); more can be added while it runs.
    pub faults: Vec<Fault>,
    /// Seed of the draws for faults with a `fraction`, so a run can be repeated; random when
    /// `None`.
    pub fault_seed: Option<u64>,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            access_key: None,
            ping_interval: PING_INTERVAL,
            client_timeout: CLIENT_TIMEOUT,
            secondary_access_key: None,
            upstreams: Vec::new(),
            upstream_timeout: UPSTREAM_TIMEOUT,
            dashboard: None,
            faults: Vec::new(),
            fault_seed: None,
        }
    }
}

/// A connection as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The id REST calls address it by.
    pub connection_id: String,
    /// The user id its token carried.
    pub user_id: Option<String>,
}

/// A group with at least one connection, and its members' ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// The group name.
    pub name: String,
    /// Its members, sorted.
    pub connection_ids: Vec<String>,
}

/// A user mapped to a group until `expires_at` (simulator time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroupMapping {
    /// The mapped user.
    pub user_id: String,
    /// The group the user's connections join.
    pub group: String,
    /// When the mapping ends, on the simulator's clock.
    pub expires_at: SystemTime,
}

/// What the HTTP handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub state: State,
    pub access_key: AccessKey,
    pub negotiations: negotiate::Negotiations,
    pub ping_interval: Duration,
    pub client_timeout: Duration,
    pub sockets: LiveSockets,
    pub secondary_key: Option<AccessKey>,
    pub upstream: Arc<upstream::Upstream>,
    /// Turns true when shutdown starts; endless responses (the dashboard's events) end then.
    pub stopping: watch::Receiver<bool>,
    pub faults: faults::Faults,
    pub accepted: accepted::AcceptedTokens,
}

impl Shared {
    /// Verifies a token signed with the primary or the secondary key.
    pub fn verify_token(
        &self,
        token: &str,
        audience: &str,
    ) -> std::result::Result<crate::auth::VerifiedClaims, String> {
        let primary = crate::auth::verify_token(token, &self.access_key, audience);
        match (&primary, &self.secondary_key) {
            (Err(_), Some(secondary)) => crate::auth::verify_token(token, secondary, audience).or(primary),
            _ => primary,
        }
    }

    /// Accepts a REST call's token for `audience`: verified once, then remembered until it
    /// expires.
    pub fn accept_token(&self, token: &str, audience: &str) -> std::result::Result<(), String> {
        if self.accepted.contains(token, audience) {
            return Ok(());
        }
        let claims = self.verify_token(token, audience)?;
        self.accepted.insert(token, audience, &claims);
        Ok(())
    }
}

/// Counts running WebSocket tasks, so shutdown can wait for them to end.
#[derive(Debug, Default)]
pub(crate) struct LiveSockets {
    count: AtomicUsize,
    ended: Notify,
}

/// Held by a socket task while it runs.
pub(crate) struct LiveSocket<'a>(&'a LiveSockets);

impl LiveSockets {
    pub fn enter(&self) -> LiveSocket<'_> {
        self.count.fetch_add(1, Ordering::SeqCst);
        LiveSocket(self)
    }

    async fn all_ended(&self) {
        loop {
            let ended = self.ended.notified();
            if self.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            ended.await;
        }
    }
}

impl Drop for LiveSocket<'_> {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            release_freed_memory();
        }
        self.0.ended.notify_waiters();
    }
}

/// Hands the memory the WebSocket clients used back to the OS once the last one has gone:
/// glibc's allocator keeps freed heap in its arenas: after 10,000 clients left, the simulator
/// held 161 MiB instead of its 9 MiB baseline (`scripts/soak`), and 20 MiB after `malloc_trim`.
/// Other allocators and platforms return memory on their own. It runs a second after the last
/// socket ended, so what its tasks free on their way out is included.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            // SAFETY: malloc_trim only releases free pages of the allocator's own arenas.
            let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
        });
    }
}

/// A running simulator. It serves until
/// [`Simulator::shutdown`] is awaited or the process (or the tokio runtime it runs on) ends;
/// dropping a handle does not stop it, as a server keeps serving however its object is held.
#[derive(Debug)]
pub struct Simulator {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Mutex<Option<JoinHandle<()>>>,
    dashboard: bool,
}

impl Simulator {
    /// Binds the listener and starts serving in the background.
    pub async fn start(options: SimulatorOptions) -> Result<Simulator> {
        let access_key = match options.access_key {
            Some(key) => AccessKey::new(key)?,
            None => AccessKey::random(),
        };
        let secondary_key = options.secondary_access_key.map(AccessKey::new).transpose()?;
        let keys = std::iter::once(access_key.expose().to_string())
            .chain(secondary_key.iter().map(|k| k.expose().to_string()))
            .collect();
        let state = State::default();
        let upstream = Arc::new(upstream::Upstream::new(
            options.upstreams,
            keys,
            options.upstream_timeout,
            state.activity.clone(),
        )?);
        let bind = SocketAddr::new(options.host, options.port);
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| Error::Transport(format!("cannot listen on {bind}: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::Transport(format!("cannot read the bound address: {e}")))?;
        let (stop, mut stopped) = watch::channel(false);
        let faults = faults::Faults::new(options.faults, options.fault_seed, state.activity.clone());
        let shared = Arc::new(Shared {
            faults,
            stopping: stop.subscribe(),
            state,
            access_key,
            negotiations: Default::default(),
            ping_interval: options.ping_interval,
            client_timeout: options.client_timeout,
            sockets: LiveSockets::default(),
            secondary_key,
            upstream,
            accepted: Default::default(),
        });
        let dashboard = serves_dashboard(options.dashboard, options.host);
        let mut app = rest::routes(shared.clone())
            .merge(negotiate::routes(shared.clone()))
            .merge(control::routes(shared.clone()));
        if dashboard {
            app = app.merge(dashboard::routes(shared.clone()));
        }
        let app = app
            .fallback(errors::no_route)
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(errors::panicked))
            .layer(middleware::from_fn_with_state(
                shared.clone(),
                front_door::front_door,
            ));
        let listener = faults::ResettableListener(listener);
        let service = app.into_make_service_with_connect_info::<faults::ResetHandle>();
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, service).with_graceful_shutdown(async move {
                // A dropped handle closes the channel; that is not a request to stop.
                if stopped.wait_for(|stop| *stop).await.is_err() {
                    std::future::pending::<()>().await;
                }
            });
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "simulator stopped with an error");
            }
        });
        tracing::info!(%address, "simulator listening");
        Ok(Simulator {
            address,
            shared,
            stop,
            server: Mutex::new(Some(server)),
            dashboard,
        })
    }

    /// The bound address (with the OS-chosen port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// `http://{address}` clients can reach: a wildcard listen address (`0.0.0.0`, `::`) is
    /// given as loopback, since not every client can connect to the wildcard itself.
    pub fn url(&self) -> String {
        reachable_url(self.address)
    }

    /// The live dashboard's address (`{url}/dashboard/`), when it is served.
    pub fn dashboard_url(&self) -> Option<String> {
        self.dashboard.then(|| format!("{}{DASHBOARD_PATH}", self.url()))
    }

    /// The access key tokens must be signed with.
    pub fn access_key(&self) -> &str {
        self.shared.access_key.expose()
    }

    /// `Endpoint=http://...;AccessKey=...;Version=1.0;` for clients of this simulator.
    pub fn connection_string(&self) -> String {
        format!(
            "Endpoint={};AccessKey={};Version=1.0;",
            self.url(),
            self.access_key()
        )
    }

    /// A token signed with the simulator's key for `audience` (a REST URL, or a client URL such
    /// as `{url}/client/?hub=chat`), valid for `lifetime`: for apps that take a bearer token
    /// from a token provider rather than an access key.
    pub fn access_token(&self, audience: &str, lifetime: Duration) -> Result<String> {
        self.live()?;
        self.shared
            .access_key
            .sign(audience, lifetime, &serde_json::Map::new())
    }

    /// Connects an in-process client to `hub`, as user `user_id` if given.
    pub fn connect(&self, hub: &str, user_id: Option<&str>) -> Result<VirtualClient> {
        self.live()?;
        validate_hub(hub)?;
        if let Some(user) = user_id {
            validate_id("user_id", user)?;
        }
        let connection_id = crate::random_id(22);
        let inbox = Arc::new(Inbox::default());
        self.shared
            .state
            .connect(hub, &connection_id, user_id, Sink::Virtual(inbox.clone()));
        Ok(VirtualClient {
            hub: hub.to_string(),
            connection_id,
            user_id: user_id.map(str::to_string),
            inbox,
            shared: self.shared.clone(),
        })
    }

    /// Names of all hubs any call has used, lower case, sorted.
    pub fn hubs(&self) -> Vec<String> {
        self.shared.state.hubs()
    }

    /// The hub's live connections.
    pub fn connections(&self, hub: &str) -> Vec<ConnectionInfo> {
        self.shared.state.connections(hub)
    }

    /// The hub's groups that have connections, with their members.
    pub fn groups(&self, hub: &str) -> Vec<GroupInfo> {
        self.shared.state.groups(hub)
    }

    /// The hub's unexpired user-group mappings.
    pub fn user_groups(&self, hub: &str) -> Vec<UserGroupMapping> {
        self.shared.state.user_groups(hub)
    }

    /// The serverless upstream calls made so far (at most the last 1000), oldest first.
    pub fn upstream_calls(&self) -> Vec<UpstreamCall> {
        self.shared.upstream.calls()
    }

    /// Adds a fault rule after the others (see [`Fault`] for what rules do); returns its id.
    pub fn add_fault(&self, fault: Fault) -> String {
        self.shared.faults.add(fault)
    }

    /// Removes the fault rule with this id; false if there is none (it may have run out).
    pub fn remove_fault(&self, id: &str) -> bool {
        self.shared.faults.remove(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.faults.clear()
    }

    /// The fault rules in force, in order; a rule whose `times` ran out is gone.
    pub fn faults(&self) -> Vec<FaultInfo> {
        self.shared.faults.list()
    }

    /// The faults injected so far (the last [`INJECTED_HISTORY`]), oldest first.
    pub fn injected_faults(&self) -> Vec<InjectedFault> {
        self.shared.faults.injected()
    }

    /// Drops the hub's client connections (or the one named) as a failing network would: with
    /// a Close that allows reconnecting when `close`, else without any. Returns the ids dropped.
    pub fn drop_clients(&self, hub: &str, connection_id: Option<&str>, close: bool) -> Result<Vec<String>> {
        validate_hub(hub)?;
        Ok(drop_clients(&self.shared, hub, connection_id, close))
    }

    /// Stalls the hub's WebSocket clients (or the one named) for `duration`: nothing is written
    /// to or read from them meanwhile, messages wait in their queues, and a pause longer than
    /// the client's timeout makes it give up. Returns the ids paused (virtual clients have no
    /// socket and are not paused).
    pub fn pause_clients(
        &self,
        hub: &str,
        connection_id: Option<&str>,
        duration: Duration,
    ) -> Result<Vec<String>> {
        validate_hub(hub)?;
        if duration > MAX_PAUSE {
            return Err(Error::invalid(
                "duration",
                format!("{duration:?} is longer than the longest pause, {MAX_PAUSE:?}"),
            ));
        }
        Ok(pause_clients(&self.shared, hub, connection_id, duration))
    }

    /// Moves the simulator's clock forward (TTLs expire; tokens still use wall time).
    pub fn advance_clock(&self, by: Duration) {
        self.shared.state.clock.advance(by);
    }

    /// Stops accepting, sends every WebSocket client a Close, lets in-flight requests finish,
    /// and waits for the server and the client tasks to end. Calling it again does nothing.
    pub async fn shutdown(&self) {
        self.stop();
        self.shared.state.close_all(SHUTDOWN_REASON);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, self.shared.sockets.all_ended()).await;
        let server = self
            .server
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(server) = server {
            let _ = server.await;
        }
    }

    fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// What a shut-down simulator answers, in every language: the calls that can fail
    /// (`connect`, `access_token`) fail with this error; the inspection calls keep answering
    /// from the final state, so a test can look at it after stopping; `shutdown` does nothing.
    fn live(&self) -> Result<()> {
        if *self.stop.borrow() {
            return Err(Error::invalid("simulator", SHUT_DOWN));
        }
        Ok(())
    }
}

/// Longest pause [`Simulator::pause_clients`] takes.
pub const MAX_PAUSE: Duration = Duration::from_secs(3600);

/// A pause of `seconds`, refused when negative, not finite or over [`MAX_PAUSE`].
fn pause_duration(seconds: f64) -> Result<Duration> {
    if !seconds.is_finite() || !(0.0..=MAX_PAUSE.as_secs_f64()).contains(&seconds) {
        return Err(Error::invalid(
            "seconds",
            format!("{seconds} must be from 0 to {}", MAX_PAUSE.as_secs()),
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Drops clients and records each as an injected fault.
fn drop_clients(shared: &Shared, hub: &str, connection_id: Option<&str>, close: bool) -> Vec<String> {
    let ids = shared.state.drop_connections(hub, connection_id, close);
    let fault = if close { "drop;close" } else { "drop" };
    record_socket_faults(shared, hub, &ids, fault);
    ids
}

/// Pauses clients and records each as an injected fault.
fn pause_clients(shared: &Shared, hub: &str, connection_id: Option<&str>, duration: Duration) -> Vec<String> {
    let ids = shared.state.pause_connections(hub, connection_id, duration);
    record_socket_faults(shared, hub, &ids, &format!("pause={}ms", duration.as_millis()));
    ids
}

fn record_socket_faults(shared: &Shared, hub: &str, ids: &[String], fault: &str) {
    for id in ids {
        shared.faults.record(InjectedFault {
            fault_id: String::new(),
            fault: fault.to_string(),
            target: format!("connection {id}"),
            hub: Some(hub.to_ascii_lowercase()),
        });
    }
}

/// Whether the dashboard is served: as asked, else only on a loopback host (it has no login).
fn serves_dashboard(asked: Option<bool>, host: IpAddr) -> bool {
    asked.unwrap_or(host.is_loopback())
}

/// `http://{address}`, with a wildcard IP (`0.0.0.0`, `::`) replaced by loopback of its family.
fn reachable_url(mut address: SocketAddr) -> String {
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        });
    }
    format!("http://{address}")
}

/// An in-process client connected to a hub; disconnects when dropped.
#[derive(Debug)]
pub struct VirtualClient {
    hub: String,
    connection_id: String,
    user_id: Option<String>,
    inbox: Arc<Inbox>,
    shared: Arc<Shared>,
}

impl VirtualClient {
    /// The connection id REST calls address it by.
    pub fn connection_id(&self) -> &str {
        &self.connection_id
    }

    /// The user id it connected as.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// Every invocation received so far, in order.
    pub fn received(&self) -> Vec<PayloadMessage> {
        self.inbox.received()
    }

    /// The first invocation of `target`, waiting up to `timeout` for it.
    pub async fn wait_for(&self, target: &str, timeout: Duration) -> Result<PayloadMessage> {
        self.inbox.wait_for(target, timeout).await
    }

    /// Whether the service closed this connection.
    pub fn is_closed(&self) -> bool {
        self.inbox.closed().is_some()
    }

    /// The reason given when the service closed the connection, if any.
    pub fn close_reason(&self) -> Option<String> {
        self.inbox.closed().flatten()
    }

    /// Disconnects from the hub, leaving every group.
    pub fn disconnect(&self) {
        self.shared.state.disconnect(&self.hub, &self.connection_id, None);
    }
}

impl Drop for VirtualClient {
    fn drop(&mut self) {
        self.disconnect();
    }
}

#[cfg(test)]
mod tests {
    use super::{reachable_url, serves_dashboard};

    #[test]
    fn the_dashboard_is_served_on_loopback_unless_asked_otherwise() {
        let host = |text: &str| text.parse().unwrap();
        assert!(serves_dashboard(None, host("127.0.0.1")));
        assert!(serves_dashboard(None, host("::1")));
        assert!(!serves_dashboard(None, host("0.0.0.0")));
        assert!(!serves_dashboard(None, host("::")));
        assert!(!serves_dashboard(None, host("192.168.1.5")));
        assert!(serves_dashboard(Some(true), host("0.0.0.0")));
        assert!(!serves_dashboard(Some(false), host("127.0.0.1")));
    }

    #[test]
    fn a_wildcard_listen_address_is_handed_out_as_loopback() {
        let url = |text: &str| reachable_url(text.parse().unwrap());
        assert_eq!(url("0.0.0.0:8888"), "http://127.0.0.1:8888");
        assert_eq!(url("[::]:8888"), "http://[::1]:8888");
        assert_eq!(url("127.0.0.1:1"), "http://127.0.0.1:1");
        assert_eq!(url("192.168.1.5:80"), "http://192.168.1.5:80");
    }
}
