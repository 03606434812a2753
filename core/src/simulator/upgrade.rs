//! The client endpoint's WebSocket upgrade, made with hyper and tungstenite rather than axum's
//! `WebSocketUpgrade`: the socket task needs tungstenite's frames, to send large messages as
//! fragments (a connection's write buffer keeps the size of the largest frame it ever wrote).

use std::future::Future;

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::StreamExt;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// A server-side WebSocket over an upgraded HTTP connection.
type WebSocket = WebSocketStream<TokioIo<Upgraded>>;
/// The sending half of a [`WebSocket`].
pub(crate) type Writer = SplitSink<WebSocket, Message>;
/// The receiving half of a [`WebSocket`].
pub(crate) type Reader = SplitStream<WebSocket>;

/// A valid WebSocket upgrade request (RFC 6455 section 4.2.1), not yet answered.
pub(crate) struct Upgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

/// Why a request is not a WebSocket upgrade; answered 400 by whoever refuses it.
#[derive(Debug)]
pub(crate) struct NotAnUpgrade(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotAnUpgrade;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, NotAnUpgrade> {
        let refuse = |why: &str| Err(NotAnUpgrade(why.to_string()));
        if parts.method != Method::GET {
            return Err(NotAnUpgrade(format!("the method is {}, not GET", parts.method)));
        }
        if !has_token(&parts.headers, header::CONNECTION, "upgrade") {
            return refuse("the Connection header does not say upgrade");
        }
        if !has_token(&parts.headers, header::UPGRADE, "websocket") {
            return refuse("the Upgrade header does not say websocket");
        }
        if !has_token(&parts.headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return refuse("Sec-WebSocket-Version is not 13");
        }
        let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
            return refuse("Sec-WebSocket-Key is missing");
        };
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            return refuse("this connection cannot be upgraded");
        };
        Ok(Upgrade { key, on_upgrade })
    }
}

impl Upgrade {
    /// The 101 answer. Once the client has it, `serve` runs with the socket's two halves in a
    /// task of its own; `failed` runs instead if the connection could not be taken over.
    pub fn answer<F, Fut>(
        self,
        config: WebSocketConfig,
        serve: F,
        failed: impl FnOnce(hyper::Error) + Send + 'static,
    ) -> Response
    where
        F: FnOnce(Writer, Reader) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let accept = derive_accept_key(self.key.as_bytes());
        tokio::spawn(async move {
            match self.on_upgrade.await {
                Ok(upgraded) => {
                    let io = TokioIo::new(upgraded);
                    // Split here, so no future of the connection keeps a slot for the whole socket.
                    let (writer, reader) = WebSocketStream::from_raw_socket(io, Role::Server, Some(config))
                        .await
                        .split();
                    serve(writer, reader).await
                }
                Err(error) => failed(error),
            }
        });
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        response
    }
}

impl IntoResponse for NotAnUpgrade {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, self.0).into_response()
    }
}

impl std::fmt::Display for NotAnUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether header `name` holds `token` in its comma-separated list, ignoring case.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .any(|part| part.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_tokens_are_found_in_lists_whatever_their_case() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(has_token(&headers, header::CONNECTION, "upgrade"));
        assert!(!has_token(&headers, header::CONNECTION, "close"));
        assert!(!has_token(&headers, header::UPGRADE, "websocket"));
    }
}
