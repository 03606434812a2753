//! asyncio futures of core calls. Finished calls go back to their event loops in batches:
//! one GIL acquisition and one loop wake-up per batch rather than per call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use tokio::task::AbortHandle;

use crate::pending::{runtime, CoreFuture, Outcome};

/// Held by the delivering thread while it hands a batch to Python.
static DELIVERING: Mutex<()> = Mutex::new(());
/// Set at interpreter exit: from then on nothing is handed to Python.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// A finished call on its way to the future its event loop waits on.
struct Completion {
    event_loop: Py<PyAny>,
    future: Py<PyAny>,
    result: PyResult<Outcome>,
}

/// An `asyncio.Future` on the running loop, resolved when `call` finishes; cancelling the
/// future aborts the call.
pub fn future_of<'py>(py: Python<'py>, call: CoreFuture) -> PyResult<Bound<'py, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let event_loop = GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()?;
    let future = event_loop.call_method0("create_future")?;
    // An async token provider's coroutine runs on this loop (see token_provider.rs).
    let call = crate::token_provider::EVENT_LOOP.scope(Arc::new(event_loop.clone().unbind()), call);
    let completion = (event_loop.unbind(), future.clone().unbind());
    let task = runtime().spawn(async move {
        let result = call.await;
        let (event_loop, future) = completion;
        // The receiver lives as long as the process.
        let _ = completions().send(Completion {
            event_loop,
            future,
            result,
        });
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
        let _delivering = DELIVERING.lock().unwrap_or_else(|p| p.into_inner());
        if STOPPED.load(Ordering::Acquire) {
            return;
        }
        Python::attach(|py| {
            let mut by_loop: Vec<(Py<PyAny>, Vec<Resolution>)> = Vec::new();
            for completion in batch {
                let resolution = match completion.result.and_then(|o| o.into_pyobject(py)) {
                    Ok(value) => (completion.future, true, value.unbind()),
                    Err(error) => (completion.future, false, error.into_value(py).into_any()),
                };
                match by_loop.iter_mut().find(|(l, _)| l.is(&completion.event_loop)) {
                    Some((_, resolutions)) => resolutions.push(resolution),
                    None => by_loop.push((completion.event_loop, vec![resolution])),
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
    py.detach(|| drop(DELIVERING.lock()));
}

/// Whether interpreter exit has begun, after which no thread of ours may call into Python.
pub fn delivery_stopped() -> bool {
    STOPPED.load(Ordering::Acquire)
}

fn resolver(py: Python<'_>) -> PyResult<&Py<PyCFunction>> {
    static RESOLVE: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();
    RESOLVE.get_or_try_init(py, || Ok(wrap_pyfunction!(resolve, py)?.unbind()))
}

/// Runs on the event loop: sets each `(future, ok, value)`'s result or exception, unless the
/// future is already done (cancelled).
#[pyfunction]
fn resolve(resolutions: Vec<(Bound<'_, PyAny>, bool, Bound<'_, PyAny>)>) -> PyResult<()> {
    for (future, ok, value) in resolutions {
        if future.call_method0("done")?.is_truthy()? {
            continue;
        }
        let method = if ok { "set_result" } else { "set_exception" };
        future.call_method1(method, (value,))?;
    }
    Ok(())
}
