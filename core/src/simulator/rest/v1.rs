//! The v1 routes (`/api/v1/...`) with v1's status codes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, post, put};
use axum::Router;

use super::{
    authenticate, check_hub, check_hub_group, found, parse_message, parse_ttl, query_values, ApiResult,
    GroupConnection, GroupUser,
};
use crate::simulator::errors::ApiError;
use crate::simulator::Shared;

type Sim = AxumState<Arc<Shared>>;

/// The `/api/v1` routes.
pub(super) fn routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
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
