//! Parsing of `Endpoint=...;AccessKey=...;Version=1.0;` connection strings.

use std::collections::HashMap;
use std::fmt;

use url::Url;

use super::AccessKey;
use crate::error::{Error, Result};

/// A parsed connection string. `Debug` hides the access key.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    /// Service endpoint for REST calls (with `Port` applied, no trailing slash).
    pub endpoint: Url,
    /// The access key, absent when `AuthType` names another scheme.
    pub access_key: Option<AccessKey>,
    /// `Version`, `1.0` when absent.
    pub version: String,
    /// Endpoint given to SignalR clients, when it differs from `endpoint`.
    pub client_endpoint: Option<Url>,
    /// Endpoint for server connections, when it differs from `endpoint`.
    pub server_endpoint: Option<Url>,
    /// `AuthType` as given (e.g. `aad`), when present.
    pub auth_type: Option<String>,
}

const KNOWN_KEYS: [&str; 7] = [
    "endpoint",
    "accesskey",
    "version",
    "port",
    "clientendpoint",
    "serverendpoint",
    "authtype",
];

impl ConnectionString {
    /// Parses `key=value;` pairs (keys case-insensitive, split on the first `=`, no duplicates).
    pub fn parse(text: &str) -> Result<Self> {
        let mut pairs: HashMap<String, String> = HashMap::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                Error::invalid(
                    "connection string",
                    format!("{:?} is not a key=value pair", redact(part)),
                )
            })?;
            let key_lower = key.trim().to_ascii_lowercase();
            if !KNOWN_KEYS.contains(&key_lower.as_str()) {
                return Err(Error::invalid(
                    "connection string",
                    format!("unknown key {:?}; known keys: Endpoint, AccessKey, Version, Port, ClientEndpoint, ServerEndpoint, AuthType", key.trim()),
                ));
            }
            if pairs.insert(key_lower, value.trim().to_string()).is_some() {
                return Err(Error::invalid(
                    "connection string",
                    format!("duplicate key {:?}", key.trim()),
                ));
            }
        }
        let endpoint_text = pairs
            .remove("endpoint")
            .ok_or_else(|| Error::invalid("Endpoint", "connection string has no Endpoint"))?;
        let mut endpoint = parse_endpoint("Endpoint", &endpoint_text)?;
        if let Some(port) = pairs.remove("port") {
            let number: u16 = port.parse().ok().filter(|p| *p != 0).ok_or_else(|| {
                Error::invalid("Port", format!("port {port:?} must be a number from 1 to 65535"))
            })?;
            endpoint
                .set_port(Some(number))
                .map_err(|_| Error::invalid("Port", format!("cannot set port {number} on {endpoint}")))?;
        }
        let auth_type = pairs.remove("authtype").filter(|a| !a.is_empty());
        let access_key = match pairs.remove("accesskey") {
            Some(key) => Some(AccessKey::new(key)?),
            None if auth_type.is_some() => None,
            None => return Err(Error::invalid("AccessKey", "connection string has no AccessKey")),
        };
        let version = pairs.remove("version").unwrap_or_else(|| "1.0".into());
        if !version.starts_with("1.") {
            return Err(Error::invalid(
                "Version",
                format!("version {version:?} is not supported; expected 1.x"),
            ));
        }
        let client_endpoint = pairs
            .remove("clientendpoint")
            .map(|e| parse_endpoint("ClientEndpoint", &e))
            .transpose()?;
        let server_endpoint = pairs
            .remove("serverendpoint")
            .map(|e| parse_endpoint("ServerEndpoint", &e))
            .transpose()?;
        Ok(ConnectionString {
            endpoint,
            access_key,
            version,
            client_endpoint,
            server_endpoint,
            auth_type,
        })
    }

    /// The endpoint as text without a trailing slash.
    pub fn endpoint_str(&self) -> &str {
        self.endpoint.as_str().trim_end_matches('/')
    }
}

/// Keeps an access key out of error messages about a malformed pair.
fn redact(part: &str) -> &str {
    if part.to_ascii_lowercase().starts_with("accesskey") {
        "AccessKey..."
    } else {
        part
    }
}

pub(crate) fn parse_endpoint(field: &str, text: &str) -> Result<Url> {
    let url = Url::parse(text.trim_end_matches('/'))
        .map_err(|e| Error::invalid(field, format!("{text:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid(
            field,
            format!("{text:?} must be an http or https URL with a host"),
        ));
    }
    Ok(url)
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("endpoint", &self.endpoint.as_str())
            .field("access_key", &self.access_key)
            .field("version", &self.version)
            .field("client_endpoint", &self.client_endpoint.as_ref().map(Url::as_str))
            .field("server_endpoint", &self.server_endpoint.as_ref().map(Url::as_str))
            .field("auth_type", &self.auth_type)
            .finish()
    }
}

impl std::str::FromStr for ConnectionString {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: Error) -> String {
        match err {
            Error::InvalidArgument { field, message } => format!("{field}: {message}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn parses_keys_case_insensitively_and_trims_the_endpoint() {
        let cs =
            ConnectionString::parse("endpoint=https://x.service.signalr.net/;ACCESSKEY=abc=;version=1.0;")
                .unwrap();
        assert_eq!(cs.endpoint_str(), "https://x.service.signalr.net");
        assert_eq!(cs.access_key.unwrap().expose(), "abc=");
        assert_eq!(cs.version, "1.0");
    }

    #[test]
    fn port_replaces_the_endpoint_port_and_client_endpoint_is_kept() {
        let cs = ConnectionString::parse(
            "Endpoint=http://localhost;Port=8888;AccessKey=k;Version=1.0;ClientEndpoint=https://public.example",
        )
        .unwrap();
        assert_eq!(cs.endpoint_str(), "http://localhost:8888");
        assert_eq!(cs.client_endpoint.unwrap().as_str(), "https://public.example/");
    }

    #[test]
    fn errors_name_the_bad_key_or_value() {
        let cases = [
            (
                "Endpoint=http://a;Endpoint=http://b;AccessKey=k",
                "duplicate key \"Endpoint\"",
            ),
            ("AccessKey=k", "Endpoint"),
            ("Endpoint=http://a", "AccessKey"),
            ("Endpoint=ftp://a;AccessKey=k", "ftp://a"),
            ("Endpoint=http://a;AccessKey=k;Port=70000", "70000"),
            ("Endpoint=http://a;AccessKey=k;Version=2.0", "2.0"),
            ("Endpoint=http://a;AccessKey=k;Colour=blue", "Colour"),
            ("Endpoint=http://a;AccessKey=k;junk", "junk"),
        ];
        for (text, expected) in cases {
            let err = field_of(ConnectionString::parse(text).unwrap_err());
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn auth_type_allows_a_missing_access_key() {
        let cs = ConnectionString::parse("Endpoint=https://a;AuthType=aad;Version=1.0").unwrap();
        assert!(cs.access_key.is_none());
        assert_eq!(cs.auth_type.as_deref(), Some("aad"));
    }

    #[test]
    fn debug_hides_the_access_key() {
        let cs = ConnectionString::parse("Endpoint=http://a;AccessKey=topsecret").unwrap();
        assert!(!format!("{cs:?}").contains("topsecret"));
    }
}
