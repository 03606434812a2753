//! Checking a bearer token the way the service does (used by the simulator).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::AccessKey;

/// Tokens longer than this are refused.
pub const MAX_TOKEN_LEN: usize = 4096;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub(crate) const LEEWAY_SECS: u64 = 60;

/// The claims of a token that passed [`verify_token`].
#[derive(Debug, Clone, Deserialize)]
pub struct VerifiedClaims {
    /// The audience the token was signed for.
    pub aud: String,
    /// Every claim, including the ones above.
    #[serde(flatten)]
    pub all: Map<String, Value>,
}

impl VerifiedClaims {
    /// The user id: `asrs.s.uid`, else `nameid`, else `sub`.
    pub fn user_id(&self) -> Option<&str> {
        ["asrs.s.uid", "nameid", "sub"]
            .iter()
            .find_map(|claim| self.all.get(*claim).and_then(Value::as_str))
            .filter(|id| !id.is_empty())
    }
}

/// Verifies signature, lifetime and audience; the error says why the token is refused.
pub fn verify_token(token: &str, key: &AccessKey, expected_audience: &str) -> Result<VerifiedClaims, String> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "token is {} characters, at most {MAX_TOKEN_LEN} allowed",
            token.len()
        ));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "aud"]);
    let data = decode::<VerifiedClaims>(
        token,
        &DecodingKey::from_secret(key.expose().as_bytes()),
        &validation,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => "the signature is invalid".to_string(),
        ErrorKind::ExpiredSignature => "the token is expired".to_string(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_string(),
        ErrorKind::InvalidAlgorithm => "the token must be signed with HS256".to_string(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no {claim:?} claim"),
        _ => format!("the token is malformed: {e}"),
    })?;
    if !audience_matches(&data.claims.aud, expected_audience) {
        return Err(format!(
            "the audience {:?} does not match {expected_audience:?}",
            data.claims.aud
        ));
    }
    Ok(data.claims)
}

/// Compares two URLs on scheme, host (case-insensitive), path (decoded, trailing `/` ignored)
/// and the `hub` query parameter; port and other query parameters are ignored, except that an
/// audience naming an `application` or `api-version` (as the 2022-06-01 SDKs sign) must name
/// the same ones as the request.
pub fn audience_matches(audience: &str, expected: &str) -> bool {
    // The common case, a client signing exactly the URL it calls, needs no parsing.
    if audience == expected {
        return true;
    }
    match (Url::parse(audience), Url::parse(expected)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
                && decoded_path(&a).eq_ignore_ascii_case(&decoded_path(&b))
                && hub_param(&a) == hub_param(&b)
                && ["application", "api-version"]
                    .iter()
                    .all(|name| signed_param_matches(&a, &b, name))
        }
        _ => false,
    }
}

fn decoded_path(url: &Url) -> String {
    let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy();
    path.trim_end_matches('/').to_string()
}

/// True when the audience does not name `name`, or names the request's value of it.
fn signed_param_matches(audience: &Url, expected: &Url, name: &str) -> bool {
    let value = |url: &Url| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    value(audience).is_none_or(|signed| value(expected) == Some(signed))
}

fn hub_param(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == "hub")
        .map(|(_, v)| v.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key() -> AccessKey {
        AccessKey::new("k").unwrap()
    }

    #[test]
    fn audience_ignores_port_query_case_of_host_and_trailing_slash() {
        assert!(audience_matches(
            "http://LOCALHOST:1/api/v1/hubs/chat/",
            "http://localhost:2/api/v1/hubs/chat?x=1"
        ));
        assert!(audience_matches(
            "http://h/api/v1/hubs/chat/users/a%2Fb",
            "http://h/api/v1/hubs/chat/users/a/b"
        ));
        assert!(!audience_matches(
            "https://h/api/v1/hubs/chat",
            "http://h/api/v1/hubs/chat"
        ));
        assert!(!audience_matches(
            "http://h/api/v1/hubs/other",
            "http://h/api/v1/hubs/chat"
        ));
        assert!(audience_matches(
            "http://h/client/?hub=Chat",
            "http://h/client?hub=chat&id=1"
        ));
        assert!(!audience_matches(
            "http://h/client/?hub=a",
            "http://h/client/?hub=b"
        ));
        let request = "http://h/api/hubs/chat/:send?application=app&api-version=2022-06-01";
        for signed in [
            "http://h/api/hubs/chat/:send?application=app&api-version=2022-06-01",
            "http://h/api/hubs/chat/:send?api-version=2022-06-01&application=App",
            "http://h/api/hubs/chat/:send",
        ] {
            assert!(audience_matches(signed, request), "{signed}");
        }
        for signed in [
            "http://h/api/hubs/chat/:send?application=other&api-version=2022-06-01",
            "http://h/api/hubs/chat/:send?api-version=2024-01-01",
        ] {
            assert!(!audience_matches(signed, request), "{signed}");
        }
    }

    #[test]
    fn refusals_say_why() {
        let aud = "http://h/api/v1/hubs/chat";
        let token = key().sign(aud, Duration::from_secs(60), &Map::new()).unwrap();
        let other = AccessKey::new("other").unwrap();
        assert!(verify_token(&token, &other, aud)
            .unwrap_err()
            .contains("signature"));
        assert!(verify_token(&token, &key(), "http://h/api/v1/hubs/x")
            .unwrap_err()
            .contains("audience"));
        assert!(verify_token("garbage", &key(), aud)
            .unwrap_err()
            .contains("malformed"));
        assert!(verify_token(&"a".repeat(5000), &key(), aud)
            .unwrap_err()
            .contains("4096"));
    }

    #[test]
    fn user_id_prefers_asrs_uid_then_nameid_then_sub() {
        let mut claims = Map::new();
        claims.insert("sub".into(), "s".into());
        let aud = "http://h/client/?hub=chat";
        let sign = |c: &Map<String, Value>| key().sign(aud, Duration::from_secs(60), c).unwrap();
        assert_eq!(
            verify_token(&sign(&claims), &key(), aud).unwrap().user_id(),
            Some("s")
        );
        claims.insert("nameid".into(), "n".into());
        assert_eq!(
            verify_token(&sign(&claims), &key(), aud).unwrap().user_id(),
            Some("n")
        );
        claims.insert("asrs.s.uid".into(), "u".into());
        assert_eq!(
            verify_token(&sign(&claims), &key(), aud).unwrap().user_id(),
            Some("u")
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn signed(key: &str, audience: &str) -> String {
            AccessKey::new(key)
                .unwrap()
                .sign(audience, Duration::from_secs(600), &Map::new())
                .unwrap()
        }

        proptest! {
            #[test]
            fn a_token_verifies_for_its_key_and_audience_only(
                key in "[ -~]{1,64}",
                other_key in "[ -~]{1,64}",
                path in "(/[a-z0-9]{1,8}){1,4}",
            ) {
                let audience = format!("http://h{path}");
                let token = signed(&key, &audience);
                let right = AccessKey::new(key.clone()).unwrap();
                prop_assert!(verify_token(&token, &right, &audience).is_ok());
                let elsewhere = format!("http://h{path}/x");
                prop_assert!(verify_token(&token, &right, &elsewhere).is_err());
                if other_key != key {
                    let wrong = AccessKey::new(other_key).unwrap();
                    prop_assert!(verify_token(&token, &wrong, &audience).is_err());
                }
            }

            /// Changing any character of a token (but the last of a part, whose spare bits
            /// base64 ignores) makes it fail, with a reason and no panic.
            #[test]
            fn a_changed_token_is_refused(at in any::<prop::sample::Index>(), with in any::<prop::sample::Index>()) {
                const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
                let token = signed("k", "http://h/api");
                let bytes = token.as_bytes();
                // Every position but the last of each part; every character but the one there.
                let changeable: Vec<usize> = (0..bytes.len())
                    .filter(|&i| i + 1 < bytes.len() && bytes[i + 1] != b'.')
                    .collect();
                let i = changeable[at.index(changeable.len())];
                let others: Vec<u8> = ALPHABET.iter().copied().filter(|&c| c != bytes[i]).collect();
                let mut changed = bytes.to_vec();
                changed[i] = others[with.index(others.len())];
                let changed = String::from_utf8(changed).unwrap();
                let refused = verify_token(&changed, &key(), "http://h/api");
                prop_assert!(refused.is_err(), "{changed} was accepted");
            }

            #[test]
            fn any_text_as_a_token_is_refused_without_panicking(token in ".{0,300}") {
                prop_assert!(verify_token(&token, &key(), "http://h/api").is_err());
            }
        }
    }
}
