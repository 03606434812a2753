//! Azure SignalR Service data-plane REST API (v1 and 2022-06-01): a client for every operation, its auth,
//! and a local simulator that behaves like the service.
//!
//! ```no_run
//! # async fn demo() -> signalr_rest::Result<()> {
//! use signalr_rest::{PayloadMessage, ServiceClient};
//! let client = ServiceClient::from_connection_string("Endpoint=http://127.0.0.1:8888;AccessKey=key;Version=1.0;")?;
//! let chat = client.hub("chat")?;
//! chat.send_to_all(&PayloadMessage::new("newMessage", vec!["hello".into()]), &[]).await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod auth;
pub mod client;
pub mod error;
#[cfg(feature = "listener")]
pub mod listener;
pub mod model;
pub mod protocol;
pub mod runtime;
pub mod settings;
#[cfg(feature = "simulator")]
pub mod simulator;
#[cfg(feature = "upstream")]
pub mod upstream;

pub use auth::{ClientTokenOptions, ConnectionString, NegotiateResponse, TokenProvider};
pub use client::{ApiVersion, HubClient, RetryPolicy, ServiceClient, ServiceClientBuilder};
pub use error::{Error, Result};
#[cfg(feature = "listener")]
pub use listener::{HubListener, ListenerEvent, ListenerTimeouts};
pub use model::{Arguments, PayloadMessage};
#[cfg(feature = "simulator")]
pub use simulator::{Simulator, SimulatorOptions, VirtualClient};

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A random string of `len` ASCII letters and digits.
pub(crate) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}
