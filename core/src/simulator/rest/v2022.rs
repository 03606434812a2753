//! The 2022-06-01 routes (`/api/hubs/...?api-version=`) with that version's status codes, plus
//! `:generateToken` (2022-11-01) and the anonymous `/api/health`.
//!
//! Decisions where the contract leaves room (see the README's operations table):
//! - `api-version` is required; any `YYYY-MM-DD` (optionally `-preview`) from 2022-06-01 on is
//!   accepted, so clients sending 2022-11-01 or 2024-01-01 work.
//! - `?application=app` addresses the hub `app_hub`, the one a v1 client reaches by its path.
//! - Existence checks answer GET as well as HEAD; the segment orders the emulator also routes
//!   (`groups/{g}/users/{u}`, `connections/{c}/groups/{g}`) mean the same as the canonical ones.
//! - Removing a connection from a group it is not in, or from all groups, answers 200.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map};

use super::{authenticate, check_hub, found, parse_message, parse_ttl, query_values, request_url, ApiResult};
use crate::model::validate_group;
use crate::simulator::errors::ApiError;
use crate::simulator::state::Scope;
use crate::simulator::Shared;

type Sim = AxumState<Arc<Shared>>;

/// The oldest `api-version` these routes serve.
pub const MIN_API_VERSION: &str = "2022-06-01";
/// Longest user id `users/{user}/:closeConnections` accepts.
const MAX_USER_LEN: usize = 1024;

/// `/api/health` and the `/api/hubs` routes.
pub(super) fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    let hubs = Router::new()
        .route("/api/hubs/{hub}/{action}", post(hub_action))
        .route(
            "/api/hubs/{hub}/connections/{connection}",
            get(connection_exists).delete(close_connection),
        )
        .route(
            "/api/hubs/{hub}/connections/{connection}/{action}",
            post(connection_action),
        )
        .route(
            "/api/hubs/{hub}/connections/{connection}/groups",
            delete(remove_connection_from_all_groups),
        )
        .route(
            "/api/hubs/{hub}/connections/{connection}/groups/{group}",
            put(add_connection_to_group).delete(remove_connection_from_group),
        )
        .route("/api/hubs/{hub}/groups/{group}", get(group_exists))
        .route("/api/hubs/{hub}/groups/{group}/{action}", post(group_action))
        .route(
            "/api/hubs/{hub}/groups/{group}/connections/{connection}",
            put(add_connection_to_group).delete(remove_connection_from_group),
        )
        .route(
            "/api/hubs/{hub}/groups/{group}/users/{user}",
            get(user_in_group)
                .put(add_user_to_group)
                .delete(remove_user_from_group),
        )
        .route("/api/hubs/{hub}/users/{user}", get(user_exists))
        .route("/api/hubs/{hub}/users/{user}/{action}", post(user_action))
        .route(
            "/api/hubs/{hub}/users/{user}/groups",
            delete(remove_user_from_all_groups),
        )
        .route(
            "/api/hubs/{hub}/users/{user}/groups/{group}",
            get(user_in_group)
                .put(add_user_to_group)
                .delete(remove_user_from_group),
        )
        .route_layer(middleware::from_fn_with_state(shared, authenticate))
        .route_layer(middleware::from_fn(require_api_version));
    Router::new()
        .route("/api/health", get(|| async { StatusCode::OK }))
        .merge(hubs)
}

/// The path parameters of every route; each route fills the ones it has.
#[derive(Debug, Deserialize)]
struct Params {
    hub: String,
    group: Option<String>,
    user: Option<String>,
    connection: Option<String>,
    action: Option<String>,
}

impl Params {
    fn group(&self) -> Result<&str, ApiError> {
        let group = self.group.as_deref().unwrap_or_default();
        validate_group(group).map_err(|e| ApiError::bad_request("Error.InvalidGroupName", e.to_string()))?;
        Ok(group)
    }

    fn user(&self) -> &str {
        self.user.as_deref().unwrap_or_default()
    }

    fn connection(&self) -> &str {
        self.connection.as_deref().unwrap_or_default()
    }

    fn action(&self) -> &str {
        self.action.as_deref().unwrap_or_default()
    }
}

/// The hub a request addresses: `{application}_{hub}` when `application` is given.
fn hub_of(params: &Params, query: &Option<String>) -> Result<String, ApiError> {
    check_hub(&params.hub)?;
    match query_values(query, "application").into_iter().next() {
        None => Ok(params.hub.to_ascii_lowercase()),
        Some(app) => {
            check_hub(&app).map_err(|_| {
                ApiError::bad_request(
                    "Error.InvalidApplicationName",
                    format!("application {app:?} must start with a letter and hold only letters, digits and _`,.[]"),
                )
            })?;
            Ok(format!("{app}_{}", params.hub).to_ascii_lowercase())
        }
    }
}

/// Refuses a request without a served `api-version` with 400 naming it.
async fn require_api_version(request: Request, next: Next) -> Response {
    let query = request.uri().query().map(str::to_string);
    match query_values(&query, "api-version").into_iter().next() {
        None => ApiError::bad_request(
            "Error.MissingApiVersion",
            format!("the api-version query parameter is required; use {MIN_API_VERSION} or later"),
        )
        .into_response(),
        Some(version) if !is_served_version(&version) => ApiError::bad_request(
            "Error.InvalidApiVersion",
            format!("api-version {version:?} is not served; use a date from {MIN_API_VERSION} on, such as {MIN_API_VERSION}"),
        )
        .into_response(),
        Some(_) => next.run(request).await,
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD-preview`, not before [`MIN_API_VERSION`].
fn is_served_version(version: &str) -> bool {
    let date = version.strip_suffix("-preview").unwrap_or(version);
    let shaped = date.len() == 10
        && date.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped && date >= MIN_API_VERSION
}

fn unknown_action(action: &str) -> ApiError {
    ApiError::not_found(
        "Error.RouteNotFound",
        format!("no operation {action:?} here; use :send or :closeConnections"),
    )
}

/// `POST /api/hubs/{hub}/:send | :closeConnections | :generateToken`.
async fn hub_action(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let hub = hub_of(&p, &q)?;
    match p.action() {
        ":send" => {
            s.state
                .send_to_all(&hub, parse_message(&body)?, &query_values(&q, "excluded"));
            Ok(StatusCode::ACCEPTED.into_response())
        }
        ":closeConnections" => {
            close(&s, &hub, Scope::Hub, &q);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        ":generateToken" => generate_token(&s, &p.hub, &q, &headers).map(IntoResponse::into_response),
        other => Err(unknown_action(other)),
    }
}

fn close(s: &Shared, hub: &str, scope: Scope<'_>, query: &Option<String>) {
    let reason = query_values(query, "reason").into_iter().next();
    s.state
        .close_connections(hub, scope, &query_values(query, "excluded"), reason.as_deref());
}

/// A client token the simulator's own `/client` endpoint accepts: `aud` is the client URL of
/// the path's hub (`:generateToken` takes no `application`), `nameid` the `userId`.
fn generate_token(
    s: &Shared,
    hub: &str,
    query: &Option<String>,
    headers: &HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let minutes = match query_values(query, "minutesToExpire").into_iter().next() {
        None => 60,
        Some(text) => match text.parse::<u32>() {
            Ok(minutes) if minutes >= 1 => minutes,
            _ => {
                return Err(ApiError::bad_request(
                    "Error.InvalidMinutesToExpire",
                    format!("minutesToExpire {text:?} must be a whole number of minutes, 1 or more"),
                ))
            }
        },
    };
    let mut claims = Map::new();
    if let Some(user) = query_values(query, "userId").into_iter().next() {
        claims.insert("nameid".into(), user.into());
    }
    let audience = format!(
        "{}?hub={}",
        request_url(headers, "/client/"),
        hub.to_ascii_lowercase()
    );
    let lifetime = Duration::from_secs(u64::from(minutes) * 60);
    let token = s
        .access_key
        .sign(&audience, lifetime, &claims)
        .map_err(|e| ApiError::bad_request("Error.InvalidRequest", e.to_string()))?;
    Ok(Json(json!({ "token": token })))
}

/// `POST /api/hubs/{hub}/connections/{connection}/:send`.
async fn connection_action(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    match p.action() {
        ":send" => {
            s.state
                .send_to_connection(&hub, p.connection(), parse_message(&body)?);
            Ok(StatusCode::ACCEPTED)
        }
        other => Err(unknown_action(other)),
    }
}

/// `POST /api/hubs/{hub}/groups/{group}/:send | :closeConnections`.
async fn group_action(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    let group = p.group()?;
    match p.action() {
        ":send" => {
            s.state
                .send_to_group(&hub, group, parse_message(&body)?, &query_values(&q, "excluded"));
            Ok(StatusCode::ACCEPTED)
        }
        ":closeConnections" => {
            close(&s, &hub, Scope::Group(group), &q);
            Ok(StatusCode::NO_CONTENT)
        }
        other => Err(unknown_action(other)),
    }
}

/// `POST /api/hubs/{hub}/users/{user}/:send | :closeConnections`.
async fn user_action(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    match p.action() {
        ":send" => {
            s.state.send_to_user(&hub, p.user(), parse_message(&body)?);
            Ok(StatusCode::ACCEPTED)
        }
        ":closeConnections" => {
            let length = p.user().chars().count();
            if length > MAX_USER_LEN {
                return Err(ApiError::bad_request(
                    "Error.InvalidUserId",
                    format!("user id is {length} characters; at most {MAX_USER_LEN} are accepted"),
                ));
            }
            close(&s, &hub, Scope::User(p.user()), &q);
            Ok(StatusCode::NO_CONTENT)
        }
        other => Err(unknown_action(other)),
    }
}

async fn connection_exists(AxumState(s): Sim, Path(p): Path<Params>, RawQuery(q): RawQuery) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    found(
        s.state.connection_exists(&hub, p.connection()),
        "Warning.Connection.NotExisted",
        format!("connection {:?} does not exist", p.connection()),
    )
}

async fn close_connection(AxumState(s): Sim, Path(p): Path<Params>, RawQuery(q): RawQuery) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    let reason = query_values(&q, "reason").into_iter().next();
    found(
        s.state.disconnect(&hub, p.connection(), Some(reason)),
        "Warning.Connection.NotExisted",
        format!("connection {:?} does not exist", p.connection()),
    )
}

async fn remove_connection_from_all_groups(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    s.state.remove_connection_from_all_groups(&hub, p.connection());
    Ok(StatusCode::OK)
}

async fn add_connection_to_group(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    let group = p.group()?;
    found(
        s.state.add_connection_to_group(&hub, group, p.connection()),
        "Error.Connection.NotExisted",
        format!("connection {:?} does not exist", p.connection()),
    )
}

async fn remove_connection_from_group(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    s.state
        .remove_connection_from_group(&hub, p.group()?, p.connection());
    Ok(StatusCode::OK)
}

async fn group_exists(AxumState(s): Sim, Path(p): Path<Params>, RawQuery(q): RawQuery) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    let group = p.group()?;
    found(
        s.state.group_exists(&hub, group),
        "Warning.Group.NotExisted",
        format!("group {group:?} has no connections"),
    )
}

async fn user_exists(AxumState(s): Sim, Path(p): Path<Params>, RawQuery(q): RawQuery) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    found(
        s.state.user_exists(&hub, p.user()),
        "Warning.User.NotExisted",
        format!("user {:?} has no connections", p.user()),
    )
}

async fn user_in_group(AxumState(s): Sim, Path(p): Path<Params>, RawQuery(q): RawQuery) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    let group = p.group()?;
    found(
        s.state.user_in_group(&hub, group, p.user()),
        "Info.User.NotInGroup",
        format!("user {:?} is not in group {group:?}", p.user()),
    )
}

async fn add_user_to_group(AxumState(s): Sim, Path(p): Path<Params>, RawQuery(q): RawQuery) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    let group = p.group()?;
    let ttl = parse_ttl(&q)?;
    s.state.add_user_to_group(&hub, group, p.user(), ttl);
    Ok(StatusCode::OK)
}

async fn remove_user_from_group(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    s.state.remove_user_from_group(&hub, p.group()?, p.user());
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_user_from_all_groups(
    AxumState(s): Sim,
    Path(p): Path<Params>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let hub = hub_of(&p, &q)?;
    s.state.remove_user_from_all_groups(&hub, p.user());
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_from_2022_06_01_on_are_served() {
        for ok in ["2022-06-01", "2022-11-01", "2024-01-01", "2024-12-01-preview"] {
            assert!(is_served_version(ok), "{ok}");
        }
        for bad in [
            "2021-10-01",
            "1.0",
            "",
            "2022-6-1",
            "latest",
            "2022-06-01x",
            "２０２２-06-01",
        ] {
            assert!(!is_served_version(bad), "{bad}");
        }
    }

    #[test]
    fn the_application_names_the_v1_hub() {
        let params = Params {
            hub: "Chat".into(),
            group: None,
            user: None,
            connection: None,
            action: None,
        };
        assert_eq!(
            hub_of(&params, &Some("application=App&api-version=2022-06-01".into())).unwrap(),
            "app_chat"
        );
        assert_eq!(hub_of(&params, &None).unwrap(), "chat");
        assert!(hub_of(&params, &Some("application=1x".into())).is_err());
    }
}
