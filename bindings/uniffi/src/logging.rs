//! The library's log events (the core's `tracing` events, such as the debug event of each
//! request attempt) forwarded to one sink implemented in Kotlin (to SLF4J) or Swift (to a
//! closure or `os.Logger`). The sink is installed once as the process's tracing subscriber.
//!
//! The sink's level is read when it is installed and on `refresh_log_levels`, not per event:
//! asking the foreign logger on every event would be a call into the JVM or Swift per request,
//! which at tens of thousands of requests a second costs more than the request. Events the
//! sink does not take are then skipped where they are made, as tracing caches that per callsite.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The severity of a log event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something looks wrong but the call goes on.
    Warn,
    /// What a running simulator does (each request it serves).
    Info,
    /// Details such as each request attempt (method, path, outcome, attempt, elapsed).
    Debug,
    /// Finest details.
    Trace,
}

impl From<&Level> for LogLevel {
    fn from(level: &Level) -> Self {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

/// Receives the library's log events; implemented in Kotlin or Swift. Called on the thread
/// that logs, so it should return quickly; what it throws is ignored.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    /// One event: its `level`, `target` (the Rust module, e.g.
    /// `signalr_rest::client::transport`) and `message` with its fields as `name=value`.
    fn log(&self, level: LogLevel, target: String, message: String);

    /// The most detailed level the sink takes (e.g. its logger's level), or none for no events.
    /// Read when the sink is installed and by `refresh_log_levels`.
    fn max_level(&self) -> Option<LogLevel>;
}

/// The levels the sink can be set to, from none to the finest this library forwards (debug).
const FILTERS: [LevelFilter; 5] = [
    LevelFilter::OFF,
    LevelFilter::ERROR,
    LevelFilter::WARN,
    LevelFilter::INFO,
    LevelFilter::DEBUG,
];

/// The sink's level, as an index into [`FILTERS`].
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);

/// The most detailed level forwarded.
fn max_level() -> LevelFilter {
    FILTERS[usize::from(MAX_LEVEL.load(Ordering::Relaxed))]
}

/// Reads the installed sink's level again, so a logger level changed since takes effect.
#[uniffi::export]
pub fn refresh_log_levels() {
    let sink = current().read().unwrap_or_else(|e| e.into_inner()).clone();
    let index = match sink.and_then(|sink| sink.max_level()) {
        None => 0,
        Some(LogLevel::Error) => 1,
        Some(LogLevel::Warn) => 2,
        Some(LogLevel::Info) => 3,
        Some(LogLevel::Debug | LogLevel::Trace) => 4,
    };
    MAX_LEVEL.store(index, Ordering::Relaxed);
    tracing::callsite::rebuild_interest_cache();
}

/// The installed sink; replaced by each `install_log_sink`.
fn current() -> &'static RwLock<Option<Arc<dyn LogSink>>> {
    static SINK: OnceLock<RwLock<Option<Arc<dyn LogSink>>>> = OnceLock::new();
    SINK.get_or_init(|| RwLock::new(None))
}

/// Sends this library's events (targets `signalr_rest...`, up to debug) to `sink`, replacing
/// any sink installed before. The first call makes the forwarding layer the process's tracing
/// subscriber; if the process already has one, events keep going there instead. Reads the
/// sink's level (see `refresh_log_levels`).
#[uniffi::export]
pub fn install_log_sink(sink: Arc<dyn LogSink>) {
    *current().write().unwrap_or_else(|e| e.into_inner()) = Some(sink);
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Fails only when a subscriber is already set; there is nothing better to do then.
        let _ = tracing_subscriber::registry().with(SinkLayer).try_init();
    });
    refresh_log_levels();
}

/// Whether events like `metadata` go to the sink: the library's own (hyper's and reqwest's would
/// flood a foreign logger), at the sink's level or coarser.
fn forwarded(metadata: &Metadata<'_>) -> bool {
    *metadata.level() <= max_level() && metadata.target().starts_with("signalr_rest")
}

/// The tracing layer that hands events to the installed sink.
struct SinkLayer;

impl<S: Subscriber> Layer<S> for SinkLayer {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if forwarded(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        forwarded(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(max_level())
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(sink) = current().read().unwrap_or_else(|e| e.into_inner()).clone() else {
            return;
        };
        let mut line = Line::default();
        event.record(&mut line);
        let metadata = event.metadata();
        sink.log(metadata.level().into(), metadata.target().to_string(), line.0);
    }
}

/// An event as one line: the message, then ` name=value` for each other field.
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let sep = if self.0.is_empty() { "" } else { " " };
        let _ = if field.name() == "message" {
            write!(self.0, "{sep}{value:?}")
        } else {
            write!(self.0, "{sep}{}={value:?}", field.name())
        };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A sink that records events and takes them up to the level it is given.
    struct Recorder {
        events: Mutex<Vec<(LogLevel, String, String)>>,
        level: Mutex<Option<LogLevel>>,
    }

    impl LogSink for Recorder {
        fn log(&self, level: LogLevel, target: String, message: String) {
            self.events.lock().unwrap().push((level, target, message));
        }

        fn max_level(&self) -> Option<LogLevel> {
            *self.level.lock().unwrap()
        }
    }

    fn attempt() {
        tracing::debug!(target: "signalr_rest::client::transport", path = "/api/x", attempt = 1, "request attempt");
    }

    #[test]
    fn the_library_s_events_reach_the_sink_at_its_level_read_on_refresh() {
        let recorder = Arc::new(Recorder {
            events: Mutex::default(),
            level: Mutex::new(Some(LogLevel::Debug)),
        });
        install_log_sink(recorder.clone());
        attempt();
        tracing::debug!(target: "hyper::proto", "not ours");
        tracing::trace!(target: "signalr_rest::client", "too fine");
        let taken = |recorder: &Recorder| std::mem::take(&mut *recorder.events.lock().unwrap());
        assert_eq!(
            taken(&recorder),
            vec![(
                LogLevel::Debug,
                "signalr_rest::client::transport".to_string(),
                "request attempt path=\"/api/x\" attempt=1".to_string()
            )]
        );

        // A level changed in the logger counts once refreshed, not before.
        *recorder.level.lock().unwrap() = Some(LogLevel::Info);
        attempt();
        assert_eq!(taken(&recorder).len(), 1);
        refresh_log_levels();
        attempt();
        tracing::info!(target: "signalr_rest::simulator", "served");
        assert_eq!(
            taken(&recorder),
            vec![(
                LogLevel::Info,
                "signalr_rest::simulator".to_string(),
                "served".to_string()
            )]
        );

        *recorder.level.lock().unwrap() = None;
        refresh_log_levels();
        tracing::error!(target: "signalr_rest::client", "failed");
        assert!(taken(&recorder).is_empty());

        *recorder.level.lock().unwrap() = Some(LogLevel::Trace);
        refresh_log_levels();
        attempt();
        tracing::trace!(target: "signalr_rest::client", "still too fine");
        assert_eq!(taken(&recorder).len(), 1);
    }
}
