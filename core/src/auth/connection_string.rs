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
    /// The access key; absent when `AuthType` names Microsoft Entra ID (then it is ignored).
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

/// `AuthType` values meaning Microsoft Entra ID (with `ClientId`, `TenantId`, `ClientSecret`
/// or `ClientCert`): the tokens come from Entra, so a token provider must supply them.
const ENTRA_AUTH_TYPES: [&str; 4] = ["aad", "azure", "azure.app", "azure.msi"];

/// Keys read here; the official parser ignores any other, and so do we (with a debug log).
const KNOWN_KEYS: [&str; 11] = [
    "endpoint",
    "accesskey",
    "version",
    "port",
    "clientendpoint",
    "serverendpoint",
    "authtype",
    "clientid",
    "tenantid",
    "clientsecret",
    "clientcert",
];

impl ConnectionString {
    /// Parses `key=value;` pairs the way Microsoft.Azure.SignalR's `ConnectionStringParser`
    /// does: keys case-insensitive, split on the first `=`, duplicates refused, unknown keys and
    /// parts without `=` ignored.
    pub fn parse(text: &str) -> Result<Self> {
        let mut pairs = pairs(text)?;
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
        let access_key = access_key(auth_type.as_deref(), &mut pairs)?;
        let version = pairs.remove("version").unwrap_or_else(|| "1.0".into());
        if !is_supported_version(&version) {
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

    /// Whether `AuthType` names Microsoft Entra ID, so requests need a token provider.
    pub fn requires_token_provider(&self) -> bool {
        self.auth_type.as_deref().is_some_and(is_entra)
    }

    /// The endpoint as text without a trailing slash.
    pub fn endpoint_str(&self) -> &str {
        self.endpoint.as_str().trim_end_matches('/')
    }
}

/// The `key=value` pairs by lower-case key; duplicates refused, the rest ignored with a log.
fn pairs(text: &str) -> Result<HashMap<String, String>> {
    let mut pairs: HashMap<String, String> = HashMap::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            // Only its length: a part without `=` may be a mangled secret.
            tracing::debug!(
                chars = part.len(),
                "ignoring a connection string part without '='"
            );
            continue;
        };
        let key = key.trim();
        let key_lower = key.to_ascii_lowercase();
        if !KNOWN_KEYS.contains(&key_lower.as_str()) {
            tracing::debug!(key, "ignoring an unknown connection string key");
            continue;
        }
        if pairs.insert(key_lower, value.trim().to_string()).is_some() {
            return Err(Error::invalid(
                "connection string",
                format!("duplicate key {key:?}"),
            ));
        }
    }
    Ok(pairs)
}

fn is_entra(auth_type: &str) -> bool {
    ENTRA_AUTH_TYPES.iter().any(|t| t.eq_ignore_ascii_case(auth_type))
}

/// The access key the auth type calls for, after checking the Entra keys it requires.
fn access_key(auth_type: Option<&str>, pairs: &mut HashMap<String, String>) -> Result<Option<AccessKey>> {
    let key = pairs.remove("accesskey");
    match auth_type {
        Some(auth) if is_entra(auth) => {
            check_entra_keys(auth, pairs)?;
            if key.is_some() {
                tracing::debug!(
                    auth_type = auth,
                    "ignoring AccessKey: AuthType uses Microsoft Entra ID"
                );
            }
            Ok(None)
        }
        other => {
            let key = key.ok_or_else(|| {
                let why = match other {
                    Some(auth) => format!(
                        "connection string has no AccessKey (AuthType {auth:?} is not one of {})",
                        ENTRA_AUTH_TYPES.join(", ")
                    ),
                    None => "connection string has no AccessKey".to_string(),
                };
                Error::invalid("AccessKey", why)
            })?;
            Ok(Some(AccessKey::new(key)?))
        }
    }
}

/// `azure.app` needs `ClientId`, `TenantId` and a secret or certificate; `aad` needs the secret
/// or certificate once it names a tenant (without one it means a managed identity).
fn check_entra_keys(auth_type: &str, pairs: &HashMap<String, String>) -> Result<()> {
    let has = |key: &str| pairs.contains_key(key);
    let app = auth_type.eq_ignore_ascii_case("azure.app");
    let aad = auth_type.eq_ignore_ascii_case("aad");
    if app {
        for (key, name) in [("clientid", "ClientId"), ("tenantid", "TenantId")] {
            if !has(key) {
                return Err(Error::invalid(
                    name,
                    format!("AuthType {auth_type:?} needs {name} in the connection string"),
                ));
            }
        }
    }
    let names_a_tenant = has("clientid") && has("tenantid");
    if (app || (aad && names_a_tenant)) && !has("clientsecret") && !has("clientcert") {
        return Err(Error::invalid(
            "ClientSecret",
            format!("AuthType {auth_type:?} with ClientId and TenantId needs ClientSecret or ClientCert"),
        ));
    }
    Ok(())
}

/// `1.` then digits, then optionally letters, digits, `_`, `-` or `.` (the official pattern
/// `^1\.\d+(?:[\w-.]+)?$`).
fn is_supported_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix("1.") else {
        return false;
    };
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
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
            ("Endpoint=http://a;AccessKey=k;Version=1.x", "1.x"),
            (
                "Endpoint=http://a;AuthType=foo",
                "AuthType \"foo\" is not one of aad",
            ),
            ("Endpoint=http://a;AuthType=azure.app;TenantId=t", "ClientId"),
            ("Endpoint=http://a;AuthType=azure.app;ClientId=c", "TenantId"),
            (
                "Endpoint=http://a;AuthType=azure.app;ClientId=c;TenantId=t",
                "ClientSecret or ClientCert",
            ),
            (
                "Endpoint=http://a;AuthType=aad;ClientId=c;TenantId=t",
                "ClientSecret or ClientCert",
            ),
            (
                "Endpoint=http://a;AuthType=aad;ClientId=c;clientid=d",
                "duplicate key \"clientid\"",
            ),
        ];
        for (text, expected) in cases {
            let err = field_of(ConnectionString::parse(text).unwrap_err());
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn unknown_keys_and_parts_without_equals_are_ignored() {
        let cs =
            ConnectionString::parse("Endpoint=http://a;AccessKey=k;Colour=blue;junk;Version=1.0-preview")
                .unwrap();
        assert_eq!(cs.endpoint_str(), "http://a");
        assert_eq!(cs.version, "1.0-preview");
    }

    #[test]
    fn entra_auth_types_need_no_access_key_and_ask_for_a_token_provider() {
        for text in [
            "Endpoint=https://a;AuthType=aad;Version=1.0",
            "Endpoint=https://a;AuthType=AAD;ClientId=c",
            "Endpoint=https://a;AuthType=aad;ClientId=c;TenantId=t;ClientSecret=s",
            "Endpoint=https://a;AuthType=azure",
            "Endpoint=https://a;AuthType=azure.msi;ClientId=c",
            "Endpoint=https://a;AuthType=azure.app;ClientId=c;TenantId=t;ClientCert=/c.pem",
            "Endpoint=https://a;AuthType=aad;AccessKey=ignored",
        ] {
            let cs = ConnectionString::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(cs.access_key.is_none(), "{text}");
            assert!(cs.requires_token_provider(), "{text}");
        }
    }

    #[test]
    fn another_auth_type_with_an_access_key_uses_the_key() {
        let cs = ConnectionString::parse("Endpoint=https://a;AuthType=other;AccessKey=k").unwrap();
        assert_eq!(cs.access_key.unwrap().expose(), "k");
    }

    #[test]
    fn debug_hides_the_access_key() {
        let cs = ConnectionString::parse("Endpoint=http://a;AccessKey=topsecret").unwrap();
        assert!(!format!("{cs:?}").contains("topsecret"));
    }
}
