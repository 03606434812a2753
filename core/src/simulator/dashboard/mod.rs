//! The live dashboard: a page at `/dashboard/` showing hubs, connections, groups, user-group
//! mappings and a log of REST calls and deliveries as they happen, over server-sent events.
//!
//! The page, its script and its style sheet are compiled in (no CDN, works offline). It acts
//! through the REST API like any app, with short-lived tokens this module signs for URLs on the
//! simulator's own host, so the page never sees the access key. The dashboard has no login of
//! its own: it is served by default only when the simulator listens on loopback (see
//! [`SimulatorOptions::dashboard`](super::SimulatorOptions::dashboard)).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::errors::ApiError;
use super::rest::request_url;
use super::Shared;

/// Where the page is served.
pub const DASHBOARD_PATH: &str = "/dashboard/";
/// Connections listed per hub; the total is shown beside them.
const LISTED_CONNECTIONS: usize = 1000;
/// How often the event stream looks for changes to send a new snapshot.
const SNAPSHOT_CHECK: Duration = Duration::from_millis(200);
/// Lifetime of the tokens the page gets for its REST calls.
const PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("style.css");

/// The dashboard's routes: the page and its assets, a snapshot, the event stream, tokens.
pub(crate) fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::temporary(DASHBOARD_PATH) }))
        .route(
            "/dashboard",
            get(|| async { Redirect::temporary(DASHBOARD_PATH) }),
        )
        .route(
            DASHBOARD_PATH,
            get(|| async { asset("text/html; charset=utf-8", PAGE) }),
        )
        .route(
            "/dashboard/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/dashboard/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route("/dashboard/api/snapshot", get(snapshot))
        .route("/dashboard/api/events", get(events))
        .route("/dashboard/api/token", post(token))
        .with_state(shared)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Only the page's own script and style run: no inline code, nothing from elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; frame-ancestors 'none'",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn snapshot(AxumState(shared): AxumState<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(shared.state.snapshot(LISTED_CONNECTIONS))
}

/// `activity` events (the history first, then live) and a `snapshot` event whenever the hubs
/// changed.
async fn events(
    AxumState(shared): AxumState<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (history, live) = shared.state.activity.subscribe();
    let first = stream::iter(
        history
            .into_iter()
            .map(|text| Ok(Event::default().event("activity").data(&*text))),
    );
    let mut ticker = tokio::time::interval(SNAPSHOT_CHECK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let updates = stream::unfold(
        (shared, live, ticker, None::<u64>),
        |(shared, mut live, mut ticker, sent)| async move {
            let mut stopping = shared.stopping.clone();
            loop {
                tokio::select! {
                    // Shutdown waits for open responses; this one would never end on its own.
                    _ = stopping.wait_for(|stop| *stop) => return None,
                    received = live.recv() => match received {
                        Ok(text) => {
                            let event = Event::default().event("activity").data(&*text);
                            return Some((Ok(event), (shared, live, ticker, sent)));
                        }
                        Err(RecvError::Lagged(missed)) => {
                            let text = json!({"kind": "lagged", "missed": missed}).to_string();
                            let event = Event::default().event("activity").data(text);
                            return Some((Ok(event), (shared, live, ticker, sent)));
                        }
                        Err(RecvError::Closed) => return None,
                    },
                    _ = ticker.tick() => {
                        let version = shared.state.version();
                        if sent != Some(version) {
                            let data = shared.state.snapshot(LISTED_CONNECTIONS).to_string();
                            let event = Event::default().event("snapshot").data(data);
                            return Some((Ok(event), (shared, live, ticker, Some(version))));
                        }
                    }
                }
            }
        },
    );
    Sse::new(futures_util::StreamExt::chain(first, updates)).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
struct TokenRequest {
    /// The REST path the page will call, e.g. `/api/v1/hubs/chat`.
    path: String,
}

/// A token for one REST path on this host, as the page's REST call will be verified.
async fn token(
    AxumState(shared): AxumState<Arc<Shared>>,
    headers: HeaderMap,
    Json(request): Json<TokenRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !request.path.starts_with("/api/") || request.path.contains(['?', '#']) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Error.InvalidRequest",
            format!("path {:?} is not a REST API path (/api/...)", request.path),
        ));
    }
    let audience = request_url(&headers, &request.path);
    let token = shared
        .access_key
        .sign(&audience, PAGE_TOKEN_LIFETIME, &serde_json::Map::new())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "Error.InvalidRequest", e.to_string()))?;
    Ok(Json(json!({ "token": token })))
}
