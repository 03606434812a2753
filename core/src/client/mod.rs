//! REST client: [`ServiceClient`] for a service endpoint, [`HubClient`] for the 14 hub operations.

mod hub;
mod pool;
mod retry;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;
use url::Url;

pub use hub::HubClient;
pub use retry::RetryPolicy;
pub use transport::ERROR_CODE_HEADER;

use crate::auth::{
    client_url, parse_endpoint, AccessKey, ClientTokenOptions, ConnectionString, Credential,
    NegotiateResponse, TokenProvider, DEFAULT_TOKEN_LIFETIME,
};
use crate::error::{Error, Result};
use crate::model::validate_hub;
use pool::HttpPools;
use transport::Transport;

/// Characters left as they are in a path segment: RFC 3986 unreserved; all else is encoded.
pub(crate) const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Default time one HTTP request may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The data-plane REST API version a client speaks.
///
/// Operations that exist only in 2022-06-01 and later (closing many connections, removing a
/// connection from all groups, generating client tokens) always use that version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    /// `/api/v1/hubs/{app}_{hub}/...`, the version this client started with (default).
    #[default]
    V1,
    /// `/api/hubs/{hub}/...?application={app}&api-version=2022-06-01`, what Microsoft's SDKs send.
    V2022_06_01,
}

impl ApiVersion {
    /// Reads `1.0` (or `v1`, `1`) and `2022-06-01`, naming the value when it is neither.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "1.0" | "v1" => Ok(ApiVersion::V1),
            "2022-06-01" => Ok(ApiVersion::V2022_06_01),
            other => Err(Error::invalid(
                "api_version",
                format!("api version {other:?} is not supported; use \"1.0\" or \"2022-06-01\""),
            )),
        }
    }

    /// `1.0` or `2022-06-01`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ApiVersion::V1 => "1.0",
            ApiVersion::V2022_06_01 => "2022-06-01",
        }
    }
}

/// A client of one service endpoint; cheap to clone, all clones share one connection pool.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    endpoint: Url,
    client_endpoint: Option<Url>,
    application_name: Option<String>,
    api_version: ApiVersion,
    transport: Transport,
}

/// Builds a [`ServiceClient`] from a connection string or from parts.
#[derive(Clone, Default)]
pub struct ServiceClientBuilder {
    endpoint: Option<String>,
    client_endpoint: Option<String>,
    access_key: Option<String>,
    token_provider: Option<Arc<dyn TokenProvider>>,
    connection_string: Option<String>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    application_name: Option<String>,
    token_lifetime: Option<Duration>,
    api_version: ApiVersion,
    sdk: Option<(String, String)>,
}

impl ServiceClientBuilder {
    /// Takes endpoint, key and client endpoint from a connection string. One whose `AuthType`
    /// names Microsoft Entra ID (`aad`, `azure`, `azure.app`, `azure.msi`) needs a
    /// [`token_provider`](Self::token_provider) too.
    pub fn connection_string(mut self, text: impl Into<String>) -> Self {
        self.connection_string = Some(text.into());
        self
    }
    /// The service endpoint, e.g. `https://x.service.signalr.net`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }
    /// The endpoint SignalR clients are sent to by negotiate, when it differs.
    pub fn client_endpoint(mut self, url: impl Into<String>) -> Self {
        self.client_endpoint = Some(url.into());
        self
    }
    /// Sign tokens locally with this access key.
    pub fn access_key(mut self, key: impl Into<String>) -> Self {
        self.access_key = Some(key.into());
        self
    }
    /// Get every request's token from `provider` instead of an access key.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.token_provider = Some(provider);
        self
    }
    /// Time one HTTP request may take (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Retry policy (default: 3 retries with exponential backoff).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
    /// Prefix hub names with `{name}_`, to share one service between applications.
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application_name = Some(name.into());
        self
    }
    /// Names the language package and its runtime in the `User-Agent`
    /// (`signalr-rest-{language}/{version} ({runtime}; {os} {arch})`); bindings set this,
    /// Rust apps keep the default `rust`.
    pub fn sdk(mut self, language: impl Into<String>, runtime: impl Into<String>) -> Self {
        self.sdk = Some((language.into(), runtime.into()));
        self
    }
    /// The REST API version to speak (default [`ApiVersion::V1`]).
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }
    /// Lifetime of the REST tokens signed with the access key (default 1 h).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = Some(lifetime);
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<ServiceClient> {
        let parsed = self
            .connection_string
            .as_deref()
            .map(ConnectionString::parse)
            .transpose()?;
        let endpoint = match (&self.endpoint, &parsed) {
            (Some(text), _) => parse_endpoint("endpoint", text)?,
            (None, Some(cs)) => cs.endpoint.clone(),
            (None, None) => {
                return Err(Error::invalid(
                    "endpoint",
                    "give an endpoint or a connection string",
                ))
            }
        };
        let client_endpoint = match &self.client_endpoint {
            Some(text) => Some(parse_endpoint("client_endpoint", text)?),
            None => parsed.as_ref().and_then(|cs| cs.client_endpoint.clone()),
        };
        let lifetime = self.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME);
        let entra_auth_type = parsed
            .as_ref()
            .filter(|cs| cs.requires_token_provider())
            .and_then(|cs| cs.auth_type.clone());
        let key = match self.access_key {
            Some(key) => Some(AccessKey::new(key)?),
            None => parsed.and_then(|cs| cs.access_key),
        };
        let credential = match (self.token_provider, key, entra_auth_type) {
            (Some(provider), _, _) => Credential::Provider(provider),
            (None, Some(key), _) => Credential::AccessKey { key, lifetime },
            (None, None, Some(auth_type)) => {
                return Err(Error::invalid(
                    "credential",
                    format!(
                        "the connection string has AuthType={auth_type} (Microsoft Entra ID), so \
                         this client cannot sign tokens itself: pass a token provider that gets \
                         Entra tokens for the service"
                    ),
                ))
            }
            (None, None, None) => {
                return Err(Error::invalid(
                    "credential",
                    "give an access key or a token provider",
                ))
            }
        };
        if let Some(app) = &self.application_name {
            validate_hub(app).map_err(|_| {
                Error::invalid(
                    "application_name",
                    format!("application name {app:?} must start with a letter and hold only letters, digits and _"),
                )
            })?;
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid("timeout", "timeout must be greater than zero"));
        }
        let (language, runtime) = self.sdk.unwrap_or_else(|| ("rust".into(), "rust".into()));
        let user_agent = user_agent(self.application_name.as_deref(), &language, &runtime);
        let http = Arc::new(HttpPools::new(user_agent)?);
        Ok(ServiceClient {
            inner: Arc::new(Inner {
                endpoint,
                client_endpoint,
                application_name: self.application_name.map(|a| a.to_ascii_lowercase()),
                api_version: self.api_version,
                transport: Transport {
                    http,
                    credential,
                    timeout,
                    retry: self.retry.unwrap_or_default(),
                },
            }),
        })
    }
}

/// `[{app} ]signalr-rest-{language}/{version} ({runtime}; {os} {arch})`.
fn user_agent(application: Option<&str>, language: &str, runtime: &str) -> String {
    let agent = format!(
        "signalr-rest-{language}/{} ({runtime}; {} {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    match application {
        Some(app) => format!("{app} {agent}"),
        None => agent,
    }
}

impl ServiceClient {
    /// A client from a connection string, with default timeout and retries.
    pub fn from_connection_string(text: &str) -> Result<Self> {
        Self::builder().connection_string(text).build()
    }

    /// A builder for the other settings.
    pub fn builder() -> ServiceClientBuilder {
        ServiceClientBuilder::default()
    }

    /// The REST endpoint, without trailing slash.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str().trim_end_matches('/')
    }

    /// The REST API version this client speaks.
    pub fn api_version(&self) -> ApiVersion {
        self.inner.api_version
    }

    /// The application name hubs are prefixed with, lower case.
    pub fn application_name(&self) -> Option<&str> {
        self.inner.application_name.as_deref()
    }

    /// A client for hub `name`; fails if the name breaks the hub rules.
    pub fn hub(&self, name: &str) -> Result<HubClient> {
        validate_hub(name)?;
        Ok(HubClient::new(self.clone(), name.to_ascii_lowercase()))
    }

    /// `GET /api/v1/health` (v1) or `HEAD /api/health` (2022-06-01): Ok when the service answers 2xx.
    pub async fn health(&self) -> Result<()> {
        let (method, url) = match self.inner.api_version {
            ApiVersion::V1 => (Method::GET, self.url(&["api", "v1", "health"])),
            ApiVersion::V2022_06_01 => (Method::HEAD, self.url(&["api", "health"])),
        };
        let answer = self.inner.transport.call(method, url, None).await?;
        if answer.status.is_success() {
            Ok(())
        } else {
            Err(Error::Service {
                status: answer.status.as_u16(),
                body: answer.body,
            })
        }
    }

    /// The URL a SignalR client connects to for `hub`.
    pub fn client_url(&self, hub: &str) -> Result<String> {
        validate_hub(hub)?;
        let endpoint = self
            .inner
            .client_endpoint
            .as_ref()
            .unwrap_or(&self.inner.endpoint);
        Ok(client_url(endpoint.as_str(), &self.hub_path_name(hub)))
    }

    /// A token for a SignalR client of `hub`; needs the access key.
    pub fn client_access_token(&self, hub: &str, options: &ClientTokenOptions) -> Result<String> {
        let url = self.client_url(hub)?;
        if let Some(user) = &options.user_id {
            crate::model::validate_id("user_id", user)?;
        }
        match &self.inner.transport.credential {
            Credential::AccessKey { key, .. } => crate::auth::client_access_token(key, &url, options),
            Credential::Provider(_) => Err(Error::invalid(
                "credential",
                "client tokens are signed with the access key; this client has a token provider",
            )),
        }
    }

    /// The `{url, accessToken}` answer an app's negotiate endpoint returns, the token signed
    /// locally with the access key.
    pub fn negotiate(&self, hub: &str, options: &ClientTokenOptions) -> Result<NegotiateResponse> {
        Ok(NegotiateResponse {
            access_token: self.client_access_token(hub, options)?,
            url: self.client_url(hub)?,
        })
    }

    /// The negotiate answer with a token the service generates (`:generateToken`): how apps
    /// negotiate when they hold no access key (Microsoft Entra ID with a token provider).
    pub async fn negotiate_with_service(
        &self,
        hub: &str,
        options: &ClientTokenOptions,
    ) -> Result<NegotiateResponse> {
        let access_token = self.hub(hub)?.generate_client_token(options).await?;
        Ok(NegotiateResponse {
            access_token,
            url: self.client_url(hub)?,
        })
    }

    pub(crate) fn hub_path_name(&self, hub: &str) -> String {
        match &self.inner.application_name {
            Some(app) => format!("{app}_{}", hub.to_ascii_lowercase()),
            None => hub.to_ascii_lowercase(),
        }
    }

    /// The endpoint with each segment percent-encoded appended.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.endpoint.clone();
        let mut path = url.path().trim_end_matches('/').to_string();
        for segment in segments {
            path.push('/');
            path.extend(percent_encoding::utf8_percent_encode(segment, PATH_SEGMENT));
        }
        url.set_path(&path);
        url
    }

    /// The pooled HTTP client for a call on this thread, for the listener's negotiate call.
    #[cfg(feature = "listener")]
    pub(crate) fn http(&self) -> Result<reqwest::Client> {
        self.inner.transport.http.client()
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ServiceClient {
        ServiceClient::from_connection_string("Endpoint=http://localhost:8888;AccessKey=k;Version=1.0")
            .unwrap()
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        let url = client().url(&["api", "v1", "hubs", "chat", "users", "a/b?c#d% é🙂"]);
        assert_eq!(
            url.as_str(),
            "http://localhost:8888/api/v1/hubs/chat/users/a%2Fb%3Fc%23d%25%20%C3%A9%F0%9F%99%82"
        );
    }

    #[test]
    fn client_url_uses_the_client_endpoint_and_lower_cases_the_hub() {
        let c = ServiceClient::builder()
            .connection_string("Endpoint=http://a;AccessKey=k;ClientEndpoint=https://b")
            .application_name("App")
            .build()
            .unwrap();
        assert_eq!(c.client_url("Chat").unwrap(), "https://b/client/?hub=app_chat");
    }

    #[test]
    fn negotiate_carries_the_user_in_nameid() {
        let c = client();
        let options = ClientTokenOptions {
            user_id: Some("alice".into()),
            ..Default::default()
        };
        let answer = c.negotiate("chat", &options).unwrap();
        let key = AccessKey::new("k").unwrap();
        let claims = crate::auth::verify_token(&answer.access_token, &key, &answer.url).unwrap();
        assert_eq!(claims.user_id(), Some("alice"));
        assert_eq!(answer.url, "http://localhost:8888/client/?hub=chat");
    }

    #[test]
    fn the_user_agent_names_app_language_version_runtime_and_platform() {
        let agent = user_agent(Some("shop"), "python", "CPython 3.11.7");
        let expected = format!(
            "shop signalr-rest-python/{} (CPython 3.11.7; {} {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        assert_eq!(agent, expected);
        assert!(user_agent(None, "rust", "rust 1.80").starts_with("signalr-rest-rust/"));
    }

    #[test]
    fn builder_refuses_missing_credentials_and_bad_names() {
        let err = ServiceClient::builder().endpoint("http://a").build().unwrap_err();
        assert!(err.to_string().contains("access key"), "{err}");
        let err = client().hub("1abc").unwrap_err();
        assert!(err.to_string().contains("1abc"), "{err}");
    }
}
