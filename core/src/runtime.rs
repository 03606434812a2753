//! The runtimes the language bindings run calls on.
//!
//! Async callers (Python asyncio, Node, Kotlin and Swift) hand each call to [`spawn`], which runs
//! it on a call thread: a single-threaded runtime that drives its calls' I/O and wakes the
//! caller when one ends. A blocking caller (Python's sync API, the JVM's blocking sends) runs a
//! [`Blocking`] call, which drives the call on the caller's own thread when few callers block at
//! once: the hand-off to another thread and back can cost as much as a whole call on loopback
//! (on 2-core machines here: 11-50 µs against 90-200 µs). [`shared`] runs the in-process
//! simulator.
//!
//! Why call threads rather than [`shared`]'s work-stealing scheduler: a call handed in from
//! outside a multi-threaded runtime wakes one worker, which on finding it wakes another to keep
//! searching, and again when the answer arrives, so a lone call costs four thread wake-ups
//! instead of two. Measured from plain threads against the simulator on a 2-core machine
//! (2026-12-03): one call at a time 7,100-7,900 calls/s on [`shared`], 9,600-9,800 on a call
//! thread; 64 threads at once 17,900-24,900 and 27,400-28,400.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// One multi-threaded tokio runtime for the whole process, started on first use; for servers
/// started by callers that have no runtime of their own (the bindings' in-process simulators),
/// whose many connections' work it spreads over its threads. Calls go to [`spawn`] instead.
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

/// Runs `call` on a call thread, and gives a handle to its output; dropping the handle does not
/// stop the call, aborting it does.
///
/// A call goes to the first call thread with nothing in flight, so calls made one at a time
/// keep to one thread and its warm connections; when every thread is busy a new one starts, up
/// to one per core, and past that the call joins the thread with the fewest in flight.
pub fn spawn<F>(call: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_on_call_thread(call).0
}

/// [`spawn`], also giving the runtime of the call thread it went to.
fn spawn_on_call_thread<F>(call: F) -> (JoinHandle<F::Output>, &'static tokio::runtime::Handle)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let thread = CallThread::least_busy();
    thread.in_flight.fetch_add(1, Ordering::AcqRel);
    let in_flight = InFlight(&thread.in_flight);
    let task = thread.runtime.spawn(async move {
        let _in_flight = in_flight;
        call.await
    });
    (task, &thread.runtime)
}

/// A thread that does nothing but drive a single-threaded runtime, on which calls run. Each
/// client pools its connections per call thread (as per lane), so a connection's I/O and the
/// calls using it stay on one thread.
struct CallThread {
    runtime: tokio::runtime::Handle,
    /// Calls spawned on it that have not ended.
    in_flight: AtomicUsize,
}

impl CallThread {
    /// The first idle call thread; else a new one while there are fewer than cores; else the
    /// one with the fewest calls in flight.
    fn least_busy() -> &'static CallThread {
        static THREADS: OnceLock<Vec<OnceLock<CallThread>>> = OnceLock::new();
        let threads = THREADS.get_or_init(|| (0..cores()).map(|_| OnceLock::new()).collect());
        let mut least: Option<&CallThread> = None;
        for slot in threads {
            let Some(thread) = slot.get() else {
                return slot.get_or_init(CallThread::start);
            };
            let busy = thread.in_flight.load(Ordering::Acquire);
            if busy == 0 {
                return thread;
            }
            if least.is_none_or(|l| busy < l.in_flight.load(Ordering::Acquire)) {
                least = Some(thread);
            }
        }
        least.expect("there is at least one call thread")
    }

    /// Starts a call thread, with a lane number of its own for the connection pools.
    fn start() -> CallThread {
        let number = LANES_MADE.fetch_add(1, Ordering::Relaxed);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cannot start a call thread's tokio runtime");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name(format!("signalr-rest-call-{number}"))
            .spawn(move || {
                CURRENT_LANE.set(Some(number));
                runtime.block_on(std::future::pending::<()>())
            })
            .expect("cannot start a call thread");
        CallThread {
            runtime: handle,
            in_flight: AtomicUsize::new(0),
        }
    }
}

/// Counts a call as in flight on its thread until the call ends or is aborted.
struct InFlight(&'static AtomicUsize);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The machine's cores as the process may use them, read once (it reads cgroup files on Linux).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
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
/// thread (on a borrowed lane); past that, on a call thread (see [`spawn`]), whose few threads
/// multiplex many calls' I/O better than many threads each driving their own.
pub struct Blocking<T>(Driver<T>);

/// How a blocking call runs (`None` once it ended). On a lane, the call is dropped before the
/// lane is given back.
enum Driver<T> {
    OnLane(Option<Pin<Box<dyn Future<Output = T> + Send>>>, Lane),
    /// On a call thread, whose runtime drives the timer a wait sets.
    OnCallThread(Option<JoinHandle<T>>, &'static tokio::runtime::Handle),
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
            None => {
                let (task, runtime) = spawn_on_call_thread(call);
                Driver::OnCallThread(Some(task), runtime)
            }
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
            Driver::OnCallThread(slot, runtime) => {
                let task = slot.as_mut()?;
                let ended = runtime.block_on(async { tokio::time::timeout(at_most, task).await.ok() })?;
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
            Driver::OnCallThread(slot, _) => {
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
        let borrowed = LANES_BORROWED.fetch_add(1, Ordering::AcqRel);
        if borrowed >= cores() {
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
