//! `HubListener` timeouts: a loopback server stalls at one step, and the error names that step.

use std::future::pending;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use signalr_rest::{Error, HubListener, ListenerTimeouts, ServiceClient};

/// The step at which the server stops answering.
#[derive(Clone, Copy, Debug)]
enum Stall {
    /// Accepts TCP connections and never answers.
    Negotiate,
    /// Answers negotiate, never answers the WebSocket upgrade.
    Connect,
    /// Opens the WebSocket, never replies to the handshake.
    Handshake,
    /// Completes the handshake, then sends nothing.
    AfterHandshake,
}

/// Starts a server stalling at `stall`; returns its endpoint.
async fn stalling_server(stall: Stall) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    if let Stall::Negotiate = stall {
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        return url;
    }
    let app = Router::new()
        .route(
            "/client/negotiate",
            post(|| async {
                Json(json!({
                    "connectionId": "c1",
                    "connectionToken": "t1",
                    "negotiateVersion": 1,
                    "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text"]}]
                }))
            }),
        )
        .route(
            "/client/",
            get(move |upgrade: WebSocketUpgrade| async move {
                if let Stall::Connect = stall {
                    return pending::<Response>().await;
                }
                upgrade.on_upgrade(move |socket| hold(socket, stall))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Reads what the client sends; answers only the handshake, and only after it.
async fn hold(mut socket: WebSocket, stall: Stall) {
    while let Some(Ok(message)) = socket.recv().await {
        if let (Stall::AfterHandshake, Message::Text(text)) = (stall, &message) {
            if text.as_str().contains("\"protocol\"") {
                let _ = socket.send(Message::Text("{}\u{1e}".into())).await;
            }
        }
    }
}

const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(20);

/// Connects to a server stalling at `stall` with only `shorten`'s timeout short (300 ms), and
/// checks that the error, coming in time, names `timeout_name`; returns its message.
async fn assert_times_out(stall: Stall, shorten: fn(&mut ListenerTimeouts), timeout_name: &str) -> String {
    let mut timeouts = ListenerTimeouts {
        negotiate: LONG,
        connect: LONG,
        handshake: LONG,
        server_silence: LONG,
    };
    shorten(&mut timeouts);
    let url = stalling_server(stall).await;
    let service = ServiceClient::builder()
        .endpoint(&url)
        .access_key("k")
        .build()
        .unwrap();
    let started = Instant::now();
    let err = match HubListener::connect_with(&service, "chat", &Default::default(), &timeouts).await {
        Err(err) => err,
        Ok(mut listener) => listener.next().await.expect_err("the server sent nothing"),
    };
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let Error::Transport(message) = err else {
        panic!("{stall:?}: {err:?}");
    };
    let expected = format!("{timeout_name} fired after 300ms");
    assert!(message.starts_with(&expected), "{message}");
    message
}

#[tokio::test]
async fn a_stalled_negotiate_fails_with_the_negotiate_timeout() {
    let message = assert_times_out(Stall::Negotiate, |t| t.negotiate = SHORT, "negotiate timeout").await;
    assert!(message.contains("/client/negotiate"), "{message}");
}

#[tokio::test]
async fn a_stalled_websocket_upgrade_fails_with_the_connect_timeout() {
    let message = assert_times_out(Stall::Connect, |t| t.connect = SHORT, "connect timeout").await;
    assert!(message.contains("ws://"), "{message}");
}

#[tokio::test]
async fn a_missing_handshake_reply_fails_with_the_handshake_timeout() {
    assert_times_out(Stall::Handshake, |t| t.handshake = SHORT, "handshake timeout").await;
}

#[tokio::test]
async fn a_silent_server_fails_with_the_server_silence_timeout() {
    let shorten = |t: &mut ListenerTimeouts| t.server_silence = SHORT;
    assert_times_out(Stall::AfterHandshake, shorten, "server silence timeout").await;
}

#[test]
fn defaults_are_what_signalr_clients_use() {
    let defaults = ListenerTimeouts::default();
    assert_eq!(defaults.server_silence, Duration::from_secs(30));
    assert_eq!(defaults.handshake, Duration::from_secs(15));
}

#[tokio::test]
async fn a_zero_timeout_is_refused_naming_it() {
    let service = ServiceClient::builder()
        .endpoint("http://127.0.0.1:9")
        .access_key("k")
        .build()
        .unwrap();
    let timeouts = ListenerTimeouts {
        handshake: Duration::ZERO,
        ..ListenerTimeouts::default()
    };
    let err = HubListener::connect_with(&service, "chat", &Default::default(), &timeouts)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { ref field, .. } if field == "handshake timeout"),
        "{err:?}"
    );
}
