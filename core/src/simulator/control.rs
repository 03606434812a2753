//! The simulator's control endpoint, for tools in other processes (the CLI, tests in another
//! language): fault rules, and dropping or pausing clients. Under `/simulator/`, which the
//! service does not have, with the REST API's auth (a bearer token signed with the access key
//! for the request URL). Faults never apply to it.
//!
//! | request | body | answer |
//! |---|---|---|
//! | `GET /simulator/faults` | | `{"faults": [{"id", "fault", "injected"}], "injected": [{"faultId", "fault", "target", "hub"}]}` |
//! | `POST /simulator/faults` | `{"fault": "503;times=2"}` | 201 `{"id": "f1"}`; 400 naming the bad part |
//! | `DELETE /simulator/faults` | | 204, every rule removed |
//! | `DELETE /simulator/faults/{id}` | | 204; 404 for no such rule |
//! | `POST /simulator/hubs/{hub}/dropClients` | `{"connectionId"?, "close"?: true}` | 200 `{"connections": [ids]}` |
//! | `POST /simulator/hubs/{hub}/pauseClients` | `{"connectionId"?, "seconds": 2.5}` | 200 `{"connections": [ids]}` |

use std::sync::Arc;

use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::ApiError;
use super::faults::Fault;
use super::rest::{authenticate, check_hub};
use super::Shared;

type Sim = AxumState<Arc<Shared>>;
type Answer = Result<(StatusCode, Json<Value>), ApiError>;

/// The `/simulator/` routes.
pub(crate) fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/simulator/faults", get(list).post(add).delete(clear))
        .route("/simulator/faults/{id}", delete(remove))
        .route("/simulator/hubs/{hub}/dropClients", post(drop_clients))
        .route("/simulator/hubs/{hub}/pauseClients", post(pause_clients))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .with_state(shared)
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("Error.Simulator.InvalidRequest", message)
}

async fn list(AxumState(s): Sim) -> Answer {
    let faults: Vec<Value> = s
        .faults
        .list()
        .into_iter()
        .map(|f| json!({"id": f.id, "fault": f.fault.to_string(), "injected": f.injected}))
        .collect();
    let injected: Vec<Value> = s
        .faults
        .injected()
        .into_iter()
        .map(|i| json!({"faultId": i.fault_id, "fault": i.fault, "target": i.target, "hub": i.hub}))
        .collect();
    Ok((
        StatusCode::OK,
        Json(json!({"faults": faults, "injected": injected})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFault {
    fault: String,
}

async fn add(AxumState(s): Sim, body: axum::body::Bytes) -> Answer {
    let request: NewFault = serde_json::from_slice(&body)
        .map_err(|e| bad(format!("the body must be {{\"fault\": \"RULE\"}}: {e}")))?;
    let fault: Fault = request
        .fault
        .parse()
        .map_err(|e: crate::Error| bad(e.to_string()))?;
    let id = s.faults.add(fault);
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

async fn clear(AxumState(s): Sim) -> StatusCode {
    s.faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove(AxumState(s): Sim, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if s.faults.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "Error.Simulator.FaultNotFound",
            format!("no fault rule {id:?}"),
        ))
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClientsRequest {
    connection_id: Option<String>,
    close: Option<bool>,
    seconds: Option<f64>,
}

fn clients_request(body: &[u8]) -> Result<ClientsRequest, ApiError> {
    if body.is_empty() {
        return Ok(ClientsRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| bad(format!("the body is not a valid request: {e}")))
}

async fn drop_clients(AxumState(s): Sim, Path(hub): Path<String>, body: axum::body::Bytes) -> Answer {
    check_hub(&hub)?;
    let request = clients_request(&body)?;
    if request.seconds.is_some() {
        return Err(bad("seconds goes with pauseClients"));
    }
    let ids = super::drop_clients(
        &s,
        &hub,
        request.connection_id.as_deref(),
        request.close.unwrap_or(true),
    );
    Ok((StatusCode::OK, Json(json!({"connections": ids}))))
}

async fn pause_clients(AxumState(s): Sim, Path(hub): Path<String>, body: axum::body::Bytes) -> Answer {
    check_hub(&hub)?;
    let request = clients_request(&body)?;
    if request.close.is_some() {
        return Err(bad("close goes with dropClients"));
    }
    let seconds = request.seconds.ok_or_else(|| bad("seconds is required"))?;
    let duration = super::pause_duration(seconds).map_err(|e| bad(e.to_string()))?;
    let ids = super::pause_clients(&s, &hub, request.connection_id.as_deref(), duration);
    Ok((StatusCode::OK, Json(json!({"connections": ids}))))
}
