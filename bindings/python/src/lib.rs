//! Python binding of signalr-rest: the native module `signalr_rest._native`.
//!
//! It only converts: Python values to the core's types and back, core errors to the exceptions
//! of `signalr_rest.errors`, and core futures to blocking calls or asyncio futures. Python-side
//! ergonomics (keyword arguments, `timedelta`, context managers) live in the `signalr_rest`
//! package.

mod asyncio;
mod client;
mod convert;
mod error;
mod pending;
mod simulator;
mod token_provider;
mod upstream;

use std::sync::OnceLock;

use pyo3::prelude::*;

/// Lets Python re-read logger levels, which pyo3-log caches on first use.
static LOG_CACHE: OnceLock<pyo3_log::ResetHandle> = OnceLock::new();

/// Forgets the cached Python logger levels, so changes made with `logging` since take effect.
#[pyfunction]
fn refresh_log_levels() {
    if let Some(handle) = LOG_CACHE.get() {
        handle.reset();
    }
}

/// Runs at interpreter exit (registered with `atexit`): after it, no Rust thread calls into
/// Python, since CPython aborts the process when one does during shutdown.
#[pyfunction]
#[pyo3(name = "_at_exit")]
fn at_exit(py: Python<'_>) {
    log::set_max_level(log::LevelFilter::Off);
    asyncio::stop_delivery(py);
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    // A second import (e.g. a subinterpreter) keeps the logger installed by the first.
    if let Ok(handle) = pyo3_log::try_init() {
        let _ = LOG_CACHE.set(handle);
    }
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("DEV_ACCESS_KEY", signalr_rest::simulator::DEV_ACCESS_KEY)?;
    let at_exit = wrap_pyfunction!(at_exit, module)?;
    module
        .py()
        .import("atexit")?
        .call_method1("register", (at_exit,))?;
    module.add_function(wrap_pyfunction!(refresh_log_levels, module)?)?;
    module.add_function(wrap_pyfunction!(pending::panicking_call, module)?)?;
    module.add_class::<pending::PendingCall>()?;
    module.add_class::<client::ServiceClient>()?;
    module.add_class::<client::HubClient>()?;
    module.add_class::<simulator::Simulator>()?;
    module.add_class::<simulator::VirtualClient>()?;
    module.add_function(wrap_pyfunction!(upstream::upstream_parse_request, module)?)?;
    module.add_function(wrap_pyfunction!(upstream::upstream_completion_body, module)?)?;
    Ok(())
}
