//! `ServiceClient` and `HubClient` of the core, each operation returning a [`PendingCall`].

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use signalr_rest::settings::{ClientSettings, Convention};
use signalr_rest::{model, ClientTokenOptions, PayloadMessage};

use crate::convert::{duration, json_arguments, json_object};
use crate::error::to_py_err;
use crate::pending::{run_core, Outcome, PendingCall};
use crate::token_provider::PyTokenProvider;

/// A client of one service endpoint (the core's `ServiceClient`).
#[pyclass(frozen, module = "signalr_rest._native")]
pub struct ServiceClient {
    inner: signalr_rest::ServiceClient,
}

#[pymethods]
impl ServiceClient {
    /// Builds a client; durations are in seconds, `None` keeps the core's default.
    #[new]
    #[pyo3(signature = (*, connection_string=None, endpoint=None, access_key=None,
        client_endpoint=None, timeout=None, max_retries=None, retry_initial_delay=None,
        retry_max_delay=None, application_name=None, token_lifetime=None, api_version=None,
        token_provider=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        connection_string: Option<String>,
        endpoint: Option<String>,
        access_key: Option<String>,
        client_endpoint: Option<String>,
        timeout: Option<f64>,
        max_retries: Option<i64>,
        retry_initial_delay: Option<f64>,
        retry_max_delay: Option<f64>,
        application_name: Option<String>,
        token_lifetime: Option<f64>,
        api_version: Option<String>,
        token_provider: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let settings = ClientSettings {
            connection_string,
            endpoint,
            access_key,
            client_endpoint,
            timeout,
            max_retries,
            retry_initial_delay,
            retry_max_delay,
            application_name,
            api_version,
            token_lifetime,
        };
        let mut builder = settings.builder(Convention::SNAKE_SECONDS).map_err(to_py_err)?;
        if let Some(callable) = token_provider {
            builder = builder.token_provider(Arc::new(PyTokenProvider::new(callable)?));
        }
        let version = py.version_info();
        let runtime = format!("Python {}.{}.{}", version.major, version.minor, version.patch);
        builder = builder.sdk("python", runtime);
        let inner = run_core(py, || builder.build())?;
        Ok(ServiceClient { inner })
    }

    /// The REST endpoint, without trailing slash.
    #[getter]
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }

    /// The REST API version spoken: `"1.0"` or `"2022-06-01"`.
    #[getter]
    fn api_version(&self) -> &'static str {
        self.inner.api_version().as_str()
    }

    /// The application name hubs are prefixed with (lower case), if any.
    #[getter]
    fn application_name(&self) -> Option<&str> {
        self.inner.application_name()
    }

    /// A client for hub `name`; `InvalidArgumentError` if the name breaks the hub rules.
    fn hub(&self, py: Python<'_>, name: &str) -> PyResult<HubClient> {
        let inner = run_core(py, || self.inner.hub(name))?;
        Ok(HubClient { inner })
    }

    /// `GET /api/v1/health`.
    fn health(&self) -> PendingCall {
        let client = self.inner.clone();
        PendingCall::new(async move { client.health().await.map(|()| Outcome::Done) })
    }

    /// The URL a SignalR client connects to for `hub`.
    fn client_url(&self, py: Python<'_>, hub: &str) -> PyResult<String> {
        run_core(py, || self.inner.client_url(hub))
    }

    /// `(url, access_token)` for a SignalR client of `hub`; `lifetime` in seconds.
    #[pyo3(signature = (hub, user_id, lifetime, claims))]
    fn negotiate(
        &self,
        py: Python<'_>,
        hub: &str,
        user_id: Option<String>,
        lifetime: f64,
        claims: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(String, String)> {
        let options = token_options(user_id, lifetime, claims)?;
        let answer = run_core(py, || self.inner.negotiate(hub, &options))?;
        Ok((answer.url, answer.access_token))
    }

    /// `(url, access_token)` with a token the service generates; `lifetime` in seconds.
    #[pyo3(signature = (hub, user_id, lifetime))]
    fn negotiate_with_service(
        &self,
        hub: String,
        user_id: Option<String>,
        lifetime: f64,
    ) -> PyResult<PendingCall> {
        let options = token_options(user_id, lifetime, None)?;
        let client = self.inner.clone();
        Ok(PendingCall::new(async move {
            client
                .negotiate_with_service(&hub, &options)
                .await
                .map(Outcome::Negotiated)
        }))
    }
}

/// Client token settings: `lifetime` in seconds, `claims` a `dict[str, JSON]`.
fn token_options(
    user_id: Option<String>,
    lifetime: f64,
    claims: Option<&Bound<'_, PyDict>>,
) -> PyResult<ClientTokenOptions> {
    Ok(ClientTokenOptions {
        user_id,
        lifetime: duration("lifetime", lifetime)?,
        claims: claims
            .map(|c| json_object("claims", c))
            .transpose()?
            .unwrap_or_default(),
    })
}

/// Operations on one hub (the core's `HubClient`); each returns a call to wait for or await.
#[pyclass(frozen, module = "signalr_rest._native")]
pub struct HubClient {
    inner: signalr_rest::HubClient,
}

impl HubClient {
    /// A call running `operation` on a clone of the hub client.
    fn call<F>(&self, operation: impl FnOnce(signalr_rest::HubClient) -> F) -> PendingCall
    where
        F: std::future::Future<Output = signalr_rest::Result<Outcome>> + Send + 'static,
    {
        PendingCall::new(operation(self.inner.clone()))
    }
}

/// The message of a send: `target` invoked with the JSON form of `arguments`.
fn message(target: String, arguments: &Bound<'_, PyTuple>) -> PyResult<PayloadMessage> {
    PayloadMessage::from_json(target, &json_arguments("arguments", arguments)?).map_err(to_py_err)
}

#[pymethods]
impl HubClient {
    /// The hub name as it appears in request paths (lower case, application prefix applied).
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// Sends to every connection of the hub except `excluded`.
    fn send_to_all(
        &self,
        target: String,
        arguments: &Bound<'_, PyTuple>,
        excluded: Vec<String>,
    ) -> PyResult<PendingCall> {
        let message = message(target, arguments)?;
        Ok(
            self.call(
                |hub| async move { hub.send_to_all(&message, &excluded).await.map(|()| Outcome::Done) },
            ),
        )
    }

    /// Sends to every connection of a user.
    fn send_to_user(
        &self,
        user_id: String,
        target: String,
        arguments: &Bound<'_, PyTuple>,
    ) -> PyResult<PendingCall> {
        let message = message(target, arguments)?;
        Ok(
            self.call(
                |hub| async move { hub.send_to_user(&user_id, &message).await.map(|()| Outcome::Done) },
            ),
        )
    }

    /// Sends to one connection.
    fn send_to_connection(
        &self,
        connection_id: String,
        target: String,
        arguments: &Bound<'_, PyTuple>,
    ) -> PyResult<PendingCall> {
        let message = message(target, arguments)?;
        Ok(self.call(|hub| async move {
            hub.send_to_connection(&connection_id, &message)
                .await
                .map(|()| Outcome::Done)
        }))
    }

    /// Sends to every connection in a group except `excluded`.
    fn send_to_group(
        &self,
        group: String,
        target: String,
        arguments: &Bound<'_, PyTuple>,
        excluded: Vec<String>,
    ) -> PyResult<PendingCall> {
        let message = message(target, arguments)?;
        Ok(self.call(|hub| async move {
            hub.send_to_group(&group, &message, &excluded)
                .await
                .map(|()| Outcome::Done)
        }))
    }

    /// Whether the connection is connected.
    fn connection_exists(&self, connection_id: String) -> PendingCall {
        self.call(|hub| async move { hub.connection_exists(&connection_id).await.map(Outcome::Flag) })
    }

    /// Closes a connection, giving it `reason`.
    #[pyo3(signature = (connection_id, reason))]
    fn close_connection(&self, connection_id: String, reason: Option<String>) -> PendingCall {
        self.call(|hub| async move {
            hub.close_connection(&connection_id, reason.as_deref())
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Whether at least one connection is in the group.
    fn group_exists(&self, group: String) -> PendingCall {
        self.call(|hub| async move { hub.group_exists(&group).await.map(Outcome::Flag) })
    }

    /// Whether the user has at least one connection.
    fn user_exists(&self, user_id: String) -> PendingCall {
        self.call(|hub| async move { hub.user_exists(&user_id).await.map(Outcome::Flag) })
    }

    /// Adds a connection to a group.
    fn add_connection_to_group(&self, group: String, connection_id: String) -> PendingCall {
        self.call(|hub| async move {
            hub.add_connection_to_group(&group, &connection_id)
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Removes a connection from a group.
    fn remove_connection_from_group(&self, group: String, connection_id: String) -> PendingCall {
        self.call(|hub| async move {
            hub.remove_connection_from_group(&group, &connection_id)
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Whether the user is mapped to the group.
    fn user_in_group(&self, group: String, user_id: String) -> PendingCall {
        self.call(|hub| async move { hub.user_in_group(&group, &user_id).await.map(Outcome::Flag) })
    }

    /// Maps a user to a group for `ttl` whole seconds (`None`: the service's maximum).
    #[pyo3(signature = (group, user_id, ttl))]
    fn add_user_to_group(&self, group: String, user_id: String, ttl: Option<i64>) -> PendingCall {
        self.call(|hub| async move {
            let ttl = ttl.map(model::ttl_from_secs).transpose()?;
            hub.add_user_to_group(&group, &user_id, ttl)
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Removes a user from a group.
    fn remove_user_from_group(&self, group: String, user_id: String) -> PendingCall {
        self.call(|hub| async move {
            hub.remove_user_from_group(&group, &user_id)
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Removes a user from every group.
    fn remove_user_from_all_groups(&self, user_id: String) -> PendingCall {
        self.call(|hub| async move {
            hub.remove_user_from_all_groups(&user_id)
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Closes every connection of the hub but `excluded`, giving each `reason`.
    #[pyo3(signature = (excluded, reason))]
    fn close_all_connections(&self, excluded: Vec<String>, reason: Option<String>) -> PendingCall {
        self.call(|hub| async move {
            hub.close_all_connections(&excluded, reason.as_deref())
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Closes every connection in a group but `excluded`, giving each `reason`.
    #[pyo3(signature = (group, excluded, reason))]
    fn close_group_connections(
        &self,
        group: String,
        excluded: Vec<String>,
        reason: Option<String>,
    ) -> PendingCall {
        self.call(|hub| async move {
            hub.close_group_connections(&group, &excluded, reason.as_deref())
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Closes every connection of a user but `excluded`, giving each `reason`.
    #[pyo3(signature = (user_id, excluded, reason))]
    fn close_user_connections(
        &self,
        user_id: String,
        excluded: Vec<String>,
        reason: Option<String>,
    ) -> PendingCall {
        self.call(|hub| async move {
            hub.close_user_connections(&user_id, &excluded, reason.as_deref())
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// Takes a connection out of every group it is in.
    fn remove_connection_from_all_groups(&self, connection_id: String) -> PendingCall {
        self.call(|hub| async move {
            hub.remove_connection_from_all_groups(&connection_id)
                .await
                .map(|()| Outcome::Done)
        })
    }

    /// A client token the service generates for `user_id`; `lifetime` in seconds.
    #[pyo3(signature = (user_id, lifetime))]
    fn generate_client_token(&self, user_id: Option<String>, lifetime: f64) -> PyResult<PendingCall> {
        let options = token_options(user_id, lifetime, None)?;
        Ok(self.call(|hub| async move { hub.generate_client_token(&options).await.map(Outcome::Text) }))
    }
}
