//! Node binding of signalr-rest: converts JS values to core types and core errors to JS errors.
//!
//! The JS package in `node/` wraps these classes with options objects, AbortSignal and error
//! classes; nothing here decides behaviour.

mod cancel;
mod client;
mod error;
mod logging;
mod simulator;
#[cfg(feature = "test-panic")]
mod test_panic;
mod token_provider;
// Public so its free #[napi] functions count as used in test builds, where napi registers nothing.
pub mod upstream;

use std::time::Duration;

/// A JS number of seconds as a `Duration`, refusing negative, NaN and infinite values.
pub(crate) fn seconds(field: &str, value: f64) -> Result<Duration, signalr_rest::Error> {
    duration(field, value, 1.0)
}

/// A JS number of milliseconds as a `Duration`, refusing negative, NaN and infinite values.
pub(crate) fn millis(field: &str, value: f64) -> Result<Duration, signalr_rest::Error> {
    duration(field, value, 1000.0)
}

fn duration(field: &str, value: f64, per_second: f64) -> Result<Duration, signalr_rest::Error> {
    Duration::try_from_secs_f64(value / per_second).map_err(|_| {
        // Display writes 1e300 out in full; exponent form keeps the message readable.
        let shown = if value.abs() < 1e15 {
            value.to_string()
        } else {
            format!("{value:e}")
        };
        signalr_rest::Error::invalid(
            field,
            format!("{field} must be a finite number of 0 or more, got {shown}"),
        )
    })
}
