//! A receiving SignalR client: negotiate, WebSocket, JSON hub protocol. It shows what a
//! client of a hub actually gets, against the simulator or the real service.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::time::{sleep_until, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::auth::ClientTokenOptions;
use crate::error::{Error, Result};
use crate::model::PayloadMessage;
use crate::protocol::{self, Encoded, HubMessage, Protocol, RECORD_SEPARATOR};
use crate::ServiceClient;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Keep-alive ping interval the client keeps, as SignalR clients do.
const CLIENT_PING_INTERVAL: Duration = Duration::from_secs(15);

/// How long each step of connecting may take, and how long the server may stay silent.
///
/// A step that takes longer fails with an error naming the step and its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerTimeouts {
    /// The `POST .../negotiate` request, answer included (default 30 s).
    pub negotiate: Duration,
    /// Opening the WebSocket: TCP, TLS and the HTTP upgrade (default 30 s).
    pub connect: Duration,
    /// Sending the hub protocol handshake until its reply (default 15 s, as SignalR clients).
    pub handshake: Duration,
    /// Longest silence from the server once connected (default 30 s, the SignalR clients'
    /// server timeout: the service pings every 15 s, so a silent server is gone).
    pub server_silence: Duration,
}

impl Default for ListenerTimeouts {
    fn default() -> Self {
        ListenerTimeouts {
            negotiate: Duration::from_secs(30),
            connect: Duration::from_secs(30),
            handshake: Duration::from_secs(15),
            server_silence: Duration::from_secs(30),
        }
    }
}

impl ListenerTimeouts {
    /// Refuses a zero timeout, naming it.
    fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("negotiate timeout", self.negotiate),
            ("connect timeout", self.connect),
            ("handshake timeout", self.handshake),
            ("server silence timeout", self.server_silence),
        ] {
            if value.is_zero() {
                return Err(Error::invalid(name, format!("{name} must be greater than zero")));
            }
        }
        Ok(())
    }
}

/// Runs `step`, or fails after `limit` with an error naming the timeout and the step.
async fn within<T>(
    limit: Duration,
    timeout_name: &str,
    step_name: &str,
    step: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(limit, step).await.map_err(|_| {
        Error::Transport(format!(
            "{timeout_name} fired after {limit:?}: {step_name} did not finish"
        ))
    })?
}

/// What the listener saw next.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerEvent {
    /// The service invoked `target` with `arguments` on this client.
    Invocation(PayloadMessage),
    /// The service closed the connection, with its error if any.
    Closed {
        /// The reason the service gave.
        error: Option<String>,
    },
}

/// A connected SignalR client that only receives.
#[derive(Debug)]
pub struct HubListener {
    connection_id: String,
    writer: SplitSink<Socket, Message>,
    reader: SplitStream<Socket>,
    next_ping: Instant,
    pending: std::collections::VecDeque<ListenerEvent>,
    server_silence: Duration,
    last_heard: Instant,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NegotiateAnswer {
    connection_id: String,
    connection_token: Option<String>,
}

impl HubListener {
    /// Negotiates with a client token minted from `service`'s access key, then connects, with
    /// the default [`ListenerTimeouts`].
    pub async fn connect(service: &ServiceClient, hub: &str, options: &ClientTokenOptions) -> Result<Self> {
        Self::connect_with(service, hub, options, &ListenerTimeouts::default()).await
    }

    /// [`connect`](Self::connect) with the given timeouts.
    pub async fn connect_with(
        service: &ServiceClient,
        hub: &str,
        options: &ClientTokenOptions,
        timeouts: &ListenerTimeouts,
    ) -> Result<Self> {
        timeouts.validate()?;
        let negotiate = service.negotiate(hub, options)?;
        let mut negotiate_url = url::Url::parse(&negotiate.url)
            .map_err(|e| Error::Transport(format!("bad client URL {}: {e}", negotiate.url)))?;
        negotiate_url.set_path(&format!(
            "{}/negotiate",
            negotiate_url.path().trim_end_matches('/')
        ));
        negotiate_url
            .query_pairs_mut()
            .append_pair("negotiateVersion", "1");
        let answer = within(
            timeouts.negotiate,
            "negotiate timeout",
            &format!("negotiate at {negotiate_url}"),
            negotiate_at(service, &negotiate_url, &negotiate.access_token),
        )
        .await?;
        let id = answer
            .connection_token
            .unwrap_or_else(|| answer.connection_id.clone());

        let mut socket_url = url::Url::parse(&negotiate.url).map_err(|e| Error::Transport(e.to_string()))?;
        let scheme = if socket_url.scheme() == "https" {
            "wss"
        } else {
            "ws"
        };
        socket_url
            .set_scheme(scheme)
            .map_err(|_| Error::Transport(format!("cannot use {scheme} for {socket_url}")))?;
        socket_url.query_pairs_mut().append_pair("id", &id);
        let mut request = socket_url
            .as_str()
            .into_client_request()
            .map_err(|e| Error::Transport(format!("bad WebSocket URL {socket_url}: {e}")))?;
        let bearer = format!("Bearer {}", negotiate.access_token)
            .parse()
            .map_err(|_| Error::Transport("the access token is not a valid header".into()))?;
        request.headers_mut().insert("authorization", bearer);
        let connect = async {
            tokio_tungstenite::connect_async(request)
                .await
                .map_err(|e| Error::Transport(format!("WebSocket to {socket_url} failed: {e}")))
        };
        let step = format!("opening the WebSocket to {socket_url}");
        let (socket, _) = within(timeouts.connect, "connect timeout", &step, connect).await?;
        let (mut writer, mut reader) = socket.split();
        let step = format!("the hub protocol handshake with {socket_url}");
        let rest = within(
            timeouts.handshake,
            "handshake timeout",
            &step,
            handshake(&mut writer, &mut reader),
        )
        .await?;
        let mut listener = HubListener {
            connection_id: answer.connection_id,
            writer,
            reader,
            next_ping: Instant::now() + CLIENT_PING_INTERVAL,
            pending: Default::default(),
            server_silence: timeouts.server_silence,
            last_heard: Instant::now(),
        };
        listener.absorb(&rest)?;
        Ok(listener)
    }

    /// The connection id REST calls can address.
    pub fn connection_id(&self) -> &str {
        &self.connection_id
    }

    /// The next invocation or close; `None` once the socket has ended. Fails when the server
    /// stays silent longer than the server silence timeout.
    pub async fn next(&mut self) -> Result<Option<ListenerEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            tokio::select! {
                frame = self.reader.next() => {
                    self.last_heard = Instant::now();
                    match frame {
                        Some(Ok(Message::Text(text))) => self.absorb(text.as_str())?,
                        Some(Ok(Message::Close(_))) | None => return Ok(None),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(Error::Transport(format!("WebSocket failed: {e}"))),
                    }
                },
                _ = sleep_until(self.last_heard + self.server_silence) => {
                    return Err(Error::Transport(format!(
                        "server silence timeout fired after {:?}: the server sent nothing, not \
                         even a ping (it pings every 15 s), so the connection is presumed dead",
                        self.server_silence
                    )));
                }
                _ = sleep_until(self.next_ping) => {
                    if let Encoded::Text(ping) = protocol::encode_ping(Protocol::Json) {
                        self.writer.send(Message::Text(ping.into())).await
                            .map_err(|e| Error::Transport(format!("ping not sent: {e}")))?;
                    }
                    self.next_ping = Instant::now() + CLIENT_PING_INTERVAL;
                }
            }
        }
    }

    /// Sends a Close message and closes the socket.
    pub async fn close(mut self) -> Result<()> {
        let close = format!(r#"{{"type":7}}{RECORD_SEPARATOR}"#);
        let _ = self.writer.send(Message::Text(close.into())).await;
        self.writer
            .close()
            .await
            .map_err(|e| Error::Transport(format!("close failed: {e}")))
    }

    fn absorb(&mut self, text: &str) -> Result<()> {
        let messages = protocol::decode_json(text).map_err(Error::Transport)?;
        self.pending.extend(messages.into_iter().filter_map(|m| match m {
            HubMessage::Invocation(call) => Some(ListenerEvent::Invocation(call)),
            HubMessage::Close { error, .. } => Some(ListenerEvent::Closed { error }),
            HubMessage::Call { .. } | HubMessage::Ping | HubMessage::Other(_) => None,
        }));
        Ok(())
    }
}

/// `POST`s negotiate with the client token and reads its answer.
async fn negotiate_at(
    service: &ServiceClient,
    url: &url::Url,
    access_token: &str,
) -> Result<NegotiateAnswer> {
    let response = service
        .http()?
        .post(url.clone())
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| Error::Transport(format!("negotiate at {url} failed: {e}")))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| Error::Transport(format!("negotiate at {url} broke off: {e}")))?;
    if !status.is_success() {
        return Err(match status.as_u16() {
            401 | 403 => Error::Unauthorized {
                status: Some(status.as_u16()),
                message: body,
            },
            code => Error::Service { status: code, body },
        });
    }
    serde_json::from_str(&body).map_err(|e| Error::Transport(format!("negotiate answered {body:?}: {e}")))
}

/// Sends the JSON protocol handshake and waits for its reply; returns what followed the reply
/// in the same frame.
async fn handshake(
    writer: &mut SplitSink<Socket, Message>,
    reader: &mut SplitStream<Socket>,
) -> Result<String> {
    let request = format!(r#"{{"protocol":"json","version":1}}{RECORD_SEPARATOR}"#);
    writer
        .send(Message::Text(request.into()))
        .await
        .map_err(|e| Error::Transport(format!("handshake not sent: {e}")))?;
    let reply = loop {
        match reader.next().await {
            Some(Ok(Message::Text(text))) => break text.to_string(),
            // WebSocket pings may come first; tungstenite answers them.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => return Err(Error::Transport(format!("no handshake reply: {other:?}"))),
        }
    };
    let (handshake_reply, rest) = reply.split_once(RECORD_SEPARATOR).unwrap_or((&reply, ""));
    let parsed: serde_json::Value = serde_json::from_str(handshake_reply)
        .map_err(|e| Error::Transport(format!("bad handshake reply {handshake_reply:?}: {e}")))?;
    if let Some(error) = parsed.get("error").and_then(|e| e.as_str()) {
        return Err(Error::Transport(format!("handshake refused: {error}")));
    }
    Ok(rest.to_string())
}
