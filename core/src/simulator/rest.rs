//! The v1 REST API over the state, with the service's validation, status codes and auth.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::Router;
use serde_json::value::RawValue;

use super::errors::{bearer_token, unauthorized, ApiError};
use super::Shared;
use crate::auth::verify_token;
use crate::model::{validate_group, validate_hub, Arguments, PayloadMessage};

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
        // The reversed forms the v1 OpenAPI file also lists, same meaning as the forward ones.
        .route(
            "/api/v1/hubs/{hub}/users/{user}/groups/{group}",
            get(user_in_group)
                .put(add_user_to_group)
                .delete(remove_user_from_group),
        )
        .route(
            "/api/v1/hubs/{hub}/connections/{connection}/groups/{group}",
            put(add_connection_to_group).delete(remove_connection_from_group),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate));
    Router::new()
        .route("/api/v1/health", get(|| async { StatusCode::OK }))
        .merge(hubs)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

type ApiResult = Result<StatusCode, ApiError>;

/// Checks the bearer token against the access key and the request URL.
async fn authenticate(AxumState(shared): Sim, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let verdict = match token {
        None => Err("no bearer token in the Authorization header".to_string()),
        Some(token) => {
            let audience = request_url(request.headers(), request.uri().path());
            verify_token(token, &shared.access_key, &audience).map(|_| ())
        }
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(reason) => unauthorized(&reason),
    }
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

/// Reads `{"target", "arguments"}`, property names matched case-insensitively; the arguments
/// keep their JSON text.
fn parse_message(body: &[u8]) -> Result<PayloadMessage, ApiError> {
    let bad = |message: String| ApiError::bad_request("Error.InvalidRequestBody", message);
    if body.is_empty() {
        return Err(bad(
            "the request body is required: {\"target\": ..., \"arguments\": [...]}".into(),
        ));
    }
    let object: Vec<(String, Box<RawValue>)> = match serde_json::from_slice::<Box<RawValue>>(body) {
        Err(e) => return Err(bad(format!("the request body is not JSON: {e}"))),
        Ok(raw) if !raw.get().starts_with('{') => {
            return Err(bad("the request body must be a JSON object".into()))
        }
        Ok(raw) => serde_json::from_str::<indexed::Fields>(raw.get())
            .ok()
            .map(|fields| fields.0)
            .ok_or_else(|| bad("the request body must be a JSON object".into()))?,
    };
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.get())
    };
    let target = match field("target") {
        None => return Err(bad("the request body has no target".into())),
        Some(raw) => match serde_json::from_str::<String>(raw) {
            Ok(t) if !t.is_empty() => t,
            Ok(_) => return Err(bad("target must not be empty".into())),
            Err(_) => return Err(bad(format!("target must be a string, got {raw}"))),
        },
    };
    let arguments = match field("arguments") {
        None | Some("null") => Arguments::default(),
        Some(raw) => {
            Arguments::from_json(raw).map_err(|_| bad(format!("arguments must be an array, got {raw}")))?
        }
    };
    Ok(PayloadMessage { target, arguments })
}

/// A JSON object read as its fields in order, each value kept as text.
mod indexed {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::value::RawValue;

    pub struct Fields(pub Vec<(String, Box<RawValue>)>);

    impl<'de> Deserialize<'de> for Fields {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct FieldsVisitor;
            impl<'de> Visitor<'de> for FieldsVisitor {
                type Value = Fields;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                    let mut fields = Vec::new();
                    while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                        fields.push(entry);
                    }
                    Ok(Fields(fields))
                }
            }
            deserializer.deserialize_map(FieldsVisitor)
        }
    }
}

/// The values of query parameter `name` as ASP.NET Core model binding reads them: the name
/// matched case-insensitively, repeated (`name=a&name=b`) or indexed (`name[0]=a`, `name[]=a`).
fn query_values(query: &Option<String>, name: &str) -> Vec<String> {
    let matches = |key: &str| {
        let base = key.split_once('[').map_or(key, |(base, _)| base);
        base.eq_ignore_ascii_case(name) && (base.len() == key.len() || key.ends_with(']'))
    };
    query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| matches(k))
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

/// A group and a user, read by name so the forward and reversed paths share handlers.
#[derive(Debug, serde::Deserialize)]
struct GroupUser {
    hub: String,
    group: String,
    user: String,
}

/// A group and a connection, read by name so the forward and reversed paths share handlers.
#[derive(Debug, serde::Deserialize)]
struct GroupConnection {
    hub: String,
    group: String,
    connection: String,
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
    Path(GroupConnection {
        hub,
        group,
        connection,
    }): Path<GroupConnection>,
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
    Path(GroupConnection {
        hub,
        group,
        connection,
    }): Path<GroupConnection>,
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
    Path(GroupUser { hub, group, user }): Path<GroupUser>,
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
    Path(GroupUser { hub, group, user }): Path<GroupUser>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    check_hub_group(&hub, &group)?;
    let ttl = parse_ttl(&q)?;
    s.state.add_user_to_group(&hub, &group, &user, ttl);
    Ok(StatusCode::ACCEPTED)
}

async fn remove_user_from_group(
    AxumState(s): Sim,
    Path(GroupUser { hub, group, user }): Path<GroupUser>,
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
        assert_eq!(m.arguments.as_json(), r#"[1,"a"]"#);
        assert_eq!(
            parse_message(br#"{"target":"t"}"#).unwrap().arguments.as_json(),
            "[]"
        );
        let m =
            parse_message(br#"{"target":"t","arguments":[{"z":1,"a":2},123456789012345678901234567890]}"#)
                .unwrap();
        assert_eq!(
            m.arguments.as_json(),
            r#"[{"z":1,"a":2},123456789012345678901234567890]"#
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
