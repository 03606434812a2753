//! A started core call that Python either waits for (sync API) or awaits (asyncio API).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use signalr_rest::runtime::Blocking;
use signalr_rest::{Arguments, Error, NegotiateResponse};

use crate::convert::py_json;
use crate::error::{from_panic, to_py_err};

/// How often a blocking wait looks for Ctrl-C and other signals.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(50);

/// What a finished core call gives back to Python.
pub enum Outcome {
    /// Success without a value: `None`.
    Done,
    /// An exists-check: `bool`.
    Flag(bool),
    /// The arguments of a received invocation: `list`.
    Arguments(Arguments),
    /// A string, such as a client token: `str`.
    Text(String),
    /// A negotiate answer: `(url, access_token)`.
    Negotiated(NegotiateResponse),
}

impl<'py> IntoPyObject<'py> for Outcome {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self {
            Outcome::Done => Ok(py.None().into_bound(py)),
            Outcome::Flag(flag) => Ok(flag.into_pyobject(py)?.to_owned().into_any()),
            Outcome::Arguments(arguments) => py_json(py, arguments.as_json()),
            Outcome::Text(text) => Ok(text.into_pyobject(py)?.into_any()),
            Outcome::Negotiated(answer) => {
                Ok((answer.url, answer.access_token).into_pyobject(py)?.into_any())
            }
        }
    }
}

/// A core call with its errors and panics already converted to Python exceptions.
pub type CoreFuture = Pin<Box<dyn Future<Output = PyResult<Outcome>> + Send>>;

/// The runtime the in-process simulator runs on.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    signalr_rest::runtime::shared()
}

/// Runs synchronous core code with the GIL released (so core threads that log never wait for
/// it) and turns a panic into `SignalRError`.
pub fn run_core<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(work)))
        .map_err(from_panic)?
        .map_err(to_py_err)
}

/// A core call not yet run; `wait()` or `future()` runs it, once.
#[pyclass(frozen, module = "signalr_rest._native")]
pub struct PendingCall {
    future: Mutex<Option<CoreFuture>>,
}

impl PendingCall {
    /// Wraps a core future; its errors and panics become Python exceptions.
    pub fn new(future: impl Future<Output = Result<Outcome, Error>> + Send + 'static) -> Self {
        let guarded = AssertUnwindSafe(future)
            .catch_unwind()
            .map(|result| match result {
                Ok(outcome) => outcome.map_err(to_py_err),
                Err(panic) => Err(from_panic(panic)),
            });
        PendingCall {
            future: Mutex::new(Some(Box::pin(guarded))),
        }
    }

    fn take(&self) -> PyResult<CoreFuture> {
        self.future
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this call has already been run"))
    }
}

#[pymethods]
impl PendingCall {
    /// Runs the call to the end with the GIL released; a signal (Ctrl-C) cancels it. While few
    /// threads wait at once, the call's I/O runs on this thread too (see `Blocking`).
    fn wait(&self, py: Python<'_>) -> PyResult<Outcome> {
        let mut call = Blocking::start(self.take()?).map_err(to_py_err)?;
        loop {
            match py.detach(|| call.wait(SIGNAL_CHECK_INTERVAL)) {
                Some(result) => return result,
                // Returning the signal handler's error drops the call, which cancels it.
                None => py.check_signals()?,
            }
        }
    }

    /// An asyncio future of the call; cancelling it drops the call (and its request).
    fn future<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::asyncio::future_of(py, self.take()?)
    }
}

/// A call that panics inside the core's runtime: lets tests check that panics surface as
/// `SignalRError` instead of crashing the interpreter.
#[pyfunction]
#[pyo3(name = "_panicking_call")]
pub fn panicking_call(message: String) -> PendingCall {
    PendingCall::new(async move {
        if !message.is_empty() {
            panic!("{message}");
        }
        Ok(Outcome::Done)
    })
}
