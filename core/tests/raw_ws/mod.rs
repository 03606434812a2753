//! Helpers for tests that speak to the simulator over raw WebSockets.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_rest::protocol::Encoded;
use signalr_rest::{ClientTokenOptions, RetryPolicy, ServiceClient, Simulator, SimulatorOptions};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(5);

/// A client's raw WebSocket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A simulator with `options` and a client of it that never retries, so a failure shows.
pub async fn setup_with(options: SimulatorOptions) -> (Simulator, ServiceClient) {
    let sim = Simulator::start(options).await.unwrap();
    let service = client_of(&sim);
    (sim, service)
}

/// A simulator with default options and a client of it that never retries.
pub async fn setup() -> (Simulator, ServiceClient) {
    setup_with(SimulatorOptions::default()).await
}

/// A client of `sim` that never retries.
pub fn client_of(sim: &Simulator) -> ServiceClient {
    ServiceClient::builder()
        .connection_string(sim.connection_string())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// Opens `/client/?{query}`; the HTTP status when the upgrade is refused.
pub async fn raw_socket(sim: &Simulator, query: &str, token: Option<&str>) -> Result<Socket, u16> {
    let url = format!("ws://{}/client/?{query}", sim.local_addr());
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("{other}"),
    }
}

/// Sends the handshake request and returns the reply text.
pub async fn handshake(socket: &mut Socket, request: &str) -> String {
    socket
        .send(Message::Text(format!("{request}\u{1e}").into()))
        .await
        .unwrap();
    match timeout(WAIT, socket.next()).await.unwrap().unwrap().unwrap() {
        Message::Text(t) => t.to_string(),
        other => panic!("{other:?}"),
    }
}

/// A client token for hub `chat`.
pub fn client_token(service: &ServiceClient, user: Option<&str>) -> String {
    let options = ClientTokenOptions {
        user_id: user.map(str::to_string),
        ..Default::default()
    };
    service.client_access_token("chat", &options).unwrap()
}

/// Polls `check` until it holds or the wait runs out.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// A raw socket to hub `chat` as `user`, after a successful handshake in `protocol`.
pub async fn connected(
    sim: &Simulator,
    service: &ServiceClient,
    user: Option<&str>,
    protocol: &str,
) -> Socket {
    let token = client_token(service, user);
    let mut socket = raw_socket(sim, &format!("hub=chat&access_token={token}"), None)
        .await
        .unwrap();
    let reply = handshake(
        &mut socket,
        &format!(r#"{{"protocol":"{protocol}","version":1}}"#),
    )
    .await;
    assert_eq!(reply, "{}\u{1e}");
    socket
}

/// The next text or binary frame, skipping WebSocket pings.
pub async fn next_frame(socket: &mut Socket) -> Encoded {
    loop {
        match timeout(WAIT, socket.next()).await.expect("a frame in time") {
            Some(Ok(Message::Text(text))) => return Encoded::Text(text.to_string()),
            Some(Ok(Message::Binary(bytes))) => return Encoded::Binary(bytes.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a frame, got {other:?}"),
        }
    }
}
