//! Error answers shared by every simulator route: the JSON `{code, message}` body with the
//! `x-ms-error-code` header, for the simulator's own errors and for every rejection the HTTP
//! framework makes (unknown route, wrong method, bad path or query, body or headers too large,
//! a handler that panicked).

use std::any::Any;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::client::ERROR_CODE_HEADER;

/// Largest total size of request headers (names and values) accepted; larger gets 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Longest framework error body carried into the JSON message.
const MAX_REWRITTEN_BODY: usize = 4096;

/// A non-success answer: status, service error code and a message naming the bad value.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
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

/// 401 with `WWW-Authenticate` and a JSON body saying why.
pub(crate) fn unauthorized(reason: &str) -> Response {
    let challenge = format!(
        "Bearer error=\"invalid_token\", error_description=\"{}\"",
        reason.replace('"', "'")
    );
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, "Error.Unauthorized", reason).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The bearer token of an `Authorization` header, the scheme matched case-insensitively.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Answer for a path no route serves.
pub(crate) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(
        "Error.RouteNotFound",
        format!("no operation is served at {method} {}", uri.path()),
    )
}

/// Answer for a handler that panicked: a 500 in the same shape, and the simulator keeps serving.
pub(crate) fn panicked(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("no message");
    tracing::error!(%detail, "a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Error.Internal",
        format!("the simulator failed on this request: {detail}"),
    )
    .into_response()
}

/// The 431 answer for a request whose headers total more than [`MAX_HEADER_BYTES`].
pub(crate) fn headers_too_large(request: &Request) -> Option<Response> {
    let total: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (total > MAX_HEADER_BYTES).then(|| {
        ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Error.RequestHeaderFieldsTooLarge",
            format!("the request headers total {total} bytes; at most {MAX_HEADER_BYTES} are accepted"),
        )
        .into_response()
    })
}

/// Gives an error answer to `method` `uri` that lacks it the JSON `{code, message}` body and
/// the `x-ms-error-code` header, keeping its status and other headers.
pub(crate) async fn with_json_error(method: &Method, uri: &Uri, response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(ERROR_CODE_HEADER)
    {
        return response;
    }
    let asked = format!("{method} {}", uri.path());
    let (mut parts, body) = response.into_parts();
    let text = to_bytes(body, MAX_REWRITTEN_BODY)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (code, message) = match serde_json::from_str::<Value>(&text) {
        Ok(body) if body["code"].is_string() => (
            body["code"].as_str().unwrap_or_default().to_string(),
            body["message"].as_str().unwrap_or_default().to_string(),
        ),
        _ => (
            framework_code(status).to_string(),
            framework_message(status, &text, &asked),
        ),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(&code) {
        parts.headers.insert(ERROR_CODE_HEADER, value);
    }
    let body = json!({"code": code, "message": message}).to_string();
    Response::from_parts(parts, Body::from(body))
}

fn framework_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Error.PayloadTooLarge",
        StatusCode::NOT_FOUND => "Error.RouteNotFound",
        StatusCode::METHOD_NOT_ALLOWED => "Error.MethodNotAllowed",
        StatusCode::CONFLICT => "Error.Conflict",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Error.UnsupportedMediaType",
        s if s.is_server_error() => "Error.Internal",
        _ => "Error.BadRequest",
    }
}

fn framework_message(status: StatusCode, text: &str, asked: &str) -> String {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => format!("{asked}: this method is not allowed on this path"),
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than the {} bytes allowed",
            super::rest::MAX_BODY_BYTES
        ),
        _ if text.trim().is_empty() => status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_string(),
        _ => text.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_json_shape() {
        let response = panicked(Box::new("boom"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[ERROR_CODE_HEADER], "Error.Internal");
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert!(body["message"].as_str().unwrap().contains("boom"), "{body}");
    }

    #[test]
    fn the_bearer_scheme_matches_case_insensitively() {
        assert_eq!(bearer_token("BEARER abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
