//! What an app server hands to SignalR clients: the client URL, a client token, negotiate.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{AccessKey, DEFAULT_TOKEN_LIFETIME};
use crate::error::Result;

/// Options of a client access token.
#[derive(Debug, Clone)]
pub struct ClientTokenOptions {
    /// Put into `nameid`; the service routes sends to this user to the client.
    pub user_id: Option<String>,
    /// How long the token is valid (default 1 h).
    pub lifetime: Duration,
    /// Extra claims carried into the connection.
    pub claims: Map<String, Value>,
}

impl Default for ClientTokenOptions {
    fn default() -> Self {
        ClientTokenOptions {
            user_id: None,
            lifetime: DEFAULT_TOKEN_LIFETIME,
            claims: Map::new(),
        }
    }
}

/// The negotiate answer an app server returns to a SignalR client as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NegotiateResponse {
    /// Where the SignalR client connects: `{client endpoint}/client/?hub={hub}`.
    pub url: String,
    /// The client token it presents there.
    pub access_token: String,
}

/// `{endpoint}/client/?hub={hub}` for an already prefixed, lower-case hub path name.
pub fn client_url(endpoint: &str, hub_path_name: &str) -> String {
    let hub = percent_encoding::utf8_percent_encode(hub_path_name, crate::client::PATH_SEGMENT);
    format!("{}/client/?hub={hub}", endpoint.trim_end_matches('/'))
}

pub(crate) fn client_access_token(
    key: &AccessKey,
    url: &str,
    options: &ClientTokenOptions,
) -> Result<String> {
    let mut claims = options.claims.clone();
    if let Some(user) = &options.user_id {
        claims.insert("nameid".into(), user.clone().into());
    }
    key.sign(url, options.lifetime, &claims)
}
