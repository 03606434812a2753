//! Tokens the REST API has accepted, remembered until they expire: every SDK signs a token
//! once and sends it for its lifetime, and verifying it again on each call (HMAC, base64 and
//! two JSON documents) was the largest part of the simulator's work per request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::auth::{VerifiedClaims, LEEWAY_SECS};

/// Tokens remembered at most; when full, the memory starts over (a sweep would cost more
/// than verifying the few tokens a busy caller set sends again).
const CAPACITY: usize = 1024;

/// Accepted tokens, each with the audience it was accepted for and when it expires.
#[derive(Debug, Default)]
pub(crate) struct AcceptedTokens {
    tokens: Mutex<HashMap<Box<str>, Accepted>>,
}

#[derive(Debug)]
struct Accepted {
    audience: Box<str>,
    /// `exp` plus the leeway verification allows, in seconds since the Unix epoch.
    until: u64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl AcceptedTokens {
    /// True when `token` was accepted for exactly `audience` and has not expired since.
    pub fn contains(&self, token: &str, audience: &str) -> bool {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(token)
            .is_some_and(|accepted| &*accepted.audience == audience && now_secs() <= accepted.until)
    }

    /// Remembers a token that has just passed verification for `audience`.
    pub fn insert(&self, token: &str, audience: &str, claims: &VerifiedClaims) {
        // Verification requires `exp`; a fractional one is cut down, never extended.
        let Some(exp) = claims.all.get("exp").and_then(Value::as_f64) else {
            return;
        };
        let until = (exp.max(0.0) as u64).saturating_add(LEEWAY_SECS);
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(
            token.into(),
            Accepted {
                audience: audience.into(),
                until,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AccessKey;
    use std::time::Duration;

    fn claims(key: &AccessKey, audience: &str, lifetime: Duration) -> (String, VerifiedClaims) {
        let token = key.sign(audience, lifetime, &Default::default()).unwrap();
        let claims = crate::auth::verify_token(&token, key, audience).unwrap();
        (token, claims)
    }

    #[test]
    fn a_token_is_accepted_again_only_for_its_audience() {
        let key = AccessKey::new("0123456789abcdef0123456789").unwrap();
        let accepted = AcceptedTokens::default();
        let (token, verified) = claims(&key, "http://h/api/v1/hubs/a", Duration::from_secs(60));
        assert!(!accepted.contains(&token, "http://h/api/v1/hubs/a"));
        accepted.insert(&token, "http://h/api/v1/hubs/a", &verified);
        assert!(accepted.contains(&token, "http://h/api/v1/hubs/a"));
        assert!(!accepted.contains(&token, "http://h/api/v1/hubs/b"));
        assert!(!accepted.contains("another", "http://h/api/v1/hubs/a"));
    }

    #[test]
    fn an_expired_token_is_not_remembered_past_its_leeway() {
        let accepted = AcceptedTokens::default();
        let mut expired: VerifiedClaims = serde_json::from_value(serde_json::json!({
            "aud": "http://h/", "exp": now_secs() - LEEWAY_SECS - 1,
        }))
        .unwrap();
        accepted.insert("t", "http://h/", &expired);
        assert!(!accepted.contains("t", "http://h/"));
        expired.all.insert("exp".into(), (now_secs() + 5).into());
        accepted.insert("t", "http://h/", &expired);
        assert!(accepted.contains("t", "http://h/"));
    }

    #[test]
    fn the_memory_is_bounded() {
        let accepted = AcceptedTokens::default();
        let claims: VerifiedClaims =
            serde_json::from_value(serde_json::json!({"aud": "a", "exp": now_secs() + 60})).unwrap();
        for n in 0..CAPACITY + 1 {
            accepted.insert(&n.to_string(), "a", &claims);
        }
        assert!(accepted.tokens.lock().unwrap().len() <= CAPACITY);
        assert!(accepted.contains(&CAPACITY.to_string(), "a"));
    }
}
