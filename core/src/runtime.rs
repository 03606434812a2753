//! The runtimes the language bindings run calls on.
//!
//! Async callers (Python asyncio, Node, Kotlin and Swift) hand each call to [`shared`], whose
//! threads drive it and wake the caller when it ends. A blocking caller (Python's sync API) runs
//! a [`Blocking`] call, which drives the call on the caller's own thread when few callers block
//! at once: the hand-off to another thread and back can cost as much as a whole call on
//! loopback (on 2-core machines here: 11-50 µs against 90-200 µs).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// One multi-threaded tokio runtime for the whole process, started on first use; for callers
/// that have no runtime of their own (Python, Kotlin, Swift), so that concurrent calls' I/O is
/// spread over threads and pooled connections outlive any one call.
pub fn shared() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("signalr-rest")
            .build()
            .expect("cannot start the tokio runtime")
    })
}

/// Lanes not borrowed right now; there are never more lanes than threads that blocked at once.
static IDLE_LANES: Mutex<Vec<LaneRuntime>> = Mutex::new(Vec::new());
/// Lanes made so far (the next lane's number).
static LANES_MADE: AtomicUsize = AtomicUsize::new(0);
/// How long a lane may go undriven before a call on it first lets its connections catch up
/// (see [`Lane::settle`]). Within this, a server's close is as likely to cross the next request
/// on the wire as to arrive before it, a race HTTP keep-alive has whoever drives the
/// connection; skipping the turn saves about 8% of a call on loopback.
const SETTLE_AFTER: Duration = Duration::from_millis(1);
/// Lanes borrowed right now.
static LANES_BORROWED: AtomicUsize = AtomicUsize::new(0);

/// A call a blocking caller waits for, in turns, so that it can do other work (such as looking
/// for Ctrl-C) between them. Dropping it cancels the call.
///
/// While fewer callers block at once than the machine has cores, the call runs on the caller's
/// thread (on a borrowed lane); past that, on [`shared`], whose few threads multiplex many calls'
/// I/O better than many threads each driving their own.
pub struct Blocking<T>(Driver<T>);

/// How a blocking call runs (`None` once it ended). On a lane, the call is dropped before the
/// lane is given back.
enum Driver<T> {
    OnLane(Option<Pin<Box<dyn Future<Output = T> + Send>>>, Lane),
    Shared(Option<JoinHandle<T>>),
}

impl<T: Send + 'static> Blocking<T> {
    /// Starts `call`. Fails on a thread that already drives async work (a tokio runtime's
    /// thread, such as one running a callback of this library), where blocking would stall it.
    pub fn start(call: impl Future<Output = T> + Send + 'static) -> Result<Self> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::invalid(
                "thread",
                "a blocking call cannot run on a thread that drives async work (such as a \
                 callback the library calls); use the async API there",
            ));
        }
        Ok(Blocking(match Lane::borrow()? {
            Some(lane) => Driver::OnLane(Some(Box::pin(call)), lane),
            None => Driver::Shared(Some(shared().spawn(call))),
        }))
    }

    /// Waits up to `at_most` for the call's output; `None` while it is still running, and
    /// after it has given its output. A panic in the call resumes here.
    pub fn wait(&mut self, at_most: Duration) -> Option<T> {
        // Timers are made inside the runtime that drives them.
        match &mut self.0 {
            Driver::OnLane(slot, lane) => {
                let call = slot.as_mut()?;
                let output = lane.block_on(async { tokio::time::timeout(at_most, call).await.ok() });
                if output.is_some() {
                    *slot = None;
                }
                output
            }
            Driver::Shared(slot) => {
                let task = slot.as_mut()?;
                let ended = shared().block_on(async { tokio::time::timeout(at_most, task).await.ok() })?;
                *slot = None;
                Some(ended.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())))
            }
        }
    }
}

impl<T> Drop for Blocking<T> {
    /// Cancels an unfinished call. On a lane, its connection is then given a turn to see that
    /// and close, rather than wait, half used, for the lane's next call.
    fn drop(&mut self) {
        match &mut self.0 {
            Driver::Shared(slot) => {
                if let Some(task) = slot.take() {
                    task.abort();
                }
            }
            Driver::OnLane(slot, lane) => {
                if slot.take().is_some() && tokio::runtime::Handle::try_current().is_err() {
                    lane.settle();
                }
            }
        }
    }
}

thread_local! {
    /// The lane this thread is running a call on, if any.
    static CURRENT_LANE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// A single-threaded runtime with a number; its connections are pooled per client and lane.
struct LaneRuntime {
    number: usize,
    runtime: tokio::runtime::Runtime,
    /// When a call last ran on it: until then its connections read what arrived for them.
    last_driven: Instant,
}

/// A runtime borrowed by one blocking caller, which drives its calls on the caller's own thread.
/// Each client keeps a connection pool per lane, so connections opened on a lane are only used
/// (and their I/O only driven) while a caller has borrowed that lane; dropped, the lane returns
/// to a process-wide pool for the next blocking call.
struct Lane(Option<LaneRuntime>);

impl Lane {
    /// Borrows an idle lane or makes one; `None` when as many are borrowed as there are cores.
    fn borrow() -> Result<Option<Lane>> {
        // Read once: it reads cgroup files on Linux.
        static CORES: OnceLock<usize> = OnceLock::new();
        let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let borrowed = LANES_BORROWED.fetch_add(1, Ordering::AcqRel);
        if borrowed >= cores {
            LANES_BORROWED.fetch_sub(1, Ordering::AcqRel);
            return Ok(None);
        }
        let idle = IDLE_LANES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        if let Some(idle) = idle {
            let mut lane = Lane(Some(idle));
            if lane
                .0
                .as_ref()
                .is_some_and(|l| l.last_driven.elapsed() >= SETTLE_AFTER)
            {
                lane.settle();
            }
            return Ok(Some(lane));
        }
        // Counted as borrowed from here, so an error gives the count back on drop.
        let mut lane = Lane(None);
        lane.0 = Some(LaneRuntime {
            number: LANES_MADE.fetch_add(1, Ordering::Relaxed),
            last_driven: Instant::now(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::Transport(format!("cannot start a runtime: {e}")))?,
        });
        Ok(Some(lane))
    }

    /// Runs `future` on the calling thread until it ends; calls it makes use this lane's
    /// connections.
    fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let lane = self.0.as_mut().expect("a lane is held until dropped");
        let _on_lane = OnLane(CURRENT_LANE.replace(Some(lane.number)));
        let output = lane.runtime.block_on(future);
        lane.last_driven = Instant::now();
        output
    }

    /// Lets the lane's idle connections read what arrived while no one drove them (a server
    /// that closed one), so that a call does not start on a connection already closed. The
    /// first yield lets the runtime poll its I/O, which wakes those connections; the second
    /// lets them run before this returns.
    fn settle(&mut self) {
        self.block_on(async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
        });
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        if let Some(lane) = self.0.take() {
            IDLE_LANES
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(lane);
        }
        LANES_BORROWED.fetch_sub(1, Ordering::AcqRel);
    }
}

/// While alive, this thread runs on a lane; dropped (a panic included), it restores the lane
/// it replaced.
struct OnLane(Option<usize>);

impl Drop for OnLane {
    fn drop(&mut self) {
        CURRENT_LANE.set(self.0);
    }
}

/// The number of the lane this thread is running a call on, if any.
pub(crate) fn current_lane() -> Option<usize> {
    CURRENT_LANE.get()
}
