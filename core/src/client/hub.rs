//! The 14 v1 operations on one hub.

use std::time::Duration;

use reqwest::Method;
use url::Url;

use super::transport::Answer;
use super::ServiceClient;
use crate::error::{Error, Result};
use crate::model::{validate_group, validate_id, PayloadMessage};

/// Operations on one hub; cheap to clone.
#[derive(Debug, Clone)]
pub struct HubClient {
    service: ServiceClient,
    hub: String,
}

/// `x-ms-error-code` of a close for a connection that is already gone; SDKs treat it as success.
const CONNECTION_NOT_EXISTED: &str = "Warning.Connection.NotExisted";

impl HubClient {
    pub(crate) fn new(service: ServiceClient, hub: String) -> Self {
        HubClient { service, hub }
    }

    /// The hub name as it appears in request paths (lower case, application prefix applied).
    pub fn name(&self) -> &str {
        &self.hub
    }

    /// Sends `message` to every connection of the hub except `excluded` connection ids.
    pub async fn send_to_all(&self, message: &PayloadMessage, excluded: &[String]) -> Result<()> {
        let url = with_excluded(self.url(&[]), excluded)?;
        self.send(url, message).await
    }

    /// Sends `message` to every connection of user `user_id`.
    pub async fn send_to_user(&self, user_id: &str, message: &PayloadMessage) -> Result<()> {
        validate_id("user_id", user_id)?;
        self.send(self.url(&["users", user_id]), message).await
    }

    /// Sends `message` to one connection.
    pub async fn send_to_connection(&self, connection_id: &str, message: &PayloadMessage) -> Result<()> {
        validate_id("connection_id", connection_id)?;
        self.send(self.url(&["connections", connection_id]), message)
            .await
    }

    /// Sends `message` to every connection in `group` except `excluded` connection ids.
    pub async fn send_to_group(
        &self,
        group: &str,
        message: &PayloadMessage,
        excluded: &[String],
    ) -> Result<()> {
        validate_group(group)?;
        let url = with_excluded(self.url(&["groups", group]), excluded)?;
        self.send(url, message).await
    }

    /// Whether the connection is connected. Like every exists-check: `false` on the service's
    /// 404 (it carries `x-ms-error-code`); a 404 without that header is an error naming the URL.
    pub async fn connection_exists(&self, connection_id: &str) -> Result<bool> {
        validate_id("connection_id", connection_id)?;
        self.exists(self.url(&["connections", connection_id])).await
    }

    /// Closes a connection; the client gets `reason` in its Close message. Closing a
    /// connection that is already gone succeeds.
    pub async fn close_connection(&self, connection_id: &str, reason: Option<&str>) -> Result<()> {
        validate_id("connection_id", connection_id)?;
        let mut url = self.url(&["connections", connection_id]);
        if let Some(reason) = reason {
            url.query_pairs_mut().append_pair("reason", reason);
        }
        let answer = self.call(Method::DELETE, url, None).await?;
        if answer.error_code.as_deref() == Some(CONNECTION_NOT_EXISTED) {
            return Ok(());
        }
        expect_success(answer)
    }

    /// Whether at least one connection is in `group`.
    pub async fn group_exists(&self, group: &str) -> Result<bool> {
        validate_group(group)?;
        self.exists(self.url(&["groups", group])).await
    }

    /// Whether user `user_id` has at least one connection.
    pub async fn user_exists(&self, user_id: &str) -> Result<bool> {
        validate_id("user_id", user_id)?;
        self.exists(self.url(&["users", user_id])).await
    }

    /// Adds a connection to `group` until it leaves or closes; `NotFound` if it does not exist.
    pub async fn add_connection_to_group(&self, group: &str, connection_id: &str) -> Result<()> {
        self.connection_in_group(Method::PUT, group, connection_id).await
    }

    /// Removes a connection from `group`; `NotFound` if it was not in it, unless an earlier
    /// attempt of this call may have removed it (it timed out, broke or got a 5xx).
    pub async fn remove_connection_from_group(&self, group: &str, connection_id: &str) -> Result<()> {
        self.connection_in_group(Method::DELETE, group, connection_id)
            .await
    }

    /// Whether user `user_id` is mapped to `group` (regardless of live connections).
    pub async fn user_in_group(&self, group: &str, user_id: &str) -> Result<bool> {
        validate_group(group)?;
        validate_id("user_id", user_id)?;
        self.exists(self.url(&["groups", group, "users", user_id])).await
    }

    /// Adds user `user_id` to `group`: its current and future connections join. Without `ttl`
    /// the mapping lasts at most a year; `ttl` of zero adds only the current connections.
    pub async fn add_user_to_group(&self, group: &str, user_id: &str, ttl: Option<Duration>) -> Result<()> {
        validate_group(group)?;
        validate_id("user_id", user_id)?;
        let mut url = self.url(&["groups", group, "users", user_id]);
        if let Some(ttl) = ttl {
            if ttl.subsec_nanos() != 0 {
                return Err(Error::invalid(
                    "ttl",
                    format!("ttl must be whole seconds, got {ttl:?}"),
                ));
            }
            url.query_pairs_mut()
                .append_pair("ttl", &ttl.as_secs().to_string());
        }
        expect_success(self.call(Method::PUT, url, None).await?)
    }

    /// Removes user `user_id` from `group`, pulling its connections out of it.
    pub async fn remove_user_from_group(&self, group: &str, user_id: &str) -> Result<()> {
        validate_group(group)?;
        validate_id("user_id", user_id)?;
        let url = self.url(&["groups", group, "users", user_id]);
        expect_success(self.call(Method::DELETE, url, None).await?)
    }

    /// Removes user `user_id` from every group.
    pub async fn remove_user_from_all_groups(&self, user_id: &str) -> Result<()> {
        validate_id("user_id", user_id)?;
        let url = self.url(&["users", user_id, "groups"]);
        expect_success(self.call(Method::DELETE, url, None).await?)
    }

    async fn connection_in_group(&self, method: Method, group: &str, connection_id: &str) -> Result<()> {
        validate_group(group)?;
        validate_id("connection_id", connection_id)?;
        let url = self.url(&["groups", group, "connections", connection_id]);
        expect_success(self.call(method, url, None).await?)
    }

    async fn send(&self, url: Url, message: &PayloadMessage) -> Result<()> {
        message.validate()?;
        let body = serde_json::to_vec(message).map_err(|e| Error::invalid("arguments", e.to_string()))?;
        expect_success(self.call(Method::POST, url, Some(body)).await?)
    }

    /// 200 is true; a 404 is false only because the transport passes on no 404 but the
    /// service's own (with its `x-ms-error-code`), so a wrong path never reads as "absent".
    async fn exists(&self, url: Url) -> Result<bool> {
        let answer = self.call(Method::GET, url, None).await?;
        Ok(answer.status.is_success())
    }

    async fn call(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<Answer> {
        self.service.transport().call(method, url, body).await
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut all = vec!["api", "v1", "hubs", self.hub.as_str()];
        all.extend_from_slice(segments);
        self.service.url(&all)
    }
}

fn with_excluded(mut url: Url, excluded: &[String]) -> Result<Url> {
    if !excluded.is_empty() {
        let mut query = url.query_pairs_mut();
        for id in excluded {
            validate_id("excluded", id)?;
            query.append_pair("excluded", id);
        }
    }
    Ok(url)
}

/// A service 404 where success was expected becomes [`Error::NotFound`].
fn expect_success(answer: Answer) -> Result<()> {
    if answer.succeeded() {
        return Ok(());
    }
    Err(Error::NotFound {
        code: answer.error_code.unwrap_or_default(),
        message: super::transport::service_message(&answer.body),
    })
}
