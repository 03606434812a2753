//! uniffi binding of signalr-rest for Swift and Kotlin: converts arguments to core types and
//! core errors to one error enum; nothing here decides behaviour.
//!
//! Arguments and received messages cross as JSON text so each language encodes them with its
//! own tools. The packages in `swift/` and `kotlin/` wrap the generated code.

mod cancel;
mod client;
mod error;
mod simulator;
#[cfg(feature = "test-panic")]
mod test_panic;
mod token_provider;
mod upstream;

use std::time::Duration;

pub use cancel::Cancellation;
pub use client::{ClientOptions, HubClient, NegotiateOptions, NegotiateResponse, ServiceClient};
pub use error::SignalRError;
pub use simulator::{
    ConnectionInfo, GroupInfo, ReceivedMessage, Simulator, SimulatorOptions, UpstreamCall, UserGroupMapping,
    VirtualClient,
};
pub use token_provider::TokenProvider;
pub use upstream::{
    parse_upstream_request, upstream_completion_body, HubProtocol, NameValue, UpstreamContext, UpstreamEvent,
};

uniffi::setup_scaffolding!();

/// A number of seconds from Swift or Kotlin as a `Duration`; negative, NaN and infinite values
/// are refused naming `field` and the value.
pub(crate) fn seconds(field: &str, value: f64) -> Result<Duration, signalr_rest::Error> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        signalr_rest::Error::invalid(
            field,
            format!("{field} must be a finite number of 0 or more seconds, got {value}"),
        )
    })
}
