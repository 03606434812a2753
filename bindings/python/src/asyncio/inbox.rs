//! A loop's inbox: finished calls wait in it, and a socket the loop watches (`add_reader`)
//! wakes the loop when the first one arrives; the loop then takes them all on its own thread.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyNotImplementedError, PyOSError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use super::{lock, resolution, settle_all, Finished};

/// The inbox of `event_loop`, made and watched on its first call; `None` for a loop without
/// `add_reader`.
pub(super) fn of(event_loop: &Bound<'_, PyAny>) -> PyResult<Option<Arc<Inbox>>> {
    static DRAINS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = event_loop.py();
    // Keyed weakly: a loop that is gone takes its drain (and its sockets) with it. A loop that
    // cannot watch a socket is kept as `False`.
    let drains = DRAINS.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("weakref")?
                .getattr("WeakKeyDictionary")?
                .call0()?
                .unbind(),
        )
    })?;
    let drains = drains.bind(py);
    let known = drains.call_method1("get", (event_loop,))?;
    if let Ok(drain) = known.cast::<Drain>() {
        return Ok(Some(drain.get().inbox.clone()));
    }
    if !known.is_none() {
        return Ok(None);
    }
    let drain = Drain::watched_by(event_loop)?;
    match &drain {
        Some(drain) => drains.set_item(event_loop, drain)?,
        None => drains.set_item(event_loop, false)?,
    }
    Ok(drain.map(|drain| drain.get().inbox.clone()))
}

/// A loop's finished calls, and the socket pair that wakes the loop when the first one arrives.
/// Both ends live as long as the inbox, so a call finishing after its loop is gone writes to an
/// open socket (never one whose reader has closed, which would raise SIGPIPE).
pub(super) struct Inbox {
    finished: Mutex<Vec<Finished>>,
    wake: UnixStream,
    watched: UnixStream,
}

impl Inbox {
    pub(super) fn push(&self, finished: Finished) {
        let first = {
            let mut waiting = lock(&self.finished);
            waiting.push(finished);
            waiting.len() == 1
        };
        // A full socket buffer means a wake-up is already pending, so the byte is not needed.
        if first {
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// Watches a loop's inbox socket: called by the loop when a byte arrives, it takes every
/// finished call and resolves their futures.
#[pyclass(frozen)]
struct Drain {
    inbox: Arc<Inbox>,
}

impl Drain {
    /// A drain registered with `event_loop.add_reader`; `None` for a loop that has none.
    fn watched_by<'py>(event_loop: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, Drain>>> {
        let (watched, wake) = UnixStream::pair()
            .and_then(|pair| {
                pair.0.set_nonblocking(true)?;
                pair.1.set_nonblocking(true)?;
                Ok(pair)
            })
            .map_err(|e| PyOSError::new_err(format!("cannot make a socket pair: {e}")))?;
        let fd = watched.as_raw_fd();
        let inbox = Arc::new(Inbox {
            finished: Mutex::new(Vec::new()),
            wake,
            watched,
        });
        let drain = Bound::new(event_loop.py(), Drain { inbox })?;
        match event_loop.call_method1("add_reader", (fd, &drain)) {
            Ok(_) => Ok(Some(drain)),
            Err(e) if e.is_instance_of::<PyNotImplementedError>(event_loop.py()) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        // The bytes first, then the calls: a call finished after this takes writes a new byte.
        let mut bytes = [0u8; 64];
        while matches!((&self.inbox.watched).read(&mut bytes), Ok(n) if n > 0) {}
        let finished = std::mem::take(&mut *lock(&self.inbox.finished));
        settle_all(finished.into_iter().map(|(future, result)| {
            let (ok, value) = resolution(py, result);
            (future.into_bound(py), ok, value.into_bound(py))
        }))
    }
}
