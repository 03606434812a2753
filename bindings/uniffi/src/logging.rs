//! The library's log events (the core's `tracing` events, such as the debug event of each
//! request attempt) forwarded to one sink implemented in Kotlin (to SLF4J) or Swift (to a
//! closure or `os.Logger`). The sink is installed once as the process's tracing subscriber.

use std::fmt::{self, Write as _};
use std::sync::{Arc, OnceLock, RwLock};

use tracing::field::{Field, Visit};
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
}

/// The installed sink; replaced by each `install_log_sink`.
fn current() -> &'static RwLock<Option<Arc<dyn LogSink>>> {
    static SINK: OnceLock<RwLock<Option<Arc<dyn LogSink>>>> = OnceLock::new();
    SINK.get_or_init(|| RwLock::new(None))
}

/// Sends this library's events (targets `signalr_rest...`, up to debug) to `sink`, replacing
/// any sink installed before. The first call makes the forwarding layer the process's tracing
/// subscriber; if the process already has one, events keep going there instead.
#[uniffi::export]
pub fn install_log_sink(sink: Arc<dyn LogSink>) {
    *current().write().unwrap_or_else(|e| e.into_inner()) = Some(sink);
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Fails only when a subscriber is already set; there is nothing better to do then.
        let _ = tracing_subscriber::registry().with(SinkLayer).try_init();
    });
}

/// The tracing layer that hands events to the installed sink.
struct SinkLayer;

impl<S: Subscriber> Layer<S> for SinkLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        // The library's own events only: hyper's and reqwest's would flood a foreign logger.
        *metadata.level() <= Level::DEBUG && metadata.target().starts_with("signalr_rest")
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

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(LogLevel, String, String)>>);

    impl LogSink for Recorder {
        fn log(&self, level: LogLevel, target: String, message: String) {
            self.0.lock().unwrap().push((level, target, message));
        }
    }

    #[test]
    fn the_library_s_debug_events_reach_the_sink_and_others_do_not() {
        let recorder = Arc::new(Recorder::default());
        install_log_sink(recorder.clone());
        tracing::debug!(target: "signalr_rest::client::transport", path = "/api/x", attempt = 1, "request attempt");
        tracing::debug!(target: "hyper::proto", "not ours");
        tracing::trace!(target: "signalr_rest::client", "too fine");
        let events = recorder.0.lock().unwrap().clone();
        assert_eq!(
            events,
            vec![(
                LogLevel::Debug,
                "signalr_rest::client::transport".to_string(),
                "request attempt path=\"/api/x\" attempt=1".to_string()
            )]
        );
    }
}
