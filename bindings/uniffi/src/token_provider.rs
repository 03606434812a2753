//! Token providers implemented in Swift or Kotlin, adapted to the core's
//! `signalr_rest::auth::TokenProvider`, so an app can fetch tokens from its backend instead of
//! holding the access key.

use std::fmt;
use std::sync::Arc;

use signalr_rest::auth::TokenFuture;
use signalr_rest::Error;

use crate::error::SignalRError;

/// Supplies the bearer token of each REST call; implemented in Swift or Kotlin.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// A token for a request to `audience` (the request URL without its query).
    async fn token(&self, audience: String) -> Result<String, SignalRError>;
}

/// A foreign provider seen by the core; any failure becomes `Unauthorized` without a status.
pub(crate) struct ForeignTokenProvider(pub Arc<dyn TokenProvider>);

impl signalr_rest::TokenProvider for ForeignTokenProvider {
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
        Box::pin(async move {
            self.0
                .token(audience.to_string())
                .await
                .map_err(|e| Error::Unauthorized {
                    status: None,
                    message: format!("the token provider failed: {e}"),
                })
        })
    }
}

impl fmt::Debug for ForeignTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ForeignTokenProvider")
    }
}
