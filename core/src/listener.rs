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

/// What the listener saw next.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerEvent {
    /// The service invoked `target` with `arguments` on this client.
    Invocation(PayloadMessage),
    /// The service closed the connection, with its error if any.
    Closed { error: Option<String> },
}

/// A connected SignalR client that only receives.
#[derive(Debug)]
pub struct HubListener {
    connection_id: String,
    writer: SplitSink<Socket, Message>,
    reader: SplitStream<Socket>,
    next_ping: Instant,
    pending: std::collections::VecDeque<ListenerEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NegotiateAnswer {
    connection_id: String,
    connection_token: Option<String>,
}

impl HubListener {
    /// Negotiates with a client token minted from `service`'s access key, then connects.
    pub async fn connect(service: &ServiceClient, hub: &str, options: &ClientTokenOptions) -> Result<Self> {
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
        let response = service
            .http()
            .post(negotiate_url.clone())
            .bearer_auth(&negotiate.access_token)
            .send()
            .await
            .map_err(|e| Error::Transport(format!("negotiate at {negotiate_url} failed: {e}")))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(match status.as_u16() {
                401 | 403 => Error::Unauthorized {
                    status: Some(status.as_u16()),
                    message: body,
                },
                code => Error::Service { status: code, body },
            });
        }
        let answer: NegotiateAnswer = serde_json::from_str(&body)
            .map_err(|e| Error::Transport(format!("negotiate answered {body:?}: {e}")))?;
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
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| Error::Transport(format!("WebSocket to {socket_url} failed: {e}")))?;
        let (mut writer, mut reader) = socket.split();
        let handshake = format!(r#"{{"protocol":"json","version":1}}{RECORD_SEPARATOR}"#);
        writer
            .send(Message::Text(handshake.into()))
            .await
            .map_err(|e| Error::Transport(format!("handshake not sent: {e}")))?;
        let reply = match reader.next().await {
            Some(Ok(Message::Text(text))) => text.to_string(),
            other => return Err(Error::Transport(format!("no handshake reply: {other:?}"))),
        };
        let (handshake_reply, rest) = reply.split_once(RECORD_SEPARATOR).unwrap_or((&reply, ""));
        let parsed: serde_json::Value = serde_json::from_str(handshake_reply)
            .map_err(|e| Error::Transport(format!("bad handshake reply {handshake_reply:?}: {e}")))?;
        if let Some(error) = parsed.get("error").and_then(|e| e.as_str()) {
            return Err(Error::Transport(format!("handshake refused: {error}")));
        }
        let mut listener = HubListener {
            connection_id: answer.connection_id,
            writer,
            reader,
            next_ping: Instant::now() + CLIENT_PING_INTERVAL,
            pending: Default::default(),
        };
        listener.absorb(rest)?;
        Ok(listener)
    }

    /// The connection id REST calls can address.
    pub fn connection_id(&self) -> &str {
        &self.connection_id
    }

    /// The next invocation or close; `None` once the socket has ended.
    pub async fn next(&mut self) -> Result<Option<ListenerEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            tokio::select! {
                frame = self.reader.next() => match frame {
                    Some(Ok(Message::Text(text))) => self.absorb(text.as_str())?,
                    Some(Ok(Message::Close(_))) | None => return Ok(None),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(Error::Transport(format!("WebSocket failed: {e}"))),
                },
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
            HubMessage::Close { error } => Some(ListenerEvent::Closed { error }),
            HubMessage::Ping | HubMessage::Other(_) => None,
        }));
        Ok(())
    }
}
