//! Where a REST call's bearer token comes from: the access key, or a provider of the app's.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Map;

use super::AccessKey;
use crate::error::Result;

/// The future a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>>;

/// Supplies bearer tokens minted elsewhere, for apps that must not hold the access key.
///
/// `audience` is the request URL without its query, the `aud` the service expects.
/// A failure should be returned as [`crate::Error::Unauthorized`] with `status: None`.
pub trait TokenProvider: Send + Sync {
    /// A bearer token for a request to `audience`.
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a>;
}

/// How REST calls are authenticated.
#[derive(Clone)]
pub enum Credential {
    /// Sign HS256 tokens locally with the access key, each valid for `lifetime`.
    AccessKey {
        /// The key tokens are signed with.
        key: AccessKey,
        /// How long each token is valid.
        lifetime: Duration,
    },
    /// Ask the provider for every request.
    Provider(Arc<dyn TokenProvider>),
}

impl Credential {
    /// A bearer token for a request to `audience`.
    pub async fn token(&self, audience: &str) -> Result<String> {
        match self {
            Credential::AccessKey { key, lifetime } => key.sign(audience, *lifetime, &Map::new()),
            Credential::Provider(provider) => provider.token(audience).await,
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::AccessKey { lifetime, .. } => {
                write!(f, "AccessKey(***, lifetime {lifetime:?})")
            }
            Credential::Provider(_) => f.write_str("Provider"),
        }
    }
}
