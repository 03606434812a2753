//! Node binding of signalr-rest: converts JS values to core types and core errors to JS errors.
//!
//! The JS package in `node/` wraps these classes with options objects, AbortSignal and error
//! classes; nothing here decides behaviour.

mod cancel;
mod client;
mod error;
mod json;
mod logging;
mod simulator;
// Public like `upstream`, so clippy of a test-panic test build sees its functions used.
#[cfg(feature = "test-panic")]
pub mod test_panic;
mod token_provider;
// Public so its free #[napi] functions count as used in test builds, where napi registers nothing.
pub mod upstream;

use std::time::Duration;

use napi_derive::napi;
use signalr_rest::settings::Convention;

/// The public, fixed key `signalr-rest serve` uses unless given one (local development only).
#[napi]
pub const DEV_ACCESS_KEY: &str = signalr_rest::simulator::DEV_ACCESS_KEY;

/// A JS number of seconds as a `Duration`; the core's rule, named as written (`lifetimeSeconds`).
pub(crate) fn seconds(field: &str, value: f64) -> Result<Duration, signalr_rest::Error> {
    Convention::CAMEL_SECONDS.duration(field, value)
}

/// A JS number of milliseconds as a `Duration`; `option` is the core's name (`timeout` for
/// `timeoutMs`).
pub(crate) fn millis(option: &str, value: f64) -> Result<Duration, signalr_rest::Error> {
    Convention::CAMEL_MILLIS.duration(option, value)
}
