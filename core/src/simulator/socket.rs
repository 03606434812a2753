//! One SignalR client over a WebSocket: handshake, pushes, pings and close.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};

use crate::protocol::{self, Encoded, HubMessage, Protocol, RECORD_SEPARATOR};
use super::state::Sink;
use super::Shared;
use crate::model::PayloadMessage;

/// Messages a connection may have queued before it counts as unable to keep up.
pub const QUEUE_CAPACITY: usize = 4096;
/// Default time without any other message after which a ping goes out.
pub const PING_INTERVAL: Duration = Duration::from_secs(15);
/// Time a client has to send its handshake, and a frame may take to be written.
const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a closing socket may take to deliver the client's own close frame.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);
/// Close reason given to a client whose queue overflowed.
pub const OVERFLOW_REASON: &str = "the connection did not keep up with its messages and was closed";

/// An invocation encoded at most once per protocol, shared by all of its recipients.
#[derive(Debug)]
pub(crate) struct Frame {
    pub message: PayloadMessage,
    json: OnceLock<Message>,
    msgpack: OnceLock<Message>,
}

impl Frame {
    pub fn new(message: PayloadMessage) -> Self {
        Frame {
            message,
            json: OnceLock::new(),
            msgpack: OnceLock::new(),
        }
    }

    fn ws_message(&self, protocol: Protocol) -> Message {
        let cell = match protocol {
            Protocol::Json => &self.json,
            Protocol::MessagePack => &self.msgpack,
        };
        cell.get_or_init(|| to_ws(protocol::encode_invocation(protocol, &self.message)))
            .clone()
    }
}

/// The simulator's end of a socket connection: a bounded queue plus a close signal.
#[derive(Debug, Clone)]
pub(crate) struct SocketSink {
    queue: mpsc::Sender<Arc<Frame>>,
    close: mpsc::UnboundedSender<Option<String>>,
}

impl SocketSink {
    /// Queues the frame; false when the queue is full.
    pub fn deliver(&self, frame: &Arc<Frame>) -> bool {
        !matches!(
            self.queue.try_send(frame.clone()),
            Err(mpsc::error::TrySendError::Full(_))
        )
    }

    /// Asks the socket task to flush, send a Close with `reason`, and end.
    pub fn close(&self, reason: Option<String>) {
        let _ = self.close.send(reason);
    }
}

/// Who is connecting, decided before the upgrade.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub hub: String,
    pub connection_id: String,
    pub user_id: Option<String>,
}

/// Runs the connection until either side closes; it is a hub connection between handshake and end.
pub(crate) async fn serve(socket: WebSocket, shared: Arc<Shared>, peer: Peer) {
    let (mut writer, mut reader) = socket.split();
    let (protocol, leftover) = match handshake(&mut reader).await {
        Ok(done) => done,
        Err(error) => {
            let reply = protocol::handshake_response(Some(&error));
            let _ = timeout(IO_TIMEOUT, writer.send(Message::Text(reply.into()))).await;
            let _ = timeout(IO_TIMEOUT, writer.send(Message::Close(None))).await;
            tracing::info!(hub = %peer.hub, connection = %peer.connection_id, %error, "handshake refused");
            return;
        }
    };
    let (queue_tx, mut queue) = mpsc::channel::<Arc<Frame>>(QUEUE_CAPACITY);
    let (close_tx, mut close) = mpsc::unbounded_channel();
    let sink = SocketSink {
        queue: queue_tx,
        close: close_tx,
    };
    shared.state.connect(
        &peer.hub,
        &peer.connection_id,
        peer.user_id.as_deref(),
        Sink::Socket(sink),
    );
    // Registered before the handshake reply, so a send made once the client has started reaches it.
    if !send(
        &mut writer,
        Message::Text(protocol::handshake_response(None).into()),
    )
    .await
    {
        shared.state.disconnect(&peer.hub, &peer.connection_id, None);
        return;
    }
    tracing::info!(hub = %peer.hub, connection = %peer.connection_id, user = ?peer.user_id, ?protocol, "client connected");

    let mut ending = client_ends(protocol, leftover.as_bytes());
    let mut next_ping = Instant::now() + shared.ping_interval;
    while ending.is_none() {
        tokio::select! {
            Some(frame) = queue.recv() => {
                if !send(&mut writer, frame.ws_message(protocol)).await { break; }
                next_ping = Instant::now() + shared.ping_interval;
            }
            Some(reason) = close.recv() => {
                while let Ok(frame) = queue.try_recv() {
                    if !send(&mut writer, frame.ws_message(protocol)).await { break; }
                }
                ending = Some(Ending::Closed(reason));
            }
            incoming = reader.next() => {
                ending = match incoming {
                    Some(Ok(Message::Text(text))) => client_ends(protocol, text.as_bytes()),
                    Some(Ok(Message::Binary(bytes))) => client_ends(protocol, &bytes),
                    Some(Ok(Message::Close(_))) => Some(Ending::Left),
                    None | Some(Err(_)) => Some(Ending::Broken),
                    Some(Ok(_)) => None,
                };
            }
            _ = sleep_until(next_ping) => {
                if !send(&mut writer, to_ws(protocol::encode_ping(protocol))).await { break; }
                next_ping = Instant::now() + shared.ping_interval;
            }
        }
    }
    shared.state.disconnect(&peer.hub, &peer.connection_id, None);
    if let Some(Ending::Closed(reason)) = &ending {
        send(
            &mut writer,
            to_ws(protocol::encode_close(protocol, reason.as_deref())),
        )
        .await;
    }
    if !matches!(ending, Some(Ending::Broken) | None) {
        // Completes the WebSocket closing handshake whichever side began it; clients such as
        // the Java one treat a socket dropped without a close frame as a failure.
        let normal = CloseFrame {
            code: axum::extract::ws::close_code::NORMAL,
            reason: "".into(),
        };
        send(&mut writer, Message::Close(Some(normal))).await;
        let drain = async { while let Some(Ok(_)) = reader.next().await {} };
        let _ = timeout(CLOSE_DRAIN, drain).await;
    }
    tracing::info!(hub = %peer.hub, connection = %peer.connection_id, ?ending, "client disconnected");
}

/// Why a connection ends.
#[derive(Debug)]
enum Ending {
    /// The client left with a Close message or a WebSocket close frame.
    Left,
    /// The socket broke or ended without a close frame.
    Broken,
    /// The service closes it, telling the client this reason.
    Closed(Option<String>),
}

/// Waits for the handshake request; returns the protocol and any bytes after it.
async fn handshake(
    reader: &mut futures_util::stream::SplitStream<WebSocket>,
) -> Result<(Protocol, String), String> {
    let mut text = String::new();
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let frame = timeout(deadline - Instant::now(), reader.next())
            .await
            .map_err(|_| "no handshake within 15 seconds".to_string())?;
        match frame {
            Some(Ok(Message::Text(t))) => text.push_str(t.as_str()),
            Some(Ok(Message::Binary(b))) => text.push_str(&String::from_utf8_lossy(&b)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return Err("the connection closed before the handshake".into()),
        }
        if let Some((request, rest)) = text.split_once(RECORD_SEPARATOR) {
            return protocol::parse_handshake(request).map(|p| (p, rest.to_string()));
        }
    }
}

/// Reads what a client sent; a Close ends the connection, an invocation is refused because
/// the service runs serverless and has no hub methods to call.
fn client_ends(protocol: Protocol, data: &[u8]) -> Option<Ending> {
    if data.is_empty() {
        return None;
    }
    let decoded = match protocol {
        Protocol::Json => protocol::decode_json(&String::from_utf8_lossy(data)),
        Protocol::MessagePack => protocol::decode_msgpack(data),
    };
    let messages = match decoded {
        Ok(messages) => messages,
        Err(error) => return Some(Ending::Closed(Some(format!("invalid message: {error}")))),
    };
    messages.into_iter().find_map(|message| match message {
        HubMessage::Close { .. } => Some(Ending::Left),
        HubMessage::Invocation(call) => Some(Ending::Closed(Some(format!(
            "the hub is serverless: clients cannot invoke '{}'",
            call.target
        )))),
        HubMessage::Ping | HubMessage::Other(_) => None,
    })
}

async fn send(writer: &mut futures_util::stream::SplitSink<WebSocket, Message>, message: Message) -> bool {
    matches!(timeout(IO_TIMEOUT, writer.send(message)).await, Ok(Ok(())))
}

fn to_ws(encoded: Encoded) -> Message {
    match encoded {
        Encoded::Text(text) => Message::Text(text.into()),
        Encoded::Binary(bytes) => Message::Binary(bytes.into()),
    }
}
