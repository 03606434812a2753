//! One SignalR client over a WebSocket: handshake, pushes, pings, client timeout and close.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::{sleep_until, timeout, Instant};

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::delivery::{self, to_ws, CloseRequest, Control, Sink, Work};
use super::upgrade::{Reader, Writer};
use super::upstream::{ClientContext, UpstreamQueue};
use super::Shared;
use crate::auth::VerifiedClaims;
use crate::protocol::{self, HubMessage, Protocol};

/// Default time without any other message after which a ping goes out.
pub const PING_INTERVAL: Duration = Duration::from_secs(15);
/// Default time a client may stay silent before it is dropped (ASP.NET Core's
/// `ClientTimeoutInterval`); clients ping every 15 s, so only a dead one stays silent.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest hub message a client may send; larger ones close the connection with a reason.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 1024 * 1024;
/// Largest handshake request accepted.
pub const MAX_HANDSHAKE_BYTES: usize = 32 * 1024;
/// Time a client has to send its handshake (ASP.NET Core's `HandshakeTimeout`), and a frame
/// may take to be written.
const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a closing socket may take to deliver the client's own close frame.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);

/// Who is connecting, decided before the upgrade.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub hub: String,
    pub connection_id: String,
    pub user_id: Option<String>,
    /// The token's claims as `type: value` pairs joined by `, ` (for upstream requests).
    pub claims: String,
    /// The connect request's query, leading `?` included (for upstream requests; it holds the
    /// access token, so it is never logged).
    pub query: String,
}

impl Peer {
    /// A peer of `hub` authenticated by `claims`.
    pub fn new(hub: String, connection_id: String, claims: &VerifiedClaims) -> Self {
        let pairs: Vec<String> = claims
            .all
            .iter()
            .map(|(kind, value)| match value {
                Value::String(text) => format!("{kind}: {text}"),
                other => format!("{kind}: {other}"),
            })
            .collect();
        Peer {
            hub,
            connection_id,
            user_id: claims.user_id().map(str::to_string),
            claims: pairs.join(", "),
            query: String::new(),
        }
    }
}

/// Runs the connection until either side closes; it is a hub connection between handshake and end.
pub(crate) async fn serve(mut writer: Writer, mut reader: Reader, shared: Arc<Shared>, mut peer: Peer) {
    let _live = shared.sockets.enter();
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
    let (sink, outbox) = delivery::socket_channel(protocol);
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

    // Only an upstream reads the claims and the query (with the token), and only a hub with one
    // has invocation results to send back; without one, an idle connection holds none of them.
    let (claims, query) = (std::mem::take(&mut peer.claims), std::mem::take(&mut peer.query));
    let mut completions = None;
    let upstream = shared.upstream.configured().then(|| {
        let (completions_tx, receiver) = mpsc::unbounded_channel();
        completions = Some(receiver);
        let client = ClientContext {
            connection_id: peer.connection_id.clone(),
            hub: peer.hub.clone(),
            user_id: peer.user_id.clone(),
            claims,
            query,
            protocol,
        };
        shared.upstream.start(client, completions_tx)
    });
    let mut ending = client_ends(protocol, &leftover, upstream.as_ref());
    drop(leftover);
    let mut next_ping = Instant::now() + shared.ping_interval;
    let mut silent_until = Instant::now() + shared.client_timeout;
    // While paused (fault injection) nothing is written or read; frames wait in the queue.
    let mut paused_until: Option<Instant> = None;
    let timer = sleep_until(next_ping);
    tokio::pin!(timer);
    while ending.is_none() {
        let active = paused_until.is_none();
        // Controls first: a pause or close asked for before a send acts before that send's
        // frame. Then queued frames, before reading.
        match outbox.take(active) {
            Some(Work::Control(Control::Close(request))) => {
                while let Some(frame) = outbox.take_frame() {
                    if !send_message(&mut writer, frame.ws_message(protocol)).await {
                        break;
                    }
                }
                ending = Some(Ending::Closed(request));
                continue;
            }
            Some(Work::Control(Control::Drop)) => {
                ending = Some(Ending::Dropped);
                continue;
            }
            Some(Work::Control(Control::Pause(duration))) => {
                paused_until = Some(Instant::now() + duration);
                continue;
            }
            Some(Work::Frame(frame)) => {
                if !send_message(&mut writer, frame.ws_message(protocol)).await {
                    ending = Some(Ending::Broken);
                }
                next_ping = Instant::now() + shared.ping_interval;
                continue;
            }
            None => {}
        }
        // One timer for the ping, the client timeout and the end of a pause, moved rather than
        // made anew on every turn: it lives in every connection's task.
        let deadline = paused_until.unwrap_or(next_ping.min(silent_until));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        tokio::select! {
            biased;
            () = outbox.ready() => {}
            Some(completion) = next_completion(&mut completions), if active => {
                if !send(&mut writer, to_ws(completion)).await { ending = Some(Ending::Broken); }
                next_ping = Instant::now() + shared.ping_interval;
            }
            incoming = reader.next(), if active => {
                silent_until = Instant::now() + shared.client_timeout;
                ending = match incoming {
                    Some(Ok(Message::Text(text))) => client_ends(protocol, text.as_bytes(), upstream.as_ref()),
                    Some(Ok(Message::Binary(bytes))) => client_ends(protocol, &bytes, upstream.as_ref()),
                    Some(Ok(Message::Close(_))) => Some(Ending::Left),
                    None | Some(Err(_)) => Some(Ending::Broken),
                    Some(Ok(_)) => None,
                };
            }
            () = &mut timer => {
                let now = Instant::now();
                if !active {
                    paused_until = None;
                    silent_until = now + shared.client_timeout;
                    next_ping = now;
                } else if now >= silent_until {
                    ending = Some(Ending::TimedOut);
                } else {
                    if !send(&mut writer, to_ws(protocol::encode_ping(protocol))).await { ending = Some(Ending::Broken); }
                    next_ping = Instant::now() + shared.ping_interval;
                }
            }
        }
    }
    drop(outbox);
    shared.state.disconnect(&peer.hub, &peer.connection_id, None);
    let ending = ending.unwrap_or(Ending::Broken);
    if let Some(upstream) = &upstream {
        upstream.disconnected(ending.error());
    }
    if let Ending::Closed(request) = &ending {
        let close = protocol::encode_close(protocol, request.reason.as_deref(), request.allow_reconnect);
        send(&mut writer, to_ws(close)).await;
    }
    if !matches!(ending, Ending::Broken | Ending::Dropped) {
        finish(&mut writer, &mut reader).await;
    }
    tracing::info!(hub = %peer.hub, connection = %peer.connection_id, ?ending, "client disconnected");
}

/// Completes the WebSocket closing handshake whichever side began it; clients such as the Java
/// one treat a socket dropped without a close frame as a failure.
async fn finish(writer: &mut Writer, reader: &mut Reader) {
    let normal = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    send(writer, Message::Close(Some(normal))).await;
    let drain = async { while let Some(Ok(_)) = reader.next().await {} };
    let _ = timeout(CLOSE_DRAIN, drain).await;
}

impl Ending {
    /// The `disconnected` error an upstream is told; `None` for a clean close.
    fn error(&self) -> Option<String> {
        match self {
            Ending::Left => None,
            Ending::Broken | Ending::Dropped => Some("the connection was lost".into()),
            Ending::TimedOut => Some("the client sent nothing within the client timeout".into()),
            Ending::Closed(request) => request.reason.clone(),
        }
    }
}

/// Why a connection ends.
#[derive(Debug)]
enum Ending {
    /// The client left with a Close message or a WebSocket close frame.
    Left,
    /// The socket broke or ended without a close frame.
    Broken,
    /// The simulator dropped it without a Close (fault injection).
    Dropped,
    /// Nothing arrived from the client within the client timeout.
    TimedOut,
    /// The service closes it, telling the client why.
    Closed(CloseRequest),
}

/// The next invocation result for the client; never, for a hub without an upstream.
async fn next_completion<T>(completions: &mut Option<mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match completions {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Waits for the handshake request; returns the protocol and the bytes after it, as bytes.
async fn handshake(reader: &mut Reader) -> Result<(Protocol, Vec<u8>), String> {
    let mut bytes = Vec::new();
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let frame = timeout(deadline - Instant::now(), reader.next())
            .await
            .map_err(|_| format!("no handshake within {} seconds", IO_TIMEOUT.as_secs()))?;
        match frame {
            Some(Ok(Message::Text(t))) => bytes.extend_from_slice(t.as_bytes()),
            Some(Ok(Message::Binary(b))) => bytes.extend_from_slice(&b),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return Err("the connection closed before the handshake".into()),
        }
        if let Some(end) = bytes.iter().position(|&b| b == protocol::RECORD_SEPARATOR as u8) {
            let request =
                std::str::from_utf8(&bytes[..end]).map_err(|_| "the handshake is not UTF-8".to_string())?;
            return protocol::parse_handshake(request).map(|p| (p, bytes[end + 1..].to_vec()));
        }
        if bytes.len() > MAX_HANDSHAKE_BYTES {
            return Err(format!(
                "the handshake is longer than {MAX_HANDSHAKE_BYTES} bytes"
            ));
        }
    }
}

/// Reads what a client sent. A Close ends the connection; an invocation goes to the upstream,
/// or, with none configured, is refused because a serverless hub has no methods to call; a
/// malformed or oversized message is refused; refusals close without reconnect, so a
/// reconnecting client does not loop.
fn client_ends(protocol: Protocol, data: &[u8], upstream: Option<&UpstreamQueue>) -> Option<Ending> {
    if data.is_empty() {
        return None;
    }
    let refuse = |reason: String| {
        Some(Ending::Closed(CloseRequest {
            reason: Some(reason),
            allow_reconnect: false,
        }))
    };
    if data.len() > MAX_CLIENT_MESSAGE_BYTES {
        return refuse(format!(
            "a message of {} bytes is larger than the {MAX_CLIENT_MESSAGE_BYTES} bytes allowed",
            data.len()
        ));
    }
    let decoded = match protocol {
        Protocol::Json => std::str::from_utf8(data)
            .map_err(|_| "a JSON message is not UTF-8".to_string())
            .and_then(protocol::decode_json),
        Protocol::MessagePack => protocol::decode_msgpack(data),
    };
    let messages = match decoded {
        Ok(messages) => messages,
        Err(error) => return refuse(format!("invalid message: {error}")),
    };
    messages.into_iter().find_map(|message| match message {
        HubMessage::Close { .. } => Some(Ending::Left),
        HubMessage::Invocation(message) => match upstream {
            Some(upstream) => {
                upstream.invocation(None, message, false);
                None
            }
            None => refuse(serverless(&message.target)),
        },
        HubMessage::Call {
            invocation_id,
            message,
            stream,
        } => match upstream {
            Some(upstream) => {
                upstream.invocation(Some(invocation_id), message, stream);
                None
            }
            None => refuse(serverless(&message.target)),
        },
        HubMessage::Ping | HubMessage::Other(_) => None,
    })
}

fn serverless(target: &str) -> String {
    format!("the hub is serverless and has no upstream: clients cannot invoke '{target}'")
}

async fn send(writer: &mut Writer, message: Message) -> bool {
    matches!(timeout(IO_TIMEOUT, writer.send(message)).await, Ok(Ok(())))
}

/// Largest WebSocket frame written; longer messages go as fragments (RFC 6455 section 5.4),
/// because the socket's write buffer keeps the capacity of the largest frame it ever held.
const FRAGMENT_BYTES: usize = 4 * 1024;

/// Sends a hub message, as fragments of at most [`FRAGMENT_BYTES`] when it is longer; each
/// fragment shares the message's bytes.
async fn send_message(writer: &mut Writer, message: &Message) -> bool {
    let (kind, payload): (Data, Bytes) = match message {
        Message::Text(text) if text.len() > FRAGMENT_BYTES => (Data::Text, text.clone().into()),
        Message::Binary(bytes) if bytes.len() > FRAGMENT_BYTES => (Data::Binary, bytes.clone()),
        _ => return send(writer, message.clone()).await,
    };
    let fragments = async {
        let mut start = 0;
        while start < payload.len() {
            let end = (start + FRAGMENT_BYTES).min(payload.len());
            let opcode = if start == 0 { kind } else { Data::Continue };
            let fragment = WsFrame::message(
                payload.slice(start..end),
                OpCode::Data(opcode),
                end == payload.len(),
            );
            writer.feed(Message::Frame(fragment)).await?;
            start = end;
        }
        writer.flush().await
    };
    // Boxed: most messages are not fragmented, and every connection's task would otherwise
    // carry room for this future.
    matches!(timeout(IO_TIMEOUT, Box::pin(fragments)).await, Ok(Ok(())))
}
