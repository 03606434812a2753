//! Fault injection: rules that make the simulator answer some requests as a failing service
//! would (an error status, a delay, a reset connection), and the record of what was injected.
//!
//! A rule is written `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]`,
//! the same text in the CLI, the control endpoint and every language:
//! - `ACTION`: an HTTP status from 400 to 599 (`503`), `delay=DURATION` (`250ms`, `2s`), or
//!   `reset` (the TCP connection is reset before any answer).
//! - `hub`: only requests for this hub (case-insensitive).
//! - `route`: only requests of one kind (see [`FaultRoute`]); every REST and client request
//!   when absent.
//! - `times`: the rule ends after injecting this many times; unlimited when absent.
//! - `fraction`: the share of matching requests it hits (0 to 1), drawn from the simulator's
//!   fault RNG, which a seed makes repeatable; 1 when absent.
//! - `retry-after`: with 429 or 503 only, the `Retry-After` seconds the answer carries.
//!
//! Delays add up and the request then goes on; the first status or reset rule that hits
//! answers instead of the service. Injected 503s have an empty body, as a gateway turning a
//! request away before reading it; the other statuses carry the service's JSON error body.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;

use super::activity::ActivityLog;
use super::errors::ApiError;
use super::Shared;
use crate::error::{Error, Result};

/// Injected faults kept for inspection; older ones are dropped.
pub const INJECTED_HISTORY: usize = 1000;

/// What a fault does to a request it hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultAction {
    /// Answer with this status (400-599) instead of the service; 429 and 503 may carry a
    /// `Retry-After` in seconds.
    Status {
        /// The HTTP status.
        status: u16,
        /// Seconds sent as `Retry-After`.
        retry_after: Option<u32>,
    },
    /// Wait this long before the request goes on.
    Delay(Duration),
    /// Reset the TCP connection without answering.
    Reset,
}

/// The kind of request a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultRoute {
    /// Any REST call under `/api/` (health included).
    Rest,
    /// Message sends: broadcast, to a user, a group or a connection.
    Send,
    /// Group membership: adding, removing and checking connections and users in groups,
    /// closing a group's connections.
    Group,
    /// User calls that are not sends or group membership (exists, close connections).
    User,
    /// Connection calls that are not sends or group membership (exists, close, close all).
    Connection,
    /// `:generateToken` (2022-06-01).
    Token,
    /// `GET/HEAD /api/health`.
    Health,
    /// Client negotiate (`/client/negotiate`).
    Negotiate,
    /// The client WebSocket connect (`/client/?hub=`).
    Connect,
}

const ROUTES: [(&str, FaultRoute); 9] = [
    ("rest", FaultRoute::Rest),
    ("send", FaultRoute::Send),
    ("group", FaultRoute::Group),
    ("user", FaultRoute::User),
    ("connection", FaultRoute::Connection),
    ("token", FaultRoute::Token),
    ("health", FaultRoute::Health),
    ("negotiate", FaultRoute::Negotiate),
    ("connect", FaultRoute::Connect),
];

impl FaultRoute {
    /// The route's name in the rule text.
    pub fn name(self) -> &'static str {
        ROUTES.iter().find(|(_, r)| *r == self).map_or("rest", |(n, _)| n)
    }
}

/// A fault rule: what to do, to which requests, how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What it does.
    pub action: FaultAction,
    /// Only requests for this hub (lower case); any hub when `None`.
    pub hub: Option<String>,
    /// Only requests of this kind; every REST and client request when `None`.
    pub route: Option<FaultRoute>,
    /// Injections before the rule ends; unlimited when `None`.
    pub times: Option<u32>,
    /// Share of matching requests hit, from 0 to 1; all when `None`.
    pub fraction: Option<f64>,
}

impl Fault {
    /// A rule doing `action` to every request, with no limit.
    pub fn new(action: FaultAction) -> Self {
        Fault {
            action,
            hub: None,
            route: None,
            times: None,
            fraction: None,
        }
    }
}

fn bad(spec: &str, why: impl fmt::Display) -> Error {
    Error::invalid("fault", format!("{spec:?}: {why}"))
}

fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = match text.strip_suffix("ms") {
        Some(number) => (number, 0.001),
        None => (text.strip_suffix('s')?, 1.0),
    };
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0 && value * unit <= 3600.0)
        .then(|| Duration::from_secs_f64(value * unit))
}

impl FromStr for Fault {
    type Err = Error;

    /// Reads the rule text described in the module docs; a bad part is named in the error.
    fn from_str(spec: &str) -> Result<Fault> {
        let mut parts = spec.split(';').map(str::trim);
        let action_text = parts.next().unwrap_or_default();
        let action = if action_text == "reset" {
            FaultAction::Reset
        } else if let Some(delay) = action_text.strip_prefix("delay=") {
            FaultAction::Delay(parse_duration(delay).ok_or_else(|| {
                bad(
                    spec,
                    format!("delay {delay:?} must be like 250ms or 2s, at most 3600s"),
                )
            })?)
        } else {
            match action_text.parse::<u16>() {
                Ok(status) if (400..=599).contains(&status) => FaultAction::Status {
                    status,
                    retry_after: None,
                },
                _ => {
                    return Err(bad(
                        spec,
                        format!(
                        "{action_text:?} is not an action: a status from 400 to 599, delay=DURATION or reset"
                    ),
                    ))
                }
            }
        };
        let mut fault = Fault::new(action);
        for part in parts.filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad(spec, format!("{part:?} must be key=value")))?;
            match key {
                "hub" => {
                    crate::model::validate_hub(value).map_err(|e| bad(spec, e))?;
                    fault.hub = Some(value.to_ascii_lowercase());
                }
                "route" => {
                    let names: Vec<&str> = ROUTES.iter().map(|(n, _)| *n).collect();
                    fault.route = Some(
                        ROUTES
                            .iter()
                            .find(|(n, _)| *n == value)
                            .map(|(_, r)| *r)
                            .ok_or_else(|| {
                                bad(
                                    spec,
                                    format!("route {value:?} is not one of {}", names.join(", ")),
                                )
                            })?,
                    );
                }
                "times" => {
                    fault.times =
                        Some(value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                            bad(spec, format!("times {value:?} must be a whole number from 1"))
                        })?)
                }
                "fraction" => {
                    fault.fraction = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|f: &f64| (0.0..=1.0).contains(f))
                            .ok_or_else(|| {
                                bad(spec, format!("fraction {value:?} must be a number from 0 to 1"))
                            })?,
                    )
                }
                "retry-after" => {
                    let FaultAction::Status { status, retry_after } = &mut fault.action else {
                        return Err(bad(spec, "retry-after goes with a 429 or 503 status"));
                    };
                    if *status != 429 && *status != 503 {
                        return Err(bad(spec, "retry-after goes with a 429 or 503 status"));
                    }
                    *retry_after =
                        Some(value.parse().map_err(|_| {
                            bad(spec, format!("retry-after {value:?} must be whole seconds"))
                        })?);
                }
                other => {
                    return Err(bad(
                        spec,
                        format!("unknown key {other:?} (hub, route, times, fraction, retry-after)"),
                    ))
                }
            }
        }
        Ok(fault)
    }
}

impl fmt::Display for Fault {
    /// The rule text, which parses back to the same rule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            FaultAction::Status { status, .. } => write!(f, "{status}")?,
            FaultAction::Delay(delay) => write!(f, "delay={}ms", delay.as_millis())?,
            FaultAction::Reset => f.write_str("reset")?,
        }
        if let Some(hub) = &self.hub {
            write!(f, ";hub={hub}")?;
        }
        if let Some(route) = self.route {
            write!(f, ";route={}", route.name())?;
        }
        if let Some(times) = self.times {
            write!(f, ";times={times}")?;
        }
        if let Some(fraction) = self.fraction {
            write!(f, ";fraction={fraction}")?;
        }
        if let FaultAction::Status {
            retry_after: Some(secs),
            ..
        } = self.action
        {
            write!(f, ";retry-after={secs}")?;
        }
        Ok(())
    }
}

/// A rule as the simulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultInfo {
    /// Its id, for removing it.
    pub id: String,
    /// The rule.
    pub fault: Fault,
    /// How many times it has been injected.
    pub injected: u32,
}

/// One fault the simulator injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    /// The id of the rule that injected it; empty for a drop or a pause asked for directly.
    pub fault_id: String,
    /// The rule text, or `drop`, `drop;close` or `pause=...ms` for a socket fault.
    pub fault: String,
    /// What it hit: `METHOD /path` of a request, or `connection ID`.
    pub target: String,
    /// The hub of the request or connection, lower case, if known.
    pub hub: Option<String>,
}

/// The rules, their random source and what they injected.
#[derive(Debug)]
pub(crate) struct Faults {
    rules: Mutex<Vec<FaultInfo>>,
    /// Whether any rule is in force, read without the lock on every request.
    armed: AtomicBool,
    next_id: std::sync::atomic::AtomicU64,
    rng: Mutex<StdRng>,
    injected: Mutex<VecDeque<InjectedFault>>,
    activity: Arc<ActivityLog>,
}

/// What the rules decided for one request.
#[derive(Debug, Default)]
struct Decision {
    delay: Duration,
    /// The status or reset rule that answers, and its text.
    answer: Option<(FaultAction, String)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Faults {
    /// Rules in `initial` order, drawing fractions from `seed` (random when `None`).
    pub fn new(initial: Vec<Fault>, seed: Option<u64>, activity: Arc<ActivityLog>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::seed_from_u64(rand::random()),
        };
        let faults = Faults {
            rules: Mutex::default(),
            armed: AtomicBool::new(false),
            next_id: Default::default(),
            rng: Mutex::new(rng),
            injected: Mutex::default(),
            activity,
        };
        for fault in initial {
            faults.add(fault);
        }
        faults
    }

    /// Adds a rule after the others; returns its id.
    pub fn add(&self, fault: Fault) -> String {
        let id = format!("f{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        self.activity
            .record(&json!({"kind": "fault-rule", "id": id, "fault": fault.to_string(), "change": "added"}));
        let mut rules = lock(&self.rules);
        rules.push(FaultInfo {
            id: id.clone(),
            fault,
            injected: 0,
        });
        self.armed.store(true, Ordering::SeqCst);
        id
    }

    /// Removes a rule; false if there is none with this id.
    pub fn remove(&self, id: &str) -> bool {
        let mut rules = lock(&self.rules);
        let before = rules.len();
        rules.retain(|rule| rule.id != id);
        self.armed.store(!rules.is_empty(), Ordering::SeqCst);
        before != rules.len()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut rules = lock(&self.rules);
        rules.clear();
        self.armed.store(false, Ordering::SeqCst);
    }

    /// Whether any rule is in force.
    fn armed(&self) -> bool {
        self.armed.load(Ordering::SeqCst)
    }

    /// The rules still in force, in order.
    pub fn list(&self) -> Vec<FaultInfo> {
        lock(&self.rules).clone()
    }

    /// What was injected (the last [`INJECTED_HISTORY`]), oldest first.
    pub fn injected(&self) -> Vec<InjectedFault> {
        lock(&self.injected).iter().cloned().collect()
    }

    /// Records an injection in the history and the activity log.
    pub fn record(&self, injected: InjectedFault) {
        self.activity.record(&json!({
            "kind": "fault", "fault": injected.fault, "id": injected.fault_id,
            "target": injected.target, "hub": injected.hub,
        }));
        let mut history = lock(&self.injected);
        if history.len() == INJECTED_HISTORY {
            history.pop_front();
        }
        history.push_back(injected);
    }

    /// Runs the rules over a request of `route` for `hub`; rules whose `times` ran out end.
    fn decide(&self, routes: &[FaultRoute], hub: Option<&str>, target: &str) -> Decision {
        let mut decision = Decision::default();
        let mut hits = Vec::new();
        {
            let mut rules = lock(&self.rules);
            let mut rng = lock(&self.rng);
            for rule in rules.iter_mut() {
                let fault = &rule.fault;
                let matches = fault.route.is_none_or(|r| routes.contains(&r))
                    && fault.hub.as_deref().is_none_or(|h| Some(h) == hub);
                if !matches || (decision.answer.is_some() && !matches!(fault.action, FaultAction::Delay(_))) {
                    continue;
                }
                if fault.fraction.is_some_and(|f| !rng.random_bool(f)) {
                    continue;
                }
                rule.injected += 1;
                hits.push((rule.id.clone(), fault.to_string()));
                match fault.action {
                    FaultAction::Delay(delay) => decision.delay += delay,
                    action => decision.answer = Some((action, fault.to_string())),
                }
            }
            rules.retain(|rule| rule.fault.times.is_none_or(|times| rule.injected < times));
            self.armed.store(!rules.is_empty(), Ordering::SeqCst);
        }
        for (fault_id, fault) in hits {
            self.record(InjectedFault {
                fault_id,
                fault,
                target: target.to_string(),
                hub: hub.map(str::to_string),
            });
        }
        decision
    }
}

/// The routes a request belongs to (most specific first), and its hub, if it is one faults
/// apply to: REST calls under `/api/` and client requests under `/client/`.
fn classify(method: &str, path: &str, query: Option<&str>) -> Option<(Vec<FaultRoute>, Option<String>)> {
    use FaultRoute::*;
    if path.starts_with("/client") {
        let hub = query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "hub")
                .map(|(_, v)| v.to_ascii_lowercase())
        });
        let route = if path.trim_end_matches('/').ends_with("/negotiate") {
            Negotiate
        } else {
            Connect
        };
        return Some((vec![route], hub));
    }
    let rest = path.strip_prefix("/api/")?;
    let after = rest.strip_prefix("v1/").unwrap_or(rest);
    if after.trim_end_matches('/') == "health" {
        return Some((vec![Health, Rest], None));
    }
    let Some(hub_path) = after.strip_prefix("hubs/") else {
        return Some((vec![Rest], None));
    };
    let segments: Vec<&str> = hub_path.split('/').filter(|s| !s.is_empty()).collect();
    let hub = segments.first().map(|h| {
        percent_encoding::percent_decode_str(h)
            .decode_utf8_lossy()
            .to_ascii_lowercase()
    });
    let tail = segments.get(1..).unwrap_or_default();
    let is_send = method == "POST"
        && match tail {
            [] | [":send"] => true,
            [kind, _] | [kind, _, ":send"] => matches!(*kind, "users" | "groups" | "connections"),
            _ => false,
        };
    let route = if is_send {
        Send
    } else if tail.contains(&"groups") {
        Group
    } else {
        match tail.first().copied() {
            Some("users") => User,
            Some("connections") | Some(":closeConnections") => Connection,
            Some(":generateToken") => Token,
            _ => Rest,
        }
    };
    let mut routes = vec![route];
    if route != Rest {
        routes.push(Rest);
    }
    Some((routes, hub))
}

/// Lets a request's handler reset the TCP connection it came on.
#[derive(Debug, Clone)]
pub(crate) struct ResetHandle(Arc<AtomicBool>);

impl ResetHandle {
    fn reset(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// What the fault rules decided for one request, taken from it before any waiting (a request
/// cannot be held across an await).
pub(crate) struct Intercept {
    decision: Decision,
    connection: Option<ResetHandle>,
}

/// Asks the fault rules about `request`; `None` when no rule applies to it.
pub(crate) fn intercept(shared: &Shared, request: &Request) -> Option<Intercept> {
    if !shared.faults.armed() {
        return None;
    }
    let method = request.method().as_str();
    let path = request.uri().path();
    let (routes, hub) = classify(method, path, request.uri().query())?;
    let decision = shared
        .faults
        .decide(&routes, hub.as_deref(), &format!("{method} {path}"));
    let connection = request
        .extensions()
        .get::<ConnectInfo<ResetHandle>>()
        .map(|ConnectInfo(handle)| handle.clone());
    Some(Intercept { decision, connection })
}

impl Intercept {
    /// Waits out the delay, then answers (or resets the connection) when a rule says so;
    /// `None` lets the request through.
    pub async fn answer(self) -> Option<Response> {
        let Intercept { decision, connection } = self;
        if !decision.delay.is_zero() {
            tokio::time::sleep(decision.delay).await;
        }
        let (action, fault) = decision.answer?;
        let mut response = match action {
            FaultAction::Reset => {
                if let Some(handle) = connection {
                    handle.reset();
                }
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            FaultAction::Status { status: 503, .. } => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            FaultAction::Status { status, .. } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                ApiError::new(
                    status,
                    "Error.Simulator.InjectedFault",
                    format!("fault injected by the simulator: {fault}"),
                )
                .into_response()
            }
            FaultAction::Delay(_) => unreachable!("delays never answer"),
        };
        if let FaultAction::Status {
            retry_after: Some(secs),
            ..
        } = action
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(Injected(fault));
        Some(response)
    }
}

/// Marks a response a fault made, for the request log.
#[derive(Debug, Clone)]
pub(crate) struct Injected(pub String);

/// Accepts TCP connections whose requests can reset them (the `reset` fault).
pub(crate) struct ResettableListener(pub tokio::net::TcpListener);

/// A TCP connection that fails every read and write, with a zero linger (so closing it sends
/// RST), once its handle is reset.
pub(crate) struct ResettableStream {
    stream: tokio::net::TcpStream,
    reset: Arc<AtomicBool>,
}

impl ResettableStream {
    fn check(&self) -> std::io::Result<()> {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
            return Err(std::io::ErrorKind::ConnectionReset.into());
        }
        Ok(())
    }
}

impl axum::serve::Listener for ResettableListener {
    type Io = ResettableStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, address) = axum::serve::Listener::accept(&mut self.0).await;
        let io = ResettableStream {
            stream,
            reset: Arc::default(),
        };
        (io, address)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, ResettableListener>>
    for ResetHandle
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, ResettableListener>) -> Self {
        ResetHandle(stream.io().reset.clone())
    }
}

impl tokio::io::AsyncRead for ResettableStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.check()?;
        std::pin::Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ResettableStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.check()?;
        std::pin::Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.check()?;
        std::pin::Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.check()?;
        std::pin::Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_text_round_trips() {
        for text in [
            "503",
            "429;retry-after=2",
            "503;hub=chat;route=send;times=2;fraction=0.5;retry-after=1",
            "delay=250ms;route=negotiate",
            "reset;times=1",
            "500;route=group",
        ] {
            let fault: Fault = text.parse().unwrap();
            assert_eq!(fault.to_string(), text);
        }
        assert_eq!("delay=2s".parse::<Fault>().unwrap().to_string(), "delay=2000ms");
    }

    #[test]
    fn bad_rules_name_the_bad_part() {
        for (text, named) in [
            ("", "not an action"),
            ("200", "not an action"),
            ("600", "not an action"),
            ("delay=5", "delay \"5\""),
            ("delay=-1s", "delay"),
            ("503;route=sends", "route \"sends\""),
            ("503;times=0", "times \"0\""),
            ("503;fraction=2", "fraction \"2\""),
            ("500;retry-after=1", "retry-after goes with"),
            ("503;retry-after=x", "retry-after \"x\""),
            ("503;colour=red", "unknown key \"colour\""),
            ("503;hub", "key=value"),
            ("503;hub=a b", "hub"),
        ] {
            let error = text.parse::<Fault>().unwrap_err().to_string();
            assert!(error.contains(named), "{text}: {error}");
        }
    }

    #[test]
    fn requests_are_classified_by_route_and_hub() {
        use FaultRoute::*;
        let routes = |method: &str, path: &str| classify(method, path, None).map(|(r, h)| (r[0], h));
        let hub = Some("chat".to_string());
        assert_eq!(routes("POST", "/api/v1/hubs/Chat"), Some((Send, hub.clone())));
        assert_eq!(routes("POST", "/api/hubs/chat/:send"), Some((Send, hub.clone())));
        assert_eq!(
            routes("POST", "/api/v1/hubs/chat/users/u"),
            Some((Send, hub.clone()))
        );
        assert_eq!(
            routes("POST", "/api/hubs/chat/groups/g/:send"),
            Some((Send, hub.clone()))
        );
        assert_eq!(
            routes("PUT", "/api/v1/hubs/chat/groups/g/connections/c"),
            Some((Group, hub.clone()))
        );
        assert_eq!(
            routes("DELETE", "/api/hubs/chat/users/u/groups"),
            Some((Group, hub.clone()))
        );
        assert_eq!(
            routes("HEAD", "/api/v1/hubs/chat/users/u"),
            Some((User, hub.clone()))
        );
        assert_eq!(
            routes("DELETE", "/api/hubs/chat/connections/c"),
            Some((Connection, hub.clone()))
        );
        assert_eq!(
            routes("POST", "/api/hubs/chat/:closeConnections"),
            Some((Connection, hub.clone()))
        );
        assert_eq!(
            routes("POST", "/api/hubs/chat/:generateToken"),
            Some((Token, hub.clone()))
        );
        assert_eq!(routes("GET", "/api/health"), Some((Health, None)));
        assert_eq!(routes("HEAD", "/api/v1/health"), Some((Health, None)));
        assert_eq!(routes("GET", "/dashboard/"), None);
        assert_eq!(routes("POST", "/simulator/faults"), None);
        let client = |path: &str| classify("POST", path, Some("hub=Chat")).map(|(r, h)| (r[0], h));
        assert_eq!(client("/client/negotiate"), Some((Negotiate, hub.clone())));
        assert_eq!(client("/client/"), Some((Connect, hub)));
    }

    #[test]
    fn times_end_a_rule_and_a_seed_repeats_the_draws() {
        let draws = |seed| {
            let faults = Faults::new(
                vec!["503;fraction=0.5".parse().unwrap()],
                Some(seed),
                Arc::default(),
            );
            (0..64)
                .map(|_| {
                    faults
                        .decide(&[FaultRoute::Send], None, "POST /")
                        .answer
                        .is_some()
                })
                .collect::<Vec<bool>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        assert!(draws(7).iter().any(|hit| *hit) && draws(7).iter().any(|hit| !*hit));

        let faults = Faults::new(vec!["503;times=2".parse().unwrap()], None, Arc::default());
        let hits: Vec<bool> = (0..4)
            .map(|_| {
                faults
                    .decide(&[FaultRoute::Send], None, "POST /")
                    .answer
                    .is_some()
            })
            .collect();
        assert_eq!(hits, [true, true, false, false]);
        assert!(faults.list().is_empty());
        assert_eq!(faults.injected().len(), 2);
    }
}
