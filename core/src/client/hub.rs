//! Every operation on one hub: the 14 of v1, in the form of the client's API version, and
//! those only 2022-06-01 and later have.

use std::time::Duration;

use reqwest::Method;
use url::Url;

use super::transport::Answer;
use super::{ApiVersion, ServiceClient};
use crate::auth::ClientTokenOptions;
use crate::error::{Error, Result};
use crate::model::{validate_group, validate_id, PayloadMessage};

/// The version `:generateToken` needs; it is not in 2022-06-01.
const GENERATE_TOKEN_API_VERSION: &str = "2022-11-01";
/// Longest user id the close-user-connections operation accepts.
const MAX_USER_LEN: usize = 1024;

/// Operations on one hub; cheap to clone.
#[derive(Debug, Clone)]
pub struct HubClient {
    service: ServiceClient,
    /// Lower case, without the application prefix.
    hub: String,
    /// Lower case, with the `{app}_` prefix: the hub the service routes to.
    name: String,
}

/// Where an operation goes in each API version: path segments after the hub, and an action
/// such as `:send` that follows them unencoded in 2022-06-01.
struct Route<'a> {
    v1: Vec<&'a str>,
    v2022: Vec<&'a str>,
    action: Option<&'a str>,
}

/// `x-ms-error-code` of a close for a connection that is already gone; SDKs treat it as success.
const CONNECTION_NOT_EXISTED: &str = "Warning.Connection.NotExisted";

impl HubClient {
    pub(crate) fn new(service: ServiceClient, hub: String) -> Self {
        let name = service.hub_path_name(&hub);
        HubClient { service, hub, name }
    }

    /// The hub name as v1 request paths carry it (lower case, `{app}_` prefix applied): the
    /// hub the service routes to in either API version.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `message` to every connection of the hub except `excluded` connection ids.
    pub async fn send_to_all(&self, message: &PayloadMessage, excluded: &[String]) -> Result<()> {
        let url = with_excluded(self.url(same(&[], Some(":send"))), excluded)?;
        self.send(url, message).await
    }

    /// Sends `message` to every connection of user `user_id`.
    pub async fn send_to_user(&self, user_id: &str, message: &PayloadMessage) -> Result<()> {
        validate_id("user_id", user_id)?;
        self.send(self.url(same(&["users", user_id], Some(":send"))), message)
            .await
    }

    /// Sends `message` to one connection.
    pub async fn send_to_connection(&self, connection_id: &str, message: &PayloadMessage) -> Result<()> {
        validate_id("connection_id", connection_id)?;
        let url = self.url(same(&["connections", connection_id], Some(":send")));
        self.send(url, message).await
    }

    /// Sends `message` to every connection in `group` except `excluded` connection ids.
    pub async fn send_to_group(
        &self,
        group: &str,
        message: &PayloadMessage,
        excluded: &[String],
    ) -> Result<()> {
        validate_group(group)?;
        let url = with_excluded(self.url(same(&["groups", group], Some(":send"))), excluded)?;
        self.send(url, message).await
    }

    /// Whether the connection is connected. Like every exists-check: `false` on the service's
    /// 404 (it carries `x-ms-error-code`); a 404 without that header is an error naming the URL.
    pub async fn connection_exists(&self, connection_id: &str) -> Result<bool> {
        validate_id("connection_id", connection_id)?;
        self.exists(self.url(same(&["connections", connection_id], None)))
            .await
    }

    /// Closes a connection; the client gets `reason` in its Close message. Closing a
    /// connection that is already gone succeeds.
    pub async fn close_connection(&self, connection_id: &str, reason: Option<&str>) -> Result<()> {
        validate_id("connection_id", connection_id)?;
        let mut url = self.url(same(&["connections", connection_id], None));
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
        self.exists(self.url(same(&["groups", group], None))).await
    }

    /// Whether user `user_id` has at least one connection.
    pub async fn user_exists(&self, user_id: &str) -> Result<bool> {
        validate_id("user_id", user_id)?;
        self.exists(self.url(same(&["users", user_id], None))).await
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
        // GET in both versions: the .NET SDK sends GET here, not HEAD.
        let url = self.url(user_group(group, user_id));
        let answer = self.call(Method::GET, url, None).await?;
        Ok(answer.status.is_success())
    }

    /// Adds user `user_id` to `group`: its current and future connections join. Without `ttl`
    /// the mapping lasts at most a year; `ttl` of zero adds only the current connections.
    pub async fn add_user_to_group(&self, group: &str, user_id: &str, ttl: Option<Duration>) -> Result<()> {
        validate_group(group)?;
        validate_id("user_id", user_id)?;
        let mut url = self.url(user_group(group, user_id));
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
        let url = self.url(user_group(group, user_id));
        expect_success(self.call(Method::DELETE, url, None).await?)
    }

    /// Removes user `user_id` from every group.
    pub async fn remove_user_from_all_groups(&self, user_id: &str) -> Result<()> {
        validate_id("user_id", user_id)?;
        let url = self.url(same(&["users", user_id, "groups"], None));
        expect_success(self.call(Method::DELETE, url, None).await?)
    }

    /// Closes every connection of the hub but `excluded`; each client gets `reason` in its
    /// Close message. Always uses the 2022-06-01 API (v1 has no such operation).
    pub async fn close_all_connections(&self, excluded: &[String], reason: Option<&str>) -> Result<()> {
        self.close_many(&[], excluded, reason).await
    }

    /// Closes every connection in `group` but `excluded`, telling each client `reason`.
    pub async fn close_group_connections(
        &self,
        group: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<()> {
        validate_group(group)?;
        self.close_many(&["groups", group], excluded, reason).await
    }

    /// Closes every connection of user `user_id` but `excluded`, telling each client `reason`.
    pub async fn close_user_connections(
        &self,
        user_id: &str,
        excluded: &[String],
        reason: Option<&str>,
    ) -> Result<()> {
        validate_id("user_id", user_id)?;
        let length = user_id.chars().count();
        if length > MAX_USER_LEN {
            return Err(Error::invalid(
                "user_id",
                format!("user_id is {length} characters; closing a user's connections takes at most {MAX_USER_LEN}"),
            ));
        }
        self.close_many(&["users", user_id], excluded, reason).await
    }

    /// Takes a connection out of every group it is in (2022-06-01 API).
    pub async fn remove_connection_from_all_groups(&self, connection_id: &str) -> Result<()> {
        validate_id("connection_id", connection_id)?;
        let url = self.url_2022(
            &["connections", connection_id, "groups"],
            None,
            ApiVersion::V2022_06_01.as_str(),
        );
        expect_success(self.call(Method::DELETE, url, None).await?)
    }

    /// Asks the service for a client token (`:generateToken`, API 2022-11-01) for user
    /// `options.user_id`, valid for `options.lifetime` rounded up to whole minutes: how apps
    /// without an access key get tokens for their SignalR clients. Custom claims cannot be
    /// carried by a service-generated token and are refused.
    pub async fn generate_client_token(&self, options: &ClientTokenOptions) -> Result<String> {
        if !options.claims.is_empty() {
            return Err(Error::invalid(
                "claims",
                "the service's :generateToken takes no custom claims; sign the token with the access key to carry them",
            ));
        }
        if let Some(user) = &options.user_id {
            validate_id("user_id", user)?;
        }
        let minutes = options.lifetime.as_secs().div_ceil(60).max(1);
        // :generateToken takes no application parameter: the hub is addressed by its full name.
        let mut url = self.service.url(&["api", "hubs", &self.name]);
        append_action(&mut url, ":generateToken");
        {
            let mut query = url.query_pairs_mut();
            if let Some(user) = &options.user_id {
                query.append_pair("userId", user);
            }
            query
                .append_pair("minutesToExpire", &minutes.to_string())
                .append_pair("api-version", GENERATE_TOKEN_API_VERSION);
        }
        let answer = self.call(Method::POST, url, None).await?;
        if !answer.succeeded() {
            return expect_success(answer).map(|()| String::new());
        }
        serde_json::from_str::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|body| body["token"].as_str().map(str::to_string))
            .ok_or_else(|| Error::Service {
                status: answer.status.as_u16(),
                body: format!(
                    "the service's :generateToken answer has no token: {}",
                    answer.body
                ),
            })
    }

    async fn close_many(&self, segments: &[&str], excluded: &[String], reason: Option<&str>) -> Result<()> {
        let mut url = with_excluded(
            self.url_2022(
                segments,
                Some(":closeConnections"),
                ApiVersion::V2022_06_01.as_str(),
            ),
            excluded,
        )?;
        if let Some(reason) = reason {
            url.query_pairs_mut().append_pair("reason", reason);
        }
        expect_success(self.call(Method::POST, url, None).await?)
    }

    async fn connection_in_group(&self, method: Method, group: &str, connection_id: &str) -> Result<()> {
        validate_group(group)?;
        validate_id("connection_id", connection_id)?;
        let url = self.url(same(&["groups", group, "connections", connection_id], None));
        expect_success(self.call(method, url, None).await?)
    }

    async fn send(&self, url: Url, message: &PayloadMessage) -> Result<()> {
        message.validate()?;
        let body = serde_json::to_vec(message).map_err(|e| Error::invalid("arguments", e.to_string()))?;
        expect_success(self.call(Method::POST, url, Some(body)).await?)
    }

    /// 200 is true; a 404 is false only because the transport passes on no 404 but the
    /// service's own (with its `x-ms-error-code`), so a wrong path never reads as "absent".
    /// v1 asks with GET, 2022-06-01 with HEAD, as the SDKs do.
    async fn exists(&self, url: Url) -> Result<bool> {
        let method = match self.service.api_version() {
            ApiVersion::V1 => Method::GET,
            ApiVersion::V2022_06_01 => Method::HEAD,
        };
        let answer = self.call(method, url, None).await?;
        Ok(answer.status.is_success())
    }

    async fn call(&self, method: Method, url: Url, body: Option<Vec<u8>>) -> Result<Answer> {
        self.service.transport().call(method, url, body).await
    }

    /// The URL of `route` in the client's API version.
    fn url(&self, route: Route<'_>) -> Url {
        match self.service.api_version() {
            ApiVersion::V1 => {
                let mut all = vec!["api", "v1", "hubs", self.name.as_str()];
                all.extend_from_slice(&route.v1);
                self.service.url(&all)
            }
            ApiVersion::V2022_06_01 => {
                self.url_2022(&route.v2022, route.action, ApiVersion::V2022_06_01.as_str())
            }
        }
    }

    /// `/api/hubs/{hub}/{segments}{action}?application={app}&api-version={version}`.
    fn url_2022(&self, segments: &[&str], action: Option<&str>, version: &str) -> Url {
        let mut all = vec!["api", "hubs", self.hub.as_str()];
        all.extend_from_slice(segments);
        let mut url = self.service.url(&all);
        if let Some(action) = action {
            append_action(&mut url, action);
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(app) = self.service.application_name() {
                query.append_pair("application", app);
            }
            query.append_pair("api-version", version);
        }
        url
    }
}

/// A route whose segments are the same in both versions.
fn same<'a>(segments: &[&'a str], action: Option<&'a str>) -> Route<'a> {
    Route {
        v1: segments.to_vec(),
        v2022: segments.to_vec(),
        action,
    }
}

/// The user-group mapping: `groups/{g}/users/{u}` in v1, `users/{u}/groups/{g}` in 2022-06-01.
fn user_group<'a>(group: &'a str, user: &'a str) -> Route<'a> {
    Route {
        v1: vec!["groups", group, "users", user],
        v2022: vec!["users", user, "groups", group],
        action: None,
    }
}

/// Appends `/:action` to the path as it is: the colon must not be percent-encoded.
fn append_action(url: &mut Url, action: &str) {
    let path = format!("{}/{action}", url.path().trim_end_matches('/'));
    url.set_path(&path);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(version: ApiVersion) -> HubClient {
        ServiceClient::builder()
            .connection_string("Endpoint=http://h:1;AccessKey=k;Version=1.0")
            .application_name("App")
            .api_version(version)
            .build()
            .unwrap()
            .hub("Chat")
            .unwrap()
    }

    #[test]
    fn routes_take_each_versions_form() {
        let v1 = hub(ApiVersion::V1);
        let v2 = hub(ApiVersion::V2022_06_01);
        assert_eq!(
            v1.url(user_group("g 1", "u/1")).as_str(),
            "http://h:1/api/v1/hubs/app_chat/groups/g%201/users/u%2F1"
        );
        assert_eq!(
            v2.url(user_group("g 1", "u/1")).as_str(),
            "http://h:1/api/hubs/chat/users/u%2F1/groups/g%201?application=app&api-version=2022-06-01"
        );
        assert_eq!(
            v2.url(same(&["users", "u"], Some(":send"))).as_str(),
            "http://h:1/api/hubs/chat/users/u/:send?application=app&api-version=2022-06-01"
        );
        assert_eq!(
            v1.url(same(&["users", "u"], Some(":send"))).as_str(),
            "http://h:1/api/v1/hubs/app_chat/users/u"
        );
        assert_eq!(v1.name(), "app_chat");
    }

    #[test]
    fn api_versions_parse_and_name_the_bad_value() {
        assert_eq!(ApiVersion::parse("1.0").unwrap(), ApiVersion::V1);
        assert_eq!(ApiVersion::parse("2022-06-01").unwrap(), ApiVersion::V2022_06_01);
        let err = ApiVersion::parse("2023").unwrap_err();
        assert!(err.to_string().contains("2023"), "{err}");
    }
}
