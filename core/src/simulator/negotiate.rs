//! The client endpoint SignalR clients use: `POST /client/negotiate` and the WebSocket at
//! `GET /client/`, with client-token checks and CORS for browsers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, RawQuery, State as AxumState};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use super::errors::{bearer_token, unauthorized, ApiError};
use super::socket::{self, Peer, MAX_CLIENT_MESSAGE_BYTES};
use super::upgrade::{NotAnUpgrade, Upgrade};
use super::Shared;
use crate::auth::VerifiedClaims;
use crate::model::validate_hub;

/// Bytes a WebSocket reads at a time: its read buffer starts this small and grows only for a
/// frame that needs more (clients' messages to the service are mostly pings and small calls).
const READ_BUFFER_BYTES: usize = 256;
/// Bytes of frames a WebSocket gathers before writing them out; a flush writes at once.
const WRITE_BUFFER_BYTES: usize = 1024;
/// How long a negotiated connection waits for its WebSocket.
const NEGOTIATION_LIFETIME: Duration = Duration::from_secs(300);

/// Negotiated connections by the id the client will present (`connectionToken` or, for
/// negotiate version 0, `connectionId`).
#[derive(Debug, Default)]
pub(crate) struct Negotiations(Mutex<NegotiationMaps>);

#[derive(Debug, Default)]
struct NegotiationMaps {
    /// Negotiated, waiting for their WebSocket, with when they were negotiated.
    pending: HashMap<String, (Peer, Instant)>,
    /// Those with a WebSocket: only the id is kept (to refuse a second socket), not the peer,
    /// whose claims and token an open connection does not need.
    attached: HashSet<String>,
    /// When `pending` is next swept of expired entries (at most once a second, not per call).
    next_sweep: Option<Instant>,
}

impl Negotiations {
    fn lock(&self) -> std::sync::MutexGuard<'_, NegotiationMaps> {
        let mut maps = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if maps.next_sweep.is_none_or(|at| at <= now) {
            maps.pending
                .retain(|_, (_, created)| now.duration_since(*created) < NEGOTIATION_LIFETIME);
            maps.next_sweep = Some(now + Duration::from_secs(1));
        }
        maps
    }

    fn add(&self, key: String, peer: Peer) {
        self.lock().pending.insert(key, (peer, Instant::now()));
    }

    /// Claims a negotiated connection for a socket: 404 if unknown, 409 if already taken.
    fn attach(&self, key: &str, hub: &str) -> Result<Peer, StatusCode> {
        let mut maps = self.lock();
        if maps.attached.contains(key) {
            return Err(StatusCode::CONFLICT);
        }
        match maps.pending.get(key) {
            Some((peer, _)) if !peer.hub.eq_ignore_ascii_case(hub) => Err(StatusCode::NOT_FOUND),
            Some(_) => {
                let (key, (peer, _)) = maps.pending.remove_entry(key).expect("present");
                maps.attached.insert(key);
                Ok(peer)
            }
            None => Err(StatusCode::NOT_FOUND),
        }
    }

    fn remove(&self, key: &str) {
        let mut maps = self.lock();
        maps.pending.remove(key);
        maps.attached.remove(key);
    }
}

#[derive(Debug, Deserialize)]
struct ClientQuery {
    hub: Option<String>,
    id: Option<String>,
    access_token: Option<String>,
    #[serde(rename = "negotiateVersion")]
    negotiate_version: Option<u32>,
}

/// `/client/negotiate` and `/client/` with CORS.
pub(crate) fn routes(shared: Arc<Shared>) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        // Any header the page asks for, as ASP.NET Core's AllowAnyHeader answers with
        // credentials: browser clients send their `headers` option (an app's own, such as
        // x-ms-signalr-user-id) to every negotiate, the service's included.
        .allow_headers(AllowHeaders::mirror_request());
    Router::new()
        .route("/client/negotiate", post(negotiate))
        .route("/client", get(connect))
        .route("/client/", get(connect))
        .layer(cors)
        .with_state(shared)
}

/// Checks the client token for `hub`: from `Authorization: Bearer` or `access_token`.
fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    query: &ClientQuery,
) -> Result<(String, VerifiedClaims), Refusal> {
    let hub = query
        .hub
        .clone()
        .ok_or_else(|| Refusal::BadRequest("the hub query parameter is required".into()))?;
    validate_hub(&hub).map_err(|e| Refusal::BadRequest(e.to_string()))?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .map(str::to_string)
        .or_else(|| query.access_token.clone())
        .ok_or_else(|| {
            Refusal::Unauthorized("no bearer token in the Authorization header or access_token".into())
        })?;
    let audience = format!(
        "{}?hub={}",
        super::rest::request_url(headers, "/client/"),
        hub.to_ascii_lowercase()
    );
    let claims = shared
        .verify_token(&token, &audience)
        .map_err(Refusal::Unauthorized)?;
    Ok((hub, claims))
}

/// Why a client request is turned away before it reaches the hub.
enum Refusal {
    BadRequest(String),
    Unauthorized(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::BadRequest(message) => bad_request(&message),
            Refusal::Unauthorized(why) => unauthorized(&why),
        }
    }
}

fn bad_request(message: &str) -> Response {
    ApiError::bad_request("Error.BadRequest", message).into_response()
}

async fn negotiate(
    AxumState(shared): AxumState<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<ClientQuery>,
) -> Response {
    let (hub, claims) = match authenticate(&shared, &headers, &query) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let connection_id = crate::random_id(22);
    let peer = Peer::new(hub, connection_id.clone(), &claims);
    let transports = json!([{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]);
    let body: Value = if query.negotiate_version.unwrap_or(0) >= 1 {
        let token = crate::random_id(22);
        shared.negotiations.add(token.clone(), peer);
        json!({"connectionId": connection_id, "connectionToken": token, "negotiateVersion": 1, "availableTransports": transports})
    } else {
        shared.negotiations.add(connection_id.clone(), peer);
        json!({"connectionId": connection_id, "negotiateVersion": 0, "availableTransports": transports})
    };
    Json(body).into_response()
}

async fn connect(
    AxumState(shared): AxumState<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<ClientQuery>,
    RawQuery(raw_query): RawQuery,
    upgrade: Result<Upgrade, NotAnUpgrade>,
) -> Response {
    let (hub, claims) = match authenticate(&shared, &headers, &query) {
        Ok(ok) => ok,
        Err(refusal) => return refusal.into_response(),
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return bad_request(&format!(
                "this endpoint only accepts WebSocket connections: {rejection}"
            ))
        }
    };
    let peer = match &query.id {
        Some(id) => match shared.negotiations.attach(id, &hub) {
            Ok(peer) => peer,
            Err(StatusCode::CONFLICT) => {
                return (StatusCode::CONFLICT, "this connection already has a WebSocket").into_response()
            }
            Err(status) => return (status, "no negotiated connection has this id").into_response(),
        },
        None => Peer::new(hub, crate::random_id(22), &claims),
    };
    let peer = Peer {
        query: raw_query.map(|q| format!("?{q}")).unwrap_or_default(),
        ..peer
    };
    let key = query.id.clone();
    let failed = (shared.clone(), key.clone());
    // tungstenite's 128 KiB default buffers would dominate an idle connection's memory.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(Some(2 * MAX_CLIENT_MESSAGE_BYTES))
        .max_frame_size(Some(2 * MAX_CLIENT_MESSAGE_BYTES));
    upgrade.answer(
        config,
        move |writer, reader| async move {
            socket::serve(writer, reader, shared.clone(), peer).await;
            if let Some(key) = key {
                shared.negotiations.remove(&key);
            }
        },
        move |error| {
            tracing::info!(%error, "a WebSocket upgrade failed");
            if let (shared, Some(key)) = failed {
                shared.negotiations.remove(&key);
            }
        },
    )
}
