//! uniffi binding of signalr-rest for Swift and Kotlin: converts arguments to core types and
//! core errors to one error enum; nothing here decides behaviour.
//!
//! Arguments and received messages cross as JSON text so each language encodes them with its
//! own tools. The packages in `swift/` and `kotlin/` wrap the generated code. Options are read
//! by the core's `signalr_rest::settings` (lowerCamelCase names, seconds), so a bad value is
//! refused with the same words as in every other language.

mod cancel;
mod client;
mod error;
mod logging;
mod simulator;
#[cfg(feature = "test-panic")]
mod test_panic;
mod token_provider;
mod upstream;

use std::time::Duration;

use signalr_rest::settings::Convention;

pub use cancel::Cancellation;
pub use client::{ClientOptions, HubClient, NegotiateOptions, NegotiateResponse, ServiceClient};
pub use error::SignalRError;
pub use logging::{install_log_sink, LogLevel, LogSink};
pub use simulator::{
    ConnectionInfo, FaultRule, GroupInfo, InjectedFault, ReceivedMessage, Simulator, SimulatorOptions,
    UpstreamCall, UserGroupMapping, VirtualClient,
};
pub use token_provider::TokenProvider;
pub use upstream::{
    parse_upstream_request, upstream_completion_body, HubProtocol, NameValue, UpstreamContext, UpstreamEvent,
};

uniffi::setup_scaffolding!();

/// How Kotlin and Swift write options: lowerCamelCase names, lengths of time in seconds.
pub(crate) const CONVENTION: Convention = Convention::CAMEL_SECONDS;

/// A number of seconds from Swift or Kotlin as a `Duration`, checked by the core's settings
/// rules (negative, NaN and infinite values are refused naming `field`, the core's snake_case
/// name, as the caller writes it).
pub(crate) fn seconds(field: &str, value: f64) -> Result<Duration, signalr_rest::Error> {
    CONVENTION.duration(field, value)
}

/// The version of the core library (`signalr_rest::VERSION`), the packages' version.
#[uniffi::export]
pub fn version() -> String {
    signalr_rest::VERSION.to_string()
}
