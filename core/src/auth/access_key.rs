//! The shared secret and the HS256 tokens signed with it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Lifetime of REST and client tokens when none is given.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The service's access key; never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey(String);

impl AccessKey {
    /// Wraps a key, refusing an empty one.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        if key.is_empty() {
            return Err(Error::invalid("AccessKey", "access key must not be empty"));
        }
        Ok(AccessKey(key))
    }

    /// A random 43-character key, for simulators that were given none.
    pub fn random() -> Self {
        AccessKey(crate::random_id(43))
    }

    /// The key itself: the HS256 secret is its UTF-8 bytes (not base64-decoded).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Signs an HS256 token for `audience` valid for `lifetime`, with `claims` added.
    pub fn sign(&self, audience: &str, lifetime: Duration, claims: &Map<String, Value>) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| Error::Transport(format!("system clock before 1970: {e}")))?
            .as_secs();
        let mut body = claims.clone();
        body.insert("aud".into(), audience.into());
        body.insert("iat".into(), now.into());
        body.insert("nbf".into(), now.into());
        body.insert("exp".into(), now.saturating_add(lifetime.as_secs()).into());
        encode(
            &Header::new(Algorithm::HS256),
            &body,
            &EncodingKey::from_secret(self.0.as_bytes()),
        )
        .map_err(|e| Error::Transport(format!("cannot sign token: {e}")))
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey(***)")
    }
}

impl fmt::Display for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_or_display() {
        let key = AccessKey::new("s3cret-key").unwrap();
        assert!(!format!("{key:?} {key}").contains("s3cret"));
    }

    #[test]
    fn a_signed_token_verifies_with_the_key_bytes() {
        let key = AccessKey::new("k").unwrap();
        let token = key
            .sign("http://h/api/v1/hubs/chat", DEFAULT_TOKEN_LIFETIME, &Map::new())
            .unwrap();
        let claims = crate::auth::verify_token(&token, &key, "http://h/api/v1/hubs/chat").unwrap();
        assert!(claims.all["exp"].as_u64().unwrap() > claims.all["iat"].as_u64().unwrap());
    }
}
