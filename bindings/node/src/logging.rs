//! A client's `logger`: the core's tracing events (one per request attempt, retries) during
//! that client's calls, handed to a JS function as `{ level, target, message, fields }` objects.
//!
//! Each client with a logger has its own `tracing` dispatcher, set only while its calls run, so
//! two clients with different loggers never see each other's events and nothing is global.

use std::fmt;
use std::future::Future;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use serde_json::{json, Map, Value};
use tracing::field::{Field, Visit};

use crate::json::Parsed;
use tracing::instrument::WithSubscriber;
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// `(event) => void`, wrapped by lib/logging.js; weak, so it does not keep Node running.
type Sink = ThreadsafeFunction<Parsed, (), Parsed, napi::Status, false, true>;

/// Where a client's events go: nowhere, or its logger.
#[derive(Clone, Default)]
pub(crate) struct Logging {
    dispatch: Option<Dispatch>,
}

impl Logging {
    /// Events for `sink`, a JS function taking one event object.
    pub(crate) fn new(sink: Option<Function<'_, Parsed, ()>>) -> napi::Result<Self> {
        let Some(sink) = sink else {
            return Ok(Logging::default());
        };
        let sink = sink
            .build_threadsafe_function::<Parsed>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        Ok(Logging {
            dispatch: Some(Dispatch::new(JsSubscriber { sink })),
        })
    }

    /// `work` with this client's events going to its logger.
    pub(crate) fn around<F: Future + Send + 'static>(
        &self,
        work: F,
    ) -> std::pin::Pin<Box<dyn Future<Output = F::Output> + Send>> {
        match &self.dispatch {
            Some(dispatch) => Box::pin(work.with_subscriber(dispatch.clone())),
            None => Box::pin(work),
        }
    }
}

/// Forwards the core's events at debug level and above to JS.
struct JsSubscriber {
    sink: Sink,
}

impl JsSubscriber {
    fn wanted(metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::DEBUG && metadata.target().starts_with("signalr_rest")
    }
}

impl Subscriber for JsSubscriber {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // `sometimes`: other clients' dispatchers (or none) share the callsite.
        if Self::wanted(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        Self::wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::DEBUG)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        let event = Parsed::json(&json!({
            "level": metadata.level().as_str().to_ascii_lowercase(),
            "target": metadata.target(),
            "message": fields.message,
            "fields": Value::Object(fields.values),
        }));
        // Non-blocking: a logger that falls behind loses events rather than stalling requests.
        let _ = self.sink.call(event, ThreadsafeFunctionCallMode::NonBlocking);
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// An event's message and its other fields as JSON values.
#[derive(Default)]
struct Fields {
    message: String,
    values: Map<String, Value>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.values.insert(field.name().into(), Value::String(text));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.into();
        } else {
            self.values
                .insert(field.name().into(), Value::String(value.into()));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.values.insert(field.name().into(), json!(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.values.insert(field.name().into(), json!(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.values.insert(field.name().into(), json!(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.values.insert(field.name().into(), json!(value));
    }
}
