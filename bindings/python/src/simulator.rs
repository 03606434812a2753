//! The core's `Simulator` and `VirtualClient`; inspection results as plain tuples.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use pyo3::prelude::*;
use pyo3::types::PyInt;
use signalr_rest::settings::{Convention, SimulatorSettings};
use signalr_rest::Error;

use crate::convert::{duration, py_json};
use crate::error::{invalid, to_py_err};
use crate::pending::{run_core, runtime, Outcome, PendingCall};

/// `(connection_id, hub, category, event, url, status, error)` of one upstream call.
type UpstreamCallRow = (
    String,
    String,
    String,
    String,
    String,
    Option<u16>,
    Option<String>,
);

/// `(id, rule_text, injected)` of one fault rule in force.
type FaultRow = (String, String, u32);

/// `(fault_id, fault, target, hub)` of one injected fault.
type InjectedFaultRow = (String, String, String, Option<String>);

/// A running local simulator of the service (the core's `Simulator`).
#[pyclass(frozen, module = "signalr_rest._native")]
pub struct Simulator {
    inner: signalr_rest::Simulator,
    url: String,
    connection_string: String,
    access_key: String,
}

impl Simulator {
    /// Runs `work` on the simulator with the GIL released; a shut-down simulator's refusals
    /// are the core's.
    fn with_core<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&signalr_rest::Simulator) -> Result<T, Error> + Send,
    ) -> PyResult<T> {
        run_core(py, || work(&self.inner))
    }
}

#[pymethods]
impl Simulator {
    /// Starts serving on `host`:`port` (0: any free port) with `access_key` (None: random).
    #[new]
    /// `upstreams` are templates in the CLI form (`URL;hub=..;event=..`), tried in order;
    /// `faults` are fault rules in their text form (the core parses them), `fault_seed` seeds
    /// the draws of rules with a fraction.
    #[pyo3(signature = (*, host, port, access_key, ping_interval, upstreams, upstream_timeout, secondary_access_key, dashboard, faults, fault_seed))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: &str,
        port: i64,
        access_key: Option<String>,
        ping_interval: Option<f64>,
        upstreams: Vec<String>,
        upstream_timeout: Option<f64>,
        secondary_access_key: Option<String>,
        dashboard: Option<bool>,
        faults: Vec<String>,
        fault_seed: Option<&Bound<'_, PyInt>>,
    ) -> PyResult<Self> {
        let fault_seed = fault_seed
            .map(|seed| {
                seed.extract::<u64>().map_err(|_| {
                    invalid(
                        "fault_seed",
                        format!(
                            "fault_seed must be a whole number from 0 to {}; got {seed}",
                            u64::MAX
                        ),
                    )
                })
            })
            .transpose()?;
        let settings = SimulatorSettings {
            host: Some(host.to_string()),
            port: Some(port),
            access_key,
            ping_interval,
            secondary_access_key,
            upstreams,
            upstream_timeout,
            dashboard,
            faults,
            fault_seed,
        };
        let options = settings.options(Convention::SNAKE_SECONDS).map_err(to_py_err)?;
        let inner = run_core(py, || runtime().block_on(signalr_rest::Simulator::start(options)))?;
        Ok(Simulator {
            url: inner.url(),
            connection_string: inner.connection_string(),
            access_key: inner.access_key().to_string(),
            inner,
        })
    }

    /// `http://127.0.0.1:{port}`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// A connection string for clients of this simulator.
    #[getter]
    fn connection_string(&self) -> &str {
        &self.connection_string
    }

    /// The access key tokens must be signed with.
    #[getter]
    fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The live dashboard's URL, or None when it is not served.
    #[getter]
    fn dashboard_url(&self) -> Option<String> {
        self.inner.dashboard_url()
    }

    /// A token signed with the simulator's key for `audience`, valid for `lifetime` seconds.
    fn access_token(&self, py: Python<'_>, audience: &str, lifetime: f64) -> PyResult<String> {
        let lifetime = duration("lifetime", lifetime)?;
        self.with_core(py, |sim| sim.access_token(audience, lifetime))
    }

    /// Connects an in-process client to `hub`, as `user_id` if given.
    #[pyo3(signature = (hub, user_id))]
    fn connect(&self, py: Python<'_>, hub: &str, user_id: Option<&str>) -> PyResult<VirtualClient> {
        let client = self.with_core(py, |sim| sim.connect(hub, user_id))?;
        Ok(VirtualClient {
            inner: Arc::new(client),
        })
    }

    /// Names of the hubs any call has used, lower case, sorted.
    fn hubs(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with_core(py, |sim| Ok(sim.hubs()))
    }

    /// The hub's live connections as `(connection_id, user_id)`.
    fn connections(&self, py: Python<'_>, hub: &str) -> PyResult<Vec<(String, Option<String>)>> {
        self.with_core(py, |sim| {
            Ok(sim
                .connections(hub)
                .into_iter()
                .map(|c| (c.connection_id, c.user_id))
                .collect())
        })
    }

    /// The hub's non-empty groups as `(name, connection_ids)`.
    fn groups(&self, py: Python<'_>, hub: &str) -> PyResult<Vec<(String, Vec<String>)>> {
        self.with_core(py, |sim| {
            Ok(sim
                .groups(hub)
                .into_iter()
                .map(|g| (g.name, g.connection_ids))
                .collect())
        })
    }

    /// The hub's unexpired user-group mappings as `(user_id, group, expires_at)`, the expiry
    /// in seconds since the Unix epoch of the simulator's clock.
    fn user_groups(&self, py: Python<'_>, hub: &str) -> PyResult<Vec<(String, String, f64)>> {
        self.with_core(py, |sim| {
            Ok(sim
                .user_groups(hub)
                .into_iter()
                .map(|m| {
                    let expires = m.expires_at.duration_since(UNIX_EPOCH).unwrap_or_default();
                    (m.user_id, m.group, expires.as_secs_f64())
                })
                .collect())
        })
    }

    /// The upstream calls made so far (the last 1000), oldest first, as
    /// `(connection_id, hub, category, event, url, status, error)`.
    fn upstream_calls(&self, py: Python<'_>) -> PyResult<Vec<UpstreamCallRow>> {
        self.with_core(py, |sim| {
            Ok(sim
                .upstream_calls()
                .into_iter()
                .map(|c| {
                    (
                        c.connection_id,
                        c.hub,
                        c.category,
                        c.event,
                        c.url,
                        c.status,
                        c.error,
                    )
                })
                .collect())
        })
    }

    /// Adds a fault rule given in its text form after the others; returns its id. The core
    /// parses the text and names a bad part.
    fn add_fault(&self, py: Python<'_>, rule: &str) -> PyResult<String> {
        self.with_core(py, |sim| Ok(sim.add_fault(rule.parse()?)))
    }

    /// Removes the fault rule with this id; false if there is none.
    fn remove_fault(&self, py: Python<'_>, id: &str) -> PyResult<bool> {
        self.with_core(py, |sim| Ok(sim.remove_fault(id)))
    }

    /// Removes every fault rule.
    fn clear_faults(&self, py: Python<'_>) -> PyResult<()> {
        self.with_core(py, |sim| {
            sim.clear_faults();
            Ok(())
        })
    }

    /// The fault rules in force, in order, as `(id, rule_text, injected)`.
    fn faults(&self, py: Python<'_>) -> PyResult<Vec<FaultRow>> {
        self.with_core(py, |sim| {
            Ok(sim
                .faults()
                .into_iter()
                .map(|f| (f.id, f.fault.to_string(), f.injected))
                .collect())
        })
    }

    /// The faults injected so far (the last 1000), oldest first, as
    /// `(fault_id, fault, target, hub)`.
    fn injected_faults(&self, py: Python<'_>) -> PyResult<Vec<InjectedFaultRow>> {
        self.with_core(py, |sim| {
            Ok(sim
                .injected_faults()
                .into_iter()
                .map(|f| (f.fault_id, f.fault, f.target, f.hub))
                .collect())
        })
    }

    /// Drops the hub's client connections (or the one named), with a Close when `close`;
    /// returns the ids dropped.
    #[pyo3(signature = (hub, connection_id, close))]
    fn drop_clients(
        &self,
        py: Python<'_>,
        hub: &str,
        connection_id: Option<&str>,
        close: bool,
    ) -> PyResult<Vec<String>> {
        self.with_core(py, |sim| sim.drop_clients(hub, connection_id, close))
    }

    /// Stalls the hub's WebSocket clients (or the one named) for `seconds`; returns the ids
    /// paused.
    #[pyo3(signature = (hub, seconds, connection_id))]
    fn pause_clients(
        &self,
        py: Python<'_>,
        hub: &str,
        seconds: f64,
        connection_id: Option<&str>,
    ) -> PyResult<Vec<String>> {
        let pause = duration("seconds", seconds)?;
        self.with_core(py, |sim| sim.pause_clients(hub, connection_id, pause))
    }

    /// Moves the simulator's clock forward by `seconds`.
    fn advance_clock(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let by = duration("seconds", seconds)?;
        self.with_core(py, |sim| {
            sim.advance_clock(by);
            Ok(())
        })
    }

    /// Stops serving and waits for in-flight requests; closing twice is harmless.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run_core(py, || {
            runtime().block_on(self.inner.shutdown());
            Ok(())
        })
    }
}

/// An in-process client of a simulator hub (the core's `VirtualClient`).
#[pyclass(frozen, module = "signalr_rest._native")]
pub struct VirtualClient {
    /// Shared with `wait_for` calls still running.
    inner: Arc<signalr_rest::VirtualClient>,
}

#[pymethods]
impl VirtualClient {
    /// The connection id REST calls address it by.
    #[getter]
    fn connection_id(&self) -> &str {
        self.inner.connection_id()
    }

    /// The user id it connected as.
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner.user_id()
    }

    /// Every invocation received so far, in order, as `(target, arguments)`.
    fn received<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let messages = run_core(py, || Ok(self.inner.received()))?;
        messages
            .into_iter()
            .map(|m| Ok((m.target, py_json(py, m.arguments.as_json())?)))
            .collect()
    }

    /// The arguments of the first invocation of `target`, waiting up to `timeout` seconds.
    fn wait_for(&self, target: String, timeout: f64) -> PyResult<PendingCall> {
        let timeout = duration("timeout", timeout)?;
        let client = self.inner.clone();
        Ok(PendingCall::new(async move {
            let message = client.wait_for(&target, timeout).await?;
            Ok(Outcome::Arguments(message.arguments))
        }))
    }

    /// Whether the service closed this connection.
    fn is_closed(&self, py: Python<'_>) -> PyResult<bool> {
        run_core(py, || Ok(self.inner.is_closed()))
    }

    /// The reason given when the service closed the connection, if any.
    fn close_reason(&self, py: Python<'_>) -> PyResult<Option<String>> {
        run_core(py, || Ok(self.inner.close_reason()))
    }

    /// Disconnects from the hub, leaving every group.
    fn disconnect(&self, py: Python<'_>) -> PyResult<()> {
        run_core(py, || {
            self.inner.disconnect();
            Ok(())
        })
    }
}
