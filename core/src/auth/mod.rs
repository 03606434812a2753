//! Credentials: connection strings, HS256 access tokens, token providers and client tokens.

mod access_key;
mod client_token;
mod connection_string;
mod token_provider;
// Only the simulator checks tokens (and the unit tests that sign and check them).
#[cfg(any(feature = "simulator", test))]
mod verify;

pub use access_key::{AccessKey, DEFAULT_TOKEN_LIFETIME};
pub(crate) use client_token::client_access_token;
pub use client_token::{client_url, ClientTokenOptions, NegotiateResponse};
pub(crate) use connection_string::parse_endpoint;
pub use connection_string::ConnectionString;
pub(crate) use token_provider::Credential;
pub use token_provider::{TokenFuture, TokenProvider};
#[cfg(any(feature = "simulator", test))]
pub(crate) use verify::{verify_token, VerifiedClaims, LEEWAY_SECS};
