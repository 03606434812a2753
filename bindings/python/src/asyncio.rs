//! asyncio futures of core calls.
//!
//! A finished call goes back to its event loop without any other thread taking the GIL: the
//! runtime thread puts the result in the loop's inbox and, when the inbox was empty, writes a
//! byte to a socket the loop watches (`add_reader`); the loop then takes every finished call at
//! once, on its own thread. (A delivery thread that took the GIL to call
//! `call_soon_threadsafe` made the loop and that thread wait for each other's GIL.) Loops
//! without `add_reader` (Windows' proactor loop) get their results from a delivery thread, in
//! batches: one GIL acquisition and one loop wake-up per batch rather than per call.

#[cfg(unix)]
mod inbox;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use tokio::task::AbortHandle;

use crate::pending::{CoreFuture, Outcome};

/// Held by the delivering thread while it hands a batch to Python.
static DELIVERING: Mutex<()> = Mutex::new(());
/// Set at interpreter exit: from then on nothing is handed to Python.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// A finished call: the future its loop waits on, and the result.
type Finished = (Py<PyAny>, PyResult<Outcome>);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An `asyncio.Future` on the running loop, resolved when `call` finishes; cancelling the
/// future aborts the call.
pub fn future_of<'py>(py: Python<'py>, call: CoreFuture) -> PyResult<Bound<'py, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let event_loop = GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()?;
    let future = event_loop.call_method0("create_future")?;
    let route = Route::of(&event_loop)?;
    // An async token provider's coroutine runs on this loop (see token_provider.rs).
    let call = crate::token_provider::EVENT_LOOP.scope(Arc::new(event_loop.unbind()), call);
    let waiting = future.clone().unbind();
    let task = signalr_rest::runtime::spawn(async move {
        let result = call.await;
        route.finish((waiting, result));
    });
    future.call_method1(
        "add_done_callback",
        (AbortOnDone {
            task: task.abort_handle(),
        },),
    )?;
    Ok(future)
}

/// Done-callback of a call's future: aborting a finished task does nothing, so only a
/// cancelled future's call is stopped.
#[pyclass(frozen)]
struct AbortOnDone {
    task: AbortHandle,
}

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.task.abort();
    }
}

/// How a loop's finished calls reach it.
enum Route {
    /// Through the loop's inbox, which the loop drains itself.
    #[cfg(unix)]
    Inbox(Arc<inbox::Inbox>),
    /// Through the delivery thread, for a loop without `add_reader`.
    Thread(Py<PyAny>),
}

impl Route {
    /// The route to `event_loop`: its inbox when it can watch a socket, else the delivery
    /// thread.
    fn of(event_loop: &Bound<'_, PyAny>) -> PyResult<Route> {
        #[cfg(unix)]
        if let Some(inbox) = inbox::of(event_loop)? {
            return Ok(Route::Inbox(inbox));
        }
        Ok(Route::Thread(event_loop.clone().unbind()))
    }

    /// Hands a finished call to its loop (on a runtime thread, without the GIL).
    fn finish(self, finished: Finished) {
        match self {
            #[cfg(unix)]
            Route::Inbox(inbox) => inbox.push(finished),
            // The receiver lives as long as the process.
            Route::Thread(event_loop) => {
                let _ = completions().send((event_loop, finished));
            }
        }
    }
}

/// `(ok, value)`: the result or the exception a finished call sets on its future.
fn resolution(py: Python<'_>, result: PyResult<Outcome>) -> (bool, Py<PyAny>) {
    match result.and_then(|o| o.into_pyobject(py)) {
        Ok(value) => (true, value.unbind()),
        Err(error) => (false, error.into_value(py).into_any()),
    }
}

/// Sets each `(future, ok, value)`'s result or exception, unless the future is already done
/// (cancelled). One that fails does not keep the others from being set; the first failure is
/// returned.
fn settle_all<'py>(
    resolutions: impl IntoIterator<Item = (Bound<'py, PyAny>, bool, Bound<'py, PyAny>)>,
) -> PyResult<()> {
    let settle = |future: &Bound<'py, PyAny>, ok: bool, value: &Bound<'py, PyAny>| -> PyResult<()> {
        if future.call_method0("done")?.is_truthy()? {
            return Ok(());
        }
        let method = if ok { "set_result" } else { "set_exception" };
        future.call_method1(method, (value,)).map(drop)
    };
    let mut first_failure = Ok(());
    for (future, ok, value) in resolutions {
        if let Err(failure) = settle(&future, ok, &value) {
            first_failure = first_failure.and(Err(failure));
        }
    }
    first_failure
}

/// A finished call of a loop without `add_reader`, on its way to the delivery thread.
type Completion = (Py<PyAny>, Finished);

fn completions() -> &'static Sender<Completion> {
    static SENDER: OnceLock<Sender<Completion>> = OnceLock::new();
    SENDER.get_or_init(|| {
        let (sender, receiver) = channel();
        std::thread::Builder::new()
            .name("signalr-rest-asyncio".into())
            .spawn(move || deliver(receiver))
            .expect("cannot start the thread that completes asyncio calls");
        sender
    })
}

/// `(future, ok, value)`: what `resolve` sets on one future.
type Resolution = (Py<PyAny>, bool, Py<PyAny>);

/// Hands each batch of finished calls to their loops, one `call_soon_threadsafe` per loop.
fn deliver(completions: Receiver<Completion>) {
    while let Ok(first) = completions.recv() {
        let batch: Vec<Completion> = std::iter::once(first).chain(completions.try_iter()).collect();
        let _delivering = lock(&DELIVERING);
        if STOPPED.load(Ordering::Acquire) {
            return;
        }
        Python::attach(|py| {
            let mut by_loop: Vec<(Py<PyAny>, Vec<Resolution>)> = Vec::new();
            for (event_loop, (future, result)) in batch {
                let (ok, value) = resolution(py, result);
                match by_loop.iter_mut().find(|(l, _)| l.is(&event_loop)) {
                    Some((_, resolutions)) => resolutions.push((future, ok, value)),
                    None => by_loop.push((event_loop, vec![(future, ok, value)])),
                }
            }
            for (event_loop, resolutions) in by_loop {
                let scheduled = resolver(py).and_then(|resolve| {
                    event_loop.call_method1(py, "call_soon_threadsafe", (resolve, resolutions))
                });
                if let Err(error) = scheduled {
                    // The loop has closed: nothing can await these futures any more.
                    tracing::debug!(%error, "asyncio loop gone before its calls finished");
                }
            }
        });
    }
}

/// Stops handing results to Python and waits for a batch in progress, so that no thread of
/// ours touches the interpreter while it shuts down (CPython ends such threads mid-call).
pub fn stop_delivery(py: Python<'_>) {
    STOPPED.store(true, Ordering::Release);
    py.detach(|| drop(lock(&DELIVERING)));
}

/// Whether interpreter exit has begun, after which no thread of ours may call into Python.
pub fn delivery_stopped() -> bool {
    STOPPED.load(Ordering::Acquire)
}

fn resolver(py: Python<'_>) -> PyResult<&Py<PyCFunction>> {
    static RESOLVE: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();
    RESOLVE.get_or_try_init(py, || Ok(wrap_pyfunction!(resolve, py)?.unbind()))
}

/// Runs on the event loop: settles a batch from the delivery thread.
#[pyfunction]
fn resolve(resolutions: Vec<(Bound<'_, PyAny>, bool, Bound<'_, PyAny>)>) -> PyResult<()> {
    settle_all(resolutions)
}
