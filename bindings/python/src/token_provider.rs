//! Token providers written in Python, adapted to the core's `signalr_rest::TokenProvider`, so an
//! app can authenticate with Microsoft Entra ID instead of holding the access key.
//!
//! The user's provider (a callable `(audience) -> str`, or an `async def` one) arrives wrapped by
//! `signalr_rest._service`, which runs it where it belongs: a sync one on a Python thread pool
//! (joined at interpreter exit, unlike a Rust thread), a coroutine on the asyncio loop the `aio`
//! call was awaited on. Here it is only awaited, without holding a runtime worker.

use std::fmt;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use signalr_rest::auth::TokenFuture;
use signalr_rest::Error;
use tokio::sync::oneshot;

tokio::task_local! {
    /// The asyncio loop an `aio` call was awaited on: where an async provider's coroutine runs.
    pub static EVENT_LOOP: Arc<Py<PyAny>>;
}

/// A Python callable seen by the core; whatever goes wrong becomes `Unauthorized` naming it.
pub struct PyTokenProvider {
    callable: Arc<Py<PyAny>>,
    /// The callable's `__qualname__` (or repr), for error messages.
    name: String,
}

impl PyTokenProvider {
    /// Adapts `callable`; `InvalidArgumentError` when it cannot be called.
    pub fn new(callable: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !callable.is_callable() {
            let type_name = callable.get_type().name()?.to_string();
            return Err(crate::error::invalid(
                "token_provider",
                format!("token_provider must be a callable (audience) -> str, got {type_name}"),
            ));
        }
        let name = callable
            .getattr("__qualname__")
            .and_then(|n| n.extract::<String>())
            .or_else(|_| callable.repr().map(|r| r.to_string()))
            .unwrap_or_else(|_| "?".into());
        Ok(PyTokenProvider {
            callable: Arc::new(callable.clone().unbind()),
            name,
        })
    }

    fn failed(&self, why: impl fmt::Display) -> Error {
        Error::Unauthorized {
            status: None,
            message: format!("the token provider {} failed: {why}", self.name),
        }
    }
}

impl signalr_rest::TokenProvider for PyTokenProvider {
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
        let event_loop = EVENT_LOOP.try_with(Arc::clone).ok();
        Box::pin(async move {
            if crate::asyncio::delivery_stopped() {
                return Err(self.failed("the interpreter is exiting"));
            }
            let (future, result) =
                Python::attach(|py| start(py, &self.callable, audience, event_loop.as_deref()))
                    .map_err(|e| self.failed(e))?;
            let mut cancel = CancelOnDrop(Some(future));
            let result = result.await;
            cancel.disarm();
            match result {
                Ok(Ok(token)) => Ok(token),
                Ok(Err(why)) => Err(self.failed(why)),
                Err(_) => Err(self.failed("it was dropped unfinished")),
            }
        })
    }
}

impl fmt::Debug for PyTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PyTokenProvider({})", self.name)
    }
}

/// The token's `concurrent.futures.Future`, from the package's adapter (`_service.py`):
/// `adapter(audience, event_loop)` runs a sync provider on a thread pool (a sync provider may
/// block: azure-identity fetches tokens over HTTP) and a coroutine on `event_loop`.
type Started = (Py<PyAny>, oneshot::Receiver<Result<String, String>>);

fn start(
    py: Python<'_>,
    adapter: &Py<PyAny>,
    audience: &str,
    event_loop: Option<&Py<PyAny>>,
) -> Result<Started, String> {
    let future = adapter
        .bind(py)
        .call1((audience, event_loop.map(|l| l.bind(py))))
        .map_err(|e| describe(py, &e))?;
    let (sender, result) = oneshot::channel();
    future
        .call_method1(
            "add_done_callback",
            (SendResult {
                sender: Mutex::new(Some(sender)),
            },),
        )
        .map_err(|e| describe(py, &e))?;
    Ok((future.unbind(), result))
}

/// `ValueError: why`: an exception as a line of an error message.
fn describe(py: Python<'_>, error: &PyErr) -> String {
    let type_name = error
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "exception".into());
    format!("{type_name}: {}", error.value(py))
}

/// Done-callback of a scheduled coroutine: hands its token (or why it has none) to Rust.
#[pyclass(frozen)]
struct SendResult {
    sender: Mutex<Option<oneshot::Sender<Result<String, String>>>>,
}

#[pymethods]
impl SendResult {
    fn __call__(&self, py: Python<'_>, future: &Bound<'_, PyAny>) {
        let result = match future.call_method0("result") {
            Ok(value) => value.extract::<String>().map_err(|_| {
                let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                format!("it returned {type_name}, not str")
            }),
            Err(error) => Err(describe(py, &error)),
        };
        if let Some(sender) = self.sender.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // Nobody waits any more when the request was dropped (timed out, cancelled).
            let _ = sender.send(result);
        }
    }
}

/// Cancels a scheduled coroutine whose request was dropped (timed out or cancelled), so a hung
/// provider does not keep running on the loop.
struct CancelOnDrop(Option<Py<PyAny>>);

impl CancelOnDrop {
    fn disarm(&mut self) -> Option<Py<PyAny>> {
        self.0.take()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(future) = self.disarm() else { return };
        if crate::asyncio::delivery_stopped() {
            return;
        }
        Python::attach(|py| {
            // Cancelling a finished future does nothing.
            let _ = future.call_method0(py, "cancel");
        });
    }
}
