//! `ServiceClient` and `HubClient`: core calls with arguments converted from JSON text and
//! numbers of seconds, each async operation cancellable.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use signalr_rest::runtime::Blocking;
use signalr_rest::settings::{ClientSettings, TokenSettings};
use signalr_rest::{ApiVersion, ClientTokenOptions, Error, PayloadMessage, ServiceClientBuilder};

use crate::cancel::{cancellable, on_clone, Cancellation};
use crate::error::SignalRError;
use crate::token_provider::{ForeignTokenProvider, TokenProvider};
use crate::{seconds, CONVENTION};

/// Client settings; absent fields keep the core defaults (30 s timeout, 3 retries, 1 h tokens).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ClientOptions {
    /// Time one HTTP request may take, in seconds.
    #[uniffi(default)]
    pub timeout_seconds: Option<f64>,
    /// Attempts after the first one; 0 disables retries.
    #[uniffi(default)]
    pub max_retries: Option<i64>,
    /// Wait before the first retry, in seconds; doubles each time.
    #[uniffi(default)]
    pub retry_initial_delay_seconds: Option<f64>,
    /// Upper bound of any wait between retries, in seconds.
    #[uniffi(default)]
    pub retry_max_delay_seconds: Option<f64>,
    /// Prefix hub names with `{name}_`, to share one service between applications.
    #[uniffi(default)]
    pub application_name: Option<String>,
    /// The REST API version to speak: `1.0` (default) or `2022-06-01`.
    #[uniffi(default)]
    pub api_version: Option<String>,
    /// The endpoint SignalR clients are sent to (`client_url`, negotiate), when it differs
    /// from the REST one.
    #[uniffi(default)]
    pub client_endpoint: Option<String>,
    /// Lifetime of the REST tokens signed with the access key, in seconds (default 3600).
    #[uniffi(default)]
    pub token_lifetime_seconds: Option<f64>,
    /// The language package in the `User-Agent` (`kotlin`, `swift`); set by the packages.
    #[uniffi(default)]
    pub sdk_language: Option<String>,
    /// The runtime in the `User-Agent` (`JVM 17.0.2`, `Swift`); set by the packages.
    #[uniffi(default)]
    pub sdk_runtime: Option<String>,
}

/// The canonical text (`1.0` or `2022-06-01`) of an API version written as `text`; an invalid
/// argument naming it otherwise.
#[uniffi::export]
pub fn parse_api_version(text: String) -> Result<String, SignalRError> {
    Ok(ApiVersion::parse(&text)?.as_str().to_string())
}

/// Client token settings for `negotiate` (and, without claims, for service-generated tokens).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct NegotiateOptions {
    /// Put into the token's `nameid`: sends to this user reach the client.
    #[uniffi(default)]
    pub user_id: Option<String>,
    /// How long the token is valid, in seconds (default 1 h).
    #[uniffi(default)]
    pub lifetime_seconds: Option<f64>,
    /// Extra claims as JSON object text.
    #[uniffi(default)]
    pub claims_json: Option<String>,
}

/// The `{url, accessToken}` an app's negotiate endpoint returns to a SignalR client.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NegotiateResponse {
    /// Where the client connects: `{endpoint}/client/?hub={hub}`.
    pub url: String,
    /// The client's token for that URL.
    pub access_token: String,
}

/// A client of one service endpoint; all hub clients made from it share one connection pool.
#[derive(Debug, uniffi::Object)]
pub struct ServiceClient {
    inner: signalr_rest::ServiceClient,
}

#[uniffi::export(async_runtime = "tokio")]
impl ServiceClient {
    /// A client from `Endpoint=...;AccessKey=...;Version=1.0;` and settings.
    #[uniffi::constructor]
    pub fn from_connection_string(
        connection_string: String,
        options: ClientOptions,
    ) -> Result<Arc<Self>, SignalRError> {
        let settings = ClientSettings {
            connection_string: Some(connection_string),
            ..options.settings()
        };
        Self::build(settings.builder(CONVENTION)?, &options)
    }

    /// A client of `endpoint` that signs each request's token with `access_key`.
    #[uniffi::constructor]
    pub fn from_endpoint(
        endpoint: String,
        access_key: String,
        options: ClientOptions,
    ) -> Result<Arc<Self>, SignalRError> {
        let settings = ClientSettings {
            endpoint: Some(endpoint),
            access_key: Some(access_key),
            ..options.settings()
        };
        Self::build(settings.builder(CONVENTION)?, &options)
    }

    /// A client of `endpoint` that asks `provider` for every request's token, for apps that
    /// must not hold the access key.
    #[uniffi::constructor]
    pub fn with_token_provider(
        endpoint: String,
        provider: Arc<dyn TokenProvider>,
        options: ClientOptions,
    ) -> Result<Arc<Self>, SignalRError> {
        let settings = ClientSettings {
            endpoint: Some(endpoint),
            ..options.settings()
        };
        let builder = settings
            .builder(CONVENTION)?
            .token_provider(Arc::new(ForeignTokenProvider(provider)));
        Self::build(builder, &options)
    }

    /// The REST endpoint, without trailing slash.
    pub fn endpoint(&self) -> String {
        self.inner.endpoint().to_string()
    }

    /// The REST API version spoken: `1.0` or `2022-06-01`.
    pub fn api_version(&self) -> String {
        self.inner.api_version().as_str().to_string()
    }

    /// The application name hubs are prefixed with (lower case), if any.
    pub fn application_name(&self) -> Option<String> {
        self.inner.application_name().map(str::to_string)
    }

    /// A client for hub `name`; fails if the name breaks the hub rules.
    pub fn hub(&self, name: String) -> Result<Arc<HubClient>, SignalRError> {
        let inner = self.inner.hub(&name)?;
        Ok(Arc::new(HubClient { inner }))
    }

    /// Succeeds when the service answers its health check.
    pub async fn health(&self, cancel: Option<Arc<Cancellation>>) -> Result<(), SignalRError> {
        on_clone(
            &self.inner,
            cancel,
            move |inner| async move { inner.health().await },
        )
        .await
    }

    /// The URL a SignalR client connects to for `hub`.
    pub fn client_url(&self, hub: String) -> Result<String, SignalRError> {
        Ok(self.inner.client_url(&hub)?)
    }

    /// The negotiate answer for a SignalR client of `hub`; needs the access key.
    pub fn negotiate(
        &self,
        hub: String,
        options: NegotiateOptions,
    ) -> Result<NegotiateResponse, SignalRError> {
        let answer = self.inner.negotiate(&hub, &token_options(options)?)?;
        Ok(answer.into())
    }

    /// The negotiate answer for a SignalR client of `hub`, with a token the service generates.
    pub async fn negotiate_with_service(
        &self,
        hub: String,
        options: NegotiateOptions,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<NegotiateResponse, SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            let answer = inner
                .negotiate_with_service(&hub, &token_options(options)?)
                .await?;
            Ok(answer.into())
        })
        .await
    }
}

impl From<signalr_rest::NegotiateResponse> for NegotiateResponse {
    fn from(answer: signalr_rest::NegotiateResponse) -> Self {
        NegotiateResponse {
            url: answer.url,
            access_token: answer.access_token,
        }
    }
}

impl ClientOptions {
    /// The options the core's settings read (everything but the credential and the SDK name).
    fn settings(&self) -> ClientSettings {
        ClientSettings {
            client_endpoint: self.client_endpoint.clone(),
            timeout: self.timeout_seconds,
            max_retries: self.max_retries,
            retry_initial_delay: self.retry_initial_delay_seconds,
            retry_max_delay: self.retry_max_delay_seconds,
            application_name: self.application_name.clone(),
            api_version: self.api_version.clone(),
            token_lifetime: self.token_lifetime_seconds,
            ..ClientSettings::default()
        }
    }
}

impl ServiceClient {
    fn build(mut builder: ServiceClientBuilder, options: &ClientOptions) -> Result<Arc<Self>, SignalRError> {
        if let Some(language) = &options.sdk_language {
            let runtime = options.sdk_runtime.clone().unwrap_or_else(|| language.clone());
            builder = builder.sdk(language.clone(), runtime);
        }
        Ok(Arc::new(ServiceClient {
            inner: builder.build()?,
        }))
    }
}

/// The client-token options, read by the core's `TokenSettings`.
fn token_options(options: NegotiateOptions) -> Result<ClientTokenOptions, Error> {
    let settings = TokenSettings {
        user_id: options.user_id,
        lifetime_seconds: options.lifetime_seconds,
        claims_json: options.claims_json,
    };
    settings.options(CONVENTION)
}

/// Who a send reaches.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum Recipients {
    /// Every connection of the hub.
    All,
    /// Every connection of user `user_id`.
    User { user_id: String },
    /// One connection.
    Connection { connection_id: String },
    /// Every connection in `group`.
    Group { group: String },
}

/// One send: its recipients, the client method `target` and its arguments as JSON array text.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Outgoing {
    /// Who gets it.
    pub recipients: Recipients,
    /// The client method to invoke.
    pub target: String,
    /// Its arguments, a JSON array text.
    pub arguments_json: String,
    /// Connection ids left out (sends to all and to a group only).
    #[uniffi(default)]
    pub excluded: Vec<String>,
    /// Stops the send once fired.
    #[uniffi(default)]
    pub cancel: Option<Arc<Cancellation>>,
}

/// The send `outgoing` asks for.
async fn sending(inner: signalr_rest::HubClient, outgoing: Outgoing) -> signalr_rest::Result<()> {
    let Outgoing {
        recipients,
        target,
        arguments_json,
        excluded,
        cancel: _,
    } = outgoing;
    let message = PayloadMessage::from_json(target, &arguments_json)?;
    match recipients {
        Recipients::All => inner.send_to_all(&message, &excluded).await,
        Recipients::User { user_id } => inner.send_to_user(&user_id, &message).await,
        Recipients::Connection { connection_id } => inner.send_to_connection(&connection_id, &message).await,
        Recipients::Group { group } => inner.send_to_group(&group, &message, &excluded).await,
    }
}

/// A send [`HubClient::send_blocking`] left running, waited for in turns so that the caller can
/// look for an interrupt between them; dropping it cancels the send and closes its request.
#[derive(uniffi::Object)]
pub struct BlockingSend {
    call: Mutex<Blocking<Result<(), SignalRError>>>,
    cancel: Arc<Cancellation>,
}

#[uniffi::export]
impl BlockingSend {
    /// Waits up to `millis` on this thread: true once the service accepted the send, false
    /// while it runs (and after it ended), its error once it failed.
    pub fn wait(&self, millis: u32) -> Result<bool, SignalRError> {
        let mut call = self.call.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match call.wait(Duration::from_millis(millis.into())) {
            Some(outcome) => outcome.map(|()| true),
            None => Ok(false),
        }
    }

    /// Stops the send from any thread: a `wait` under way returns `Cancelled`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// The operations on one hub (v1's 14 and those 2022-06-01 added); each returns when the service
/// has answered.
#[derive(Debug, uniffi::Object)]
pub struct HubClient {
    inner: signalr_rest::HubClient,
}

#[uniffi::export(async_runtime = "tokio")]
impl HubClient {
    /// The hub name as used in request paths (lower case, application prefix applied).
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Sends `outgoing.target(arguments)` to its recipients. The four sends are one call with one
    /// argument because, from the JVM, each argument crosses JNA separately (an allocation call
    /// and its structures per string): one argument made sends about 40% faster there.
    pub async fn send(&self, outgoing: Outgoing) -> Result<(), SignalRError> {
        let cancel = outgoing.cancel.clone();
        on_clone(&self.inner, cancel, move |inner| sending(inner, outgoing)).await
    }

    /// [`HubClient::send`] for a caller that waits on its own thread (the JVM's `...Blocking`
    /// sends), waiting up to `millis` here: `None` once the service accepted it, or the send
    /// still running, to wait for in further turns. While few threads wait at once, its I/O runs
    /// on this thread, without a hand-off to the runtime's threads. A send that ends in the first
    /// turn costs one native call (from the JVM, each call and each object costs allocations).
    pub fn send_blocking(
        &self,
        outgoing: Outgoing,
        millis: u32,
    ) -> Result<Option<Arc<BlockingSend>>, SignalRError> {
        let cancel = outgoing.cancel.clone().unwrap_or_default();
        let inner = self.inner.clone();
        let mut call = Blocking::start(cancellable(Some(cancel.clone()), sending(inner, outgoing)))?;
        match call.wait(Duration::from_millis(millis.into())) {
            Some(outcome) => outcome.map(|()| None),
            None => Ok(Some(Arc::new(BlockingSend {
                call: Mutex::new(call),
                cancel,
            }))),
        }
    }

    /// Whether the connection is connected.
    pub async fn connection_exists(
        &self,
        connection_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<bool, SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.connection_exists(&connection_id).await
        })
        .await
    }

    /// Closes a connection, giving the client `reason`; closing one already gone succeeds.
    pub async fn close_connection(
        &self,
        connection_id: String,
        reason: Option<String>,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.close_connection(&connection_id, reason.as_deref()).await
        })
        .await
    }

    /// Whether at least one connection is in `group`.
    pub async fn group_exists(
        &self,
        group: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<bool, SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.group_exists(&group).await
        })
        .await
    }

    /// Whether user `user_id` has at least one connection.
    pub async fn user_exists(
        &self,
        user_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<bool, SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.user_exists(&user_id).await
        })
        .await
    }

    /// Adds a connection to `group`; `NotFound` if the connection does not exist.
    pub async fn add_connection_to_group(
        &self,
        group: String,
        connection_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.add_connection_to_group(&group, &connection_id).await
        })
        .await
    }

    /// Removes a connection from `group`; `NotFound` if it was not in it.
    pub async fn remove_connection_from_group(
        &self,
        group: String,
        connection_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.remove_connection_from_group(&group, &connection_id).await
        })
        .await
    }

    /// Whether user `user_id` is mapped to `group`.
    pub async fn user_in_group(
        &self,
        group: String,
        user_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<bool, SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.user_in_group(&group, &user_id).await
        })
        .await
    }

    /// Maps user `user_id` to `group` for `ttl_seconds` (whole seconds; 0 adds only the current
    /// connections), or for at most a year without it.
    pub async fn add_user_to_group(
        &self,
        group: String,
        user_id: String,
        ttl_seconds: Option<f64>,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            let ttl = ttl_seconds.map(|s| seconds("ttl", s)).transpose()?;
            inner.add_user_to_group(&group, &user_id, ttl).await
        })
        .await
    }

    /// Removes user `user_id` from `group`.
    pub async fn remove_user_from_group(
        &self,
        group: String,
        user_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.remove_user_from_group(&group, &user_id).await
        })
        .await
    }

    /// Removes user `user_id` from every group.
    pub async fn remove_user_from_all_groups(
        &self,
        user_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.remove_user_from_all_groups(&user_id).await
        })
        .await
    }

    /// Closes every connection of the hub but the `excluded` ids, giving each client `reason`.
    pub async fn close_all_connections(
        &self,
        excluded: Vec<String>,
        reason: Option<String>,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.close_all_connections(&excluded, reason.as_deref()).await
        })
        .await
    }

    /// Closes every connection in `group` but the `excluded` ids, giving each client `reason`.
    pub async fn close_group_connections(
        &self,
        group: String,
        excluded: Vec<String>,
        reason: Option<String>,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner
                .close_group_connections(&group, &excluded, reason.as_deref())
                .await
        })
        .await
    }

    /// Closes every connection of user `user_id` but the `excluded` ids, giving each `reason`.
    pub async fn close_user_connections(
        &self,
        user_id: String,
        excluded: Vec<String>,
        reason: Option<String>,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner
                .close_user_connections(&user_id, &excluded, reason.as_deref())
                .await
        })
        .await
    }

    /// Takes connection `connection_id` out of every group it is in.
    pub async fn remove_connection_from_all_groups(
        &self,
        connection_id: String,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<(), SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.remove_connection_from_all_groups(&connection_id).await
        })
        .await
    }

    /// A client access token for this hub, generated by the service.
    pub async fn generate_client_token(
        &self,
        options: NegotiateOptions,
        cancel: Option<Arc<Cancellation>>,
    ) -> Result<String, SignalRError> {
        on_clone(&self.inner, cancel, move |inner| async move {
            inner.generate_client_token(&token_options(options)?).await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_refused_naming_the_value() {
        let options = ClientOptions {
            max_retries: Some(-1),
            ..ClientOptions::default()
        };
        let err = ServiceClient::from_connection_string(
            "Endpoint=http://a;AccessKey=k;Version=1.0".into(),
            options,
        )
        .unwrap_err();
        assert!(
            matches!(err, SignalRError::InvalidArgument { ref field, ref detail } if field == "retry.maxRetries" && detail.contains("-1"))
        );
        let err = crate::seconds("retry.initial_delay", -1.0).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { ref field, .. } if field == "retry.initialDelay"),
            "{err}"
        );
        assert!(err.to_string().contains("-1"), "{err}");
        assert!(crate::seconds("ttl", f64::NAN).is_err());
    }

    #[test]
    fn a_client_from_endpoint_and_key_takes_the_client_endpoint_and_token_lifetime() {
        let options = ClientOptions {
            client_endpoint: Some("https://clients.example".into()),
            token_lifetime_seconds: Some(60.0),
            ..ClientOptions::default()
        };
        let client = ServiceClient::from_endpoint("http://a".into(), "k".into(), options).unwrap();
        assert_eq!(
            client.client_url("chat".into()).unwrap(),
            "https://clients.example/client/?hub=chat"
        );
        let bad = ClientOptions {
            token_lifetime_seconds: Some(-1.0),
            ..ClientOptions::default()
        };
        let err = ServiceClient::from_endpoint("http://a".into(), "k".into(), bad).unwrap_err();
        assert!(
            matches!(err, SignalRError::InvalidArgument { ref field, .. } if field == "tokenLifetime"),
            "{err:?}"
        );
    }

    #[test]
    fn api_versions_are_read_by_the_core_and_a_bad_one_is_named() {
        assert_eq!(parse_api_version("2022-06-01".into()).unwrap(), "2022-06-01");
        let options = ClientOptions {
            api_version: Some("2022-06-01".into()),
            ..ClientOptions::default()
        };
        let client = ServiceClient::from_connection_string(
            "Endpoint=http://a;AccessKey=k;Version=1.0".into(),
            options,
        )
        .unwrap();
        assert_eq!(client.api_version(), "2022-06-01");
        let err = parse_api_version("2021-01-01".into()).unwrap_err();
        assert!(
            matches!(err, SignalRError::InvalidArgument { ref field, ref detail } if field == "api_version" && detail.contains("2021-01-01"))
        );
    }
}
