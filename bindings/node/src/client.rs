//! `ServiceClient` and `HubClient` for JS: core calls with arguments converted and each
//! async operation spawned as a cancellable Promise.

use std::sync::Arc;

use napi::bindgen_prelude::{Function, Promise, PromiseRaw, ToNapiValue};
use napi::Env;
use napi_derive::napi;
use signalr_rest::settings::{ClientSettings, Convention, TokenSettings};
use signalr_rest::{ClientTokenOptions, PayloadMessage, ServiceClientBuilder};

use crate::cancel::{spawn, Cancellation};
use crate::error::napi_result;
use crate::json::Parsed;
use crate::logging::Logging;
use crate::seconds;
use crate::token_provider::{JsTokenProvider, TokenAnswer};

/// Retry settings; absent fields keep the core defaults.
#[napi(object)]
pub struct RetryOptions {
    pub max_retries: Option<u32>,
    pub initial_delay_ms: Option<f64>,
    pub max_delay_ms: Option<f64>,
}

/// Client settings; absent fields keep the core defaults.
#[napi(object)]
pub struct ClientOptions {
    pub timeout_ms: Option<f64>,
    pub retry: Option<RetryOptions>,
    /// `1.0` or `2022-06-01`.
    pub api_version: Option<String>,
    /// Prefixes hubs with `{name}_` so applications can share one service.
    pub application_name: Option<String>,
    /// Lifetime of the token signed for each request, in seconds.
    pub token_lifetime_seconds: Option<f64>,
    /// Node's version (`process.version`), for the User-Agent.
    pub runtime: Option<String>,
}

/// Client token settings for `negotiate` (and, without claims, the service-generated tokens);
/// `claims_json` is a JSON object text.
#[napi(object)]
pub struct NegotiateOptions {
    pub user_id: Option<String>,
    pub lifetime_seconds: Option<f64>,
    pub claims_json: Option<String>,
}

/// The `{ url, accessToken }` a negotiate endpoint returns to SignalR clients.
#[napi(object)]
pub struct NegotiateResponse {
    pub url: String,
    pub access_token: String,
}

/// A client of one service endpoint.
#[napi]
pub struct ServiceClient {
    inner: signalr_rest::ServiceClient,
    logging: Logging,
}

#[napi]
impl ServiceClient {
    /// A client from a connection string and optional settings; `token_provider` (wrapped by
    /// lib/client.js) signs requests instead of the key.
    #[napi(factory, catch_unwind)]
    pub fn from_connection_string(
        env: &Env,
        connection_string: String,
        options: Option<ClientOptions>,
        token_provider: Option<Function<'_, String, Promise<TokenAnswer>>>,
        #[napi(
            ts_arg_type = "((event: { level: string, target: string, message: string, fields: Record<string, string | number | boolean> }) => void) | undefined | null"
        )]
        logger: Option<Function<'_, Parsed, ()>>,
    ) -> napi::Result<Self> {
        let settings = ClientSettings {
            connection_string: Some(connection_string),
            ..ClientSettings::default()
        };
        build(env, settings, options, token_provider, logger)
    }

    /// A client of `endpoint` signing requests with `access_key` or getting their tokens from
    /// `token_provider` (wrapped by lib/client.js).
    #[napi(factory, catch_unwind)]
    pub fn from_endpoint(
        env: &Env,
        endpoint: String,
        access_key: Option<String>,
        client_endpoint: Option<String>,
        options: Option<ClientOptions>,
        token_provider: Option<Function<'_, String, Promise<TokenAnswer>>>,
        #[napi(
            ts_arg_type = "((event: { level: string, target: string, message: string, fields: Record<string, string | number | boolean> }) => void) | undefined | null"
        )]
        logger: Option<Function<'_, Parsed, ()>>,
    ) -> napi::Result<Self> {
        let settings = ClientSettings {
            endpoint: Some(endpoint),
            access_key,
            client_endpoint,
            ..ClientSettings::default()
        };
        build(env, settings, options, token_provider, logger)
    }

    /// The URL a SignalR client connects to for `hub`.
    #[napi(catch_unwind)]
    pub fn client_url(&self, env: &Env, hub: String) -> napi::Result<String> {
        napi_result(env, self.inner.client_url(&hub))
    }

    /// The REST endpoint, without trailing slash.
    #[napi(getter, catch_unwind)]
    pub fn endpoint(&self) -> String {
        self.inner.endpoint().to_string()
    }

    /// The application name hubs are prefixed with, lower case.
    #[napi(getter, catch_unwind)]
    pub fn application_name(&self) -> Option<String> {
        self.inner.application_name().map(str::to_string)
    }

    /// The REST API version spoken: `1.0` or `2022-06-01`.
    #[napi(getter, catch_unwind)]
    pub fn api_version(&self) -> String {
        self.inner.api_version().as_str().to_string()
    }

    /// A client for hub `name`.
    #[napi(catch_unwind)]
    pub fn hub(&self, env: &Env, name: String) -> napi::Result<HubClient> {
        napi_result(env, self.inner.hub(&name)).map(|inner| HubClient {
            inner,
            logging: self.logging.clone(),
        })
    }

    /// Resolves when the service answers its health check.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn health<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        self.spawn(env, cancel, async move { inner.health().await })
    }

    /// The negotiate answer for a SignalR client of `hub`.
    #[napi(catch_unwind)]
    pub fn negotiate(
        &self,
        env: &Env,
        hub: String,
        options: Option<NegotiateOptions>,
    ) -> napi::Result<NegotiateResponse> {
        let answer = token_options(options).and_then(|o| self.inner.negotiate(&hub, &o));
        napi_result(env, answer).map(NegotiateResponse::from)
    }

    /// The negotiate answer for a SignalR client of `hub`, with a token the service generates.
    #[napi(ts_return_type = "Promise<NegotiateResponse>", catch_unwind)]
    pub fn negotiate_with_service<'env>(
        &self,
        env: &'env Env,
        hub: String,
        options: Option<NegotiateOptions>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, NegotiateResponse>> {
        let inner = self.inner.clone();
        self.spawn(env, cancel, async move {
            let options = token_options(options)?;
            let answer = inner.negotiate_with_service(&hub, &options).await?;
            Ok(NegotiateResponse::from(answer))
        })
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

fn build(
    env: &Env,
    settings: ClientSettings,
    options: Option<ClientOptions>,
    token_provider: Option<Function<'_, String, Promise<TokenAnswer>>>,
    logger: Option<Function<'_, Parsed, ()>>,
) -> napi::Result<ServiceClient> {
    let provider = token_provider.map(JsTokenProvider::new).transpose()?;
    let logging = Logging::new(logger)?;
    let built = configure(settings, options).and_then(|mut builder| {
        if let Some(provider) = provider {
            builder = builder.token_provider(Arc::new(provider));
        }
        builder.build()
    });
    napi_result(env, built).map(|inner| ServiceClient { inner, logging })
}

/// Runs `work` as a cancellable Promise with the client's events going to its logger.
trait Logged {
    fn logging(&self) -> &Logging;

    fn spawn<'env, T>(
        &self,
        env: &'env Env,
        cancel: Option<&Cancellation>,
        work: impl std::future::Future<Output = signalr_rest::Result<T>> + Send + 'static,
    ) -> napi::Result<PromiseRaw<'env, T>>
    where
        T: ToNapiValue + Send + 'static,
    {
        spawn(env, cancel, self.logging().around(work))
    }
}

impl Logged for ServiceClient {
    fn logging(&self) -> &Logging {
        &self.logging
    }
}

impl Logged for HubClient {
    fn logging(&self) -> &Logging {
        &self.logging
    }
}

/// The builder for `settings` with the JS options merged in (durations in milliseconds).
fn configure(
    mut settings: ClientSettings,
    options: Option<ClientOptions>,
) -> signalr_rest::Result<ServiceClientBuilder> {
    let Some(options) = options else {
        return settings.builder(Convention::CAMEL_MILLIS);
    };
    settings.timeout = options.timeout_ms;
    if let Some(retry) = options.retry {
        settings.max_retries = retry.max_retries.map(i64::from);
        settings.retry_initial_delay = retry.initial_delay_ms;
        settings.retry_max_delay = retry.max_delay_ms;
    }
    settings.api_version = options.api_version;
    settings.application_name = options.application_name;
    let mut builder = settings.builder(Convention::CAMEL_MILLIS)?;
    if let Some(lifetime) = options.token_lifetime_seconds {
        builder =
            builder.token_lifetime(Convention::CAMEL_SECONDS.duration("token_lifetime_seconds", lifetime)?);
    }
    if let Some(runtime) = options.runtime {
        builder = builder.sdk("node", runtime);
    }
    Ok(builder)
}

/// The client-token options of `options`, by the core's rules (lifetime in seconds).
fn token_options(options: Option<NegotiateOptions>) -> signalr_rest::Result<ClientTokenOptions> {
    let settings = options.map_or_else(TokenSettings::default, |o| TokenSettings {
        user_id: o.user_id,
        lifetime_seconds: o.lifetime_seconds,
        claims_json: o.claims_json,
    });
    settings.options(Convention::CAMEL_MILLIS)
}

/// Operations on one hub; every method resolves when the service has answered.
#[napi]
pub struct HubClient {
    inner: signalr_rest::HubClient,
    logging: Logging,
}

#[napi]
impl HubClient {
    /// The hub name as used in request paths (lower case).
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Sends to every connection except `excluded`.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn send_to_all<'env>(
        &self,
        env: &'env Env,
        target: String,
        arguments_json: String,
        excluded: Vec<String>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.send_to_all(&PayloadMessage::from_json(target, &arguments_json)?, &excluded)
                .await
        })
    }

    /// Sends to every connection of a user.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn send_to_user<'env>(
        &self,
        env: &'env Env,
        user_id: String,
        target: String,
        arguments_json: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.send_to_user(&user_id, &PayloadMessage::from_json(target, &arguments_json)?)
                .await
        })
    }

    /// Sends to one connection.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn send_to_connection<'env>(
        &self,
        env: &'env Env,
        connection_id: String,
        target: String,
        arguments_json: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.send_to_connection(
                &connection_id,
                &PayloadMessage::from_json(target, &arguments_json)?,
            )
            .await
        })
    }

    /// Sends to every connection in a group except `excluded`.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn send_to_group<'env>(
        &self,
        env: &'env Env,
        group: String,
        target: String,
        arguments_json: String,
        excluded: Vec<String>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.send_to_group(
                &group,
                &PayloadMessage::from_json(target, &arguments_json)?,
                &excluded,
            )
            .await
        })
    }

    /// Whether the connection is connected.
    #[napi(ts_return_type = "Promise<boolean>", catch_unwind)]
    pub fn connection_exists<'env>(
        &self,
        env: &'env Env,
        connection_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let hub = self.inner.clone();
        self.spawn(
            env,
            cancel,
            async move { hub.connection_exists(&connection_id).await },
        )
    }

    /// Closes a connection, giving the client `reason`.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn close_connection<'env>(
        &self,
        env: &'env Env,
        connection_id: String,
        reason: Option<String>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.close_connection(&connection_id, reason.as_deref()).await
        })
    }

    /// Whether a group has at least one connection.
    #[napi(ts_return_type = "Promise<boolean>", catch_unwind)]
    pub fn group_exists<'env>(
        &self,
        env: &'env Env,
        group: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move { hub.group_exists(&group).await })
    }

    /// Whether a user has at least one connection.
    #[napi(ts_return_type = "Promise<boolean>", catch_unwind)]
    pub fn user_exists<'env>(
        &self,
        env: &'env Env,
        user_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move { hub.user_exists(&user_id).await })
    }

    /// Adds a connection to a group.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn add_connection_to_group<'env>(
        &self,
        env: &'env Env,
        group: String,
        connection_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.add_connection_to_group(&group, &connection_id).await
        })
    }

    /// Removes a connection from a group.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn remove_connection_from_group<'env>(
        &self,
        env: &'env Env,
        group: String,
        connection_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.remove_connection_from_group(&group, &connection_id).await
        })
    }

    /// Whether a user is mapped to a group.
    #[napi(ts_return_type = "Promise<boolean>", catch_unwind)]
    pub fn user_in_group<'env>(
        &self,
        env: &'env Env,
        group: String,
        user_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let hub = self.inner.clone();
        self.spawn(
            env,
            cancel,
            async move { hub.user_in_group(&group, &user_id).await },
        )
    }

    /// Maps a user to a group for `ttl_seconds` (whole seconds), or without a TTL.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn add_user_to_group<'env>(
        &self,
        env: &'env Env,
        group: String,
        user_id: String,
        ttl_seconds: Option<f64>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            let ttl = ttl_seconds.map(|s| seconds("ttlSeconds", s)).transpose()?;
            hub.add_user_to_group(&group, &user_id, ttl).await
        })
    }

    /// Removes a user from a group.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn remove_user_from_group<'env>(
        &self,
        env: &'env Env,
        group: String,
        user_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.remove_user_from_group(&group, &user_id).await
        })
    }

    /// Removes a user from every group.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn remove_user_from_all_groups<'env>(
        &self,
        env: &'env Env,
        user_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.remove_user_from_all_groups(&user_id).await
        })
    }

    /// Closes every connection of the hub except `excluded`, giving each client `reason`.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn close_all_connections<'env>(
        &self,
        env: &'env Env,
        excluded: Vec<String>,
        reason: Option<String>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.close_all_connections(&excluded, reason.as_deref()).await
        })
    }

    /// Closes every connection in a group except `excluded`, giving each client `reason`.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn close_group_connections<'env>(
        &self,
        env: &'env Env,
        group: String,
        excluded: Vec<String>,
        reason: Option<String>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.close_group_connections(&group, &excluded, reason.as_deref())
                .await
        })
    }

    /// Closes every connection of a user except `excluded`, giving each client `reason`.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn close_user_connections<'env>(
        &self,
        env: &'env Env,
        user_id: String,
        excluded: Vec<String>,
        reason: Option<String>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.close_user_connections(&user_id, &excluded, reason.as_deref())
                .await
        })
    }

    /// Takes a connection out of every group it is in.
    #[napi(ts_return_type = "Promise<void>", catch_unwind)]
    pub fn remove_connection_from_all_groups<'env>(
        &self,
        env: &'env Env,
        connection_id: String,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.remove_connection_from_all_groups(&connection_id).await
        })
    }

    /// A client token for this hub, generated by the service.
    #[napi(ts_return_type = "Promise<string>", catch_unwind)]
    pub fn generate_client_token<'env>(
        &self,
        env: &'env Env,
        options: Option<NegotiateOptions>,
        cancel: Option<&Cancellation>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let hub = self.inner.clone();
        self.spawn(env, cancel, async move {
            hub.generate_client_token(&token_options(options)?).await
        })
    }
}
