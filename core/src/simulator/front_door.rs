//! What every request goes through, in one middleware (each layer of its own cost a boxed
//! service clone per request): fault injection, the header limit, JSON error bodies, and the
//! request log and activity record.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State as AxumState};
use axum::middleware::Next;
use axum::response::Response;

use super::{activity, errors, faults, Shared};
use crate::client::ERROR_CODE_HEADER;

/// Runs `request` through the faults, the header limit and the routes, makes an error answer
/// JSON, logs the request (at debug) and records those of the REST API and clients in the
/// activity log.
pub(crate) async fn front_door(
    AxumState(shared): AxumState<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let started = Instant::now();
    // A fault's answer is sent as the rule gives it, without the JSON error body.
    let answer = match faults::intercept(&shared, &request) {
        Some(intercept) => intercept.answer().await,
        None => None,
    };
    let response = match answer {
        Some(answer) => answer,
        None => match errors::headers_too_large(&request) {
            Some(refusal) => refusal,
            None => errors::with_json_error(&method, &uri, next.run(request).await).await,
        },
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let path = uri.path();
    // At debug (target `signalr_rest::requests`): formatting and writing a line per request
    // cost as much as the rest of a send; the dashboard shows every request anyway.
    tracing::debug!(target: "signalr_rest::requests", %method, %path, status, ?elapsed, "request");
    if path.starts_with("/api/") || path.starts_with("/client") {
        // Client requests name their hub in the query (`/client/?hub=chat`).
        let hub = uri.query().and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "hub")
                .map(|(_, hub)| hub.to_ascii_lowercase())
        });
        let error_code = response
            .headers()
            .get(ERROR_CODE_HEADER)
            .and_then(|v| v.to_str().ok());
        let fault = response
            .extensions()
            .get::<faults::Injected>()
            .map(|f| f.0.as_str());
        shared.state.activity.record(&activity::Request {
            kind: "request",
            method: method.as_str(),
            path,
            hub: hub.as_deref(),
            status,
            error_code,
            ms: elapsed.as_secs_f64() * 1000.0,
            fault,
        });
    }
    response
}
