//! The v1 REST API over the state, with the service's validation, status codes and auth.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::Shared;
use crate::auth::verify_token;
use crate::client::ERROR_CODE_HEADER;
use crate::model::{validate_group, validate_hub, PayloadMessage};

/// Largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest `ttl` accepted, in seconds.
const MAX_TTL_SECS: i64 = i32::MAX as i64;

type Sim = AxumState<Arc<Shared>>;

/// The `/api/v1` routes.
pub(crate) fn routes(shared: Arc<Shared>) -> Router {
    let hubs = Router::new()
        .route("/api/v1/hubs/{hub}", post(broadcast))
        .route(
            "/api/v1/hubs/{hub}/users/{user}",
            post(send_to_user).get(user_exists),
        )
        .route(
            "/api/v1/hubs/{hub}/connections/{connection}",
            post(send_to_connection)
                .get(connection_exists)
                .delete(close_connection),
        )
        .route(
            "/api/v1/hubs/{hub}/groups/{group}",
            post(send_to_group).get(group_exists),
        )
        .route(
            "/api/v1/hubs/{hub}/groups/{group}/connections/{connection}",
            put(add_connection_to_group).delete(remove_connection_from_group),
        )
        .route(
            "/api/v1/hubs/{hub}/groups/{group}/users/{user}",
            get(user_in_group)
                .put(add_user_to_group)
                .delete(remove_user_from_group),
        )
        .route(
            "/api/v1/hubs/{hub}/users/{user}/groups",
            delete(remove_user_from_all_groups),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate));
    Router::new()
        .route("/api/v1/health", get(|| async { StatusCode::OK }))
        .merge(hubs)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

/// A non-success answer: status, service error code and a message naming the bad value.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"code": self.code, "message": self.message})),
        )
            .into_response();
        response
            .headers_mut()
            .insert(ERROR_CODE_HEADER, HeaderValue::from_static(self.code));
        response
    }
}

type ApiResult = Result<StatusCode, ApiError>;

/// Checks the bearer token against the access key and the request URL.
async fn authenticate(AxumState(shared): Sim, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
    let verdict = match token {
        None => Err("no bearer token in the Authorization header".to_string()),
        Some(token) => {
            let audience = request_url(request.headers(), request.uri().path());
            verify_token(token.trim(), &shared.access_key, &audience).map(|_| ())
        }
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(reason) => unauthorized(&reason),
    }
}

/// 401 with `WWW-Authenticate` and a JSON body saying why.
pub(crate) fn unauthorized(reason: &str) -> Response {
    let challenge = format!(
        "Bearer error=\"invalid_token\", error_description=\"{}\"",
        reason.replace('"', "'")
    );
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"code": "Error.Unauthorized", "message": reason})),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// `http://{Host}{path}`: the URL the caller signed as audience.
pub(crate) fn request_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{path}")
}

fn check_hub(hub: &str) -> Result<(), ApiError> {
    validate_hub(hub).map_err(|e| ApiError::bad_request("Error.InvalidHubName", e.to_string()))
}

fn check_hub_group(hub: &str, group: &str) -> Result<(), ApiError> {
    check_hub(hub)?;
    validate_group(group).map_err(|e| ApiError::bad_request("Error.InvalidGroupName", e.to_string()))
}

/// Reads `{"target", "arguments"}`, property names matched case-insensitively.
fn parse_message(body: &[u8]) -> Result<PayloadMessage, ApiError> {
    let bad = |message: String| ApiError::bad_request("Error.InvalidRequestBody", message);
    if body.is_empty() {
        return Err(bad(
            "the request body is required: {\"target\": ..., \"arguments\": [...]}".into(),
        ));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the request body is not JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(bad("the request body must be a JSON object".into()));
    };
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let target = match field("target") {
        Some(Value::String(t)) if !t.is_empty() => t,
        Some(Value::String(_)) => return Err(bad("target must not be empty".into())),
        Some(other) => return Err(bad(format!("target must be a string, got {other}"))),
        None => return Err(bad("the request body has no target".into())),
    };
    let arguments = match field("arguments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(bad(format!("arguments must be an array, got {other}"))),
    };
    Ok(PayloadMessage { target, arguments })
}

fn query_values(query: &Option<String>, name: &str) -> Vec<String> {
    query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn parse_ttl(query: &Option<String>) -> Result<Option<Duration>, ApiError> {
    let Some(text) = query_values(query, "ttl").into_iter().next() else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(secs) if (0..=MAX_TTL_SECS).contains(&secs) => Ok(Some(Duration::from_secs(secs as u64))),
        _ => Err(ApiError::bad_request(
            "Error.InvalidTtl",
            format!("ttl {text:?} must be a whole number of seconds from 0 to {MAX_TTL_SECS}"),
        )),
    }
}

async fn broadcast(
    AxumState(s): Sim,
    Path(hub): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    check_hub(&hub)?;
    let message = parse_message(&body)?;
    s.state.send_to_all(&hub, message, &query_values(&q, "excluded"));
    Ok(StatusCode::ACCEPTED)
}

async fn send_to_user(
    AxumState(s): Sim,
    Path((hub, user)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_hub(&hub)?;
    let message = parse_message(&body)?;
    s.state.send_to_user(&hub, &user, message);
    Ok(StatusCode::ACCEPTED)
}

async fn send_to_connection(
    AxumState(s): Sim,
    Path((hub, connection)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    check_hub(&hub)?;
    let message = parse_message(&body)?;
    s.state.send_to_connection(&hub, &connection, message);
    Ok(StatusCode::ACCEPTED)
}

async fn send_to_group(
    AxumState(s): Sim,
    Path((hub, group)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    check_hub_group(&hub, &group)?;
    let message = parse_message(&body)?;
    s.state
        .send_to_group(&hub, &group, message, &query_values(&q, "excluded"));
    Ok(StatusCode::ACCEPTED)
}

fn found(exists: bool, code: &'static str, what: String) -> ApiResult {
    if exists {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found(code, what))
    }
}

async fn connection_exists(AxumState(s): Sim, Path((hub, connection)): Path<(String, String)>) -> ApiResult {
    check_hub(&hub)?;
    let exists = s.state.connection_exists(&hub, &connection);
    found(
        exists,
        "Warning.Connection.NotExisted",
        format!("connection {connection:?} does not exist"),
    )
}

async fn close_connection(
    AxumState(s): Sim,
    Path((hub, connection)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    check_hub(&hub)?;
    let reason = query_values(&q, "reason").into_iter().next();
    let closed = s.state.disconnect(&hub, &connection, Some(reason));
    found(
        closed,
        "Warning.Connection.NotExisted",
        format!("connection {connection:?} does not exist"),
    )
    .map(|_| StatusCode::ACCEPTED)
}

async fn group_exists(AxumState(s): Sim, Path((hub, group)): Path<(String, String)>) -> ApiResult {
    check_hub_group(&hub, &group)?;
    let exists = s.state.group_exists(&hub, &group);
    found(
        exists,
        "Warning.Group.NotExisted",
        format!("group {group:?} has no connections"),
    )
}

async fn user_exists(AxumState(s): Sim, Path((hub, user)): Path<(String, String)>) -> ApiResult {
    check_hub(&hub)?;
    let exists = s.state.user_exists(&hub, &user);
    found(
        exists,
        "Warning.User.NotExisted",
        format!("user {user:?} has no connections"),
    )
}

async fn add_connection_to_group(
    AxumState(s): Sim,
    Path((hub, group, connection)): Path<(String, String, String)>,
) -> ApiResult {
    check_hub_group(&hub, &group)?;
    let added = s.state.add_connection_to_group(&hub, &group, &connection);
    found(
        added,
        "Error.Connection.NotExisted",
        format!("connection {connection:?} does not exist"),
    )
}

async fn remove_connection_from_group(
    AxumState(s): Sim,
    Path((hub, group, connection)): Path<(String, String, String)>,
) -> ApiResult {
    check_hub_group(&hub, &group)?;
    if !s.state.connection_exists(&hub, &connection) {
        return Err(ApiError::not_found(
            "Error.Connection.NotExisted",
            format!("connection {connection:?} does not exist"),
        ));
    }
    let removed = s.state.remove_connection_from_group(&hub, &group, &connection);
    found(
        removed,
        "Warning.Connection.NotInGroup",
        format!("connection {connection:?} is not in group {group:?}"),
    )
}

async fn user_in_group(
    AxumState(s): Sim,
    Path((hub, group, user)): Path<(String, String, String)>,
) -> ApiResult {
    check_hub_group(&hub, &group)?;
    let mapped = s.state.user_in_group(&hub, &group, &user);
    found(
        mapped,
        "Info.User.NotInGroup",
        format!("user {user:?} is not in group {group:?}"),
    )
}

async fn add_user_to_group(
    AxumState(s): Sim,
    Path((hub, group, user)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    check_hub_group(&hub, &group)?;
    let ttl = parse_ttl(&q)?;
    s.state.add_user_to_group(&hub, &group, &user, ttl);
    Ok(StatusCode::ACCEPTED)
}

async fn remove_user_from_group(
    AxumState(s): Sim,
    Path((hub, group, user)): Path<(String, String, String)>,
) -> ApiResult {
    check_hub_group(&hub, &group)?;
    s.state.remove_user_from_group(&hub, &group, &user);
    Ok(StatusCode::ACCEPTED)
}

async fn remove_user_from_all_groups(
    AxumState(s): Sim,
    Path((hub, user)): Path<(String, String)>,
) -> ApiResult {
    check_hub(&hub)?;
    s.state.remove_user_from_all_groups(&hub, &user);
    Ok(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_properties_match_case_insensitively() {
        let m = parse_message(br#"{"Target":"t","Arguments":[1,"a"]}"#).unwrap();
        assert_eq!(m.target, "t");
        assert_eq!(m.arguments, vec![json!(1), json!("a")]);
        assert_eq!(
            parse_message(br#"{"target":"t"}"#).unwrap().arguments,
            Vec::<Value>::new()
        );
    }

    #[test]
    fn bad_bodies_are_named() {
        for (body, expected) in [
            (&b""[..], "required"),
            (b"{", "not JSON"),
            (b"[]", "object"),
            (br#"{"arguments":[]}"#, "no target"),
            (br#"{"target":""}"#, "empty"),
            (br#"{"target":"t","arguments":3}"#, "array"),
        ] {
            let err = parse_message(body).unwrap_err();
            assert!(err.message.contains(expected), "{}", err.message);
        }
    }

    #[test]
    fn ttl_must_be_a_non_negative_integer() {
        let q = |s: &str| Some(s.to_string());
        assert_eq!(parse_ttl(&q("ttl=5")).unwrap(), Some(Duration::from_secs(5)));
        assert_eq!(parse_ttl(&None).unwrap(), None);
        for bad in ["ttl=-1", "ttl=1.5", "ttl=abc", "ttl="] {
            assert!(parse_ttl(&q(bad)).is_err(), "{bad}");
        }
    }
}
