//! How messages reach a connection: frames encoded once per protocol, and the sink of each
//! connection (an in-process inbox, or a socket's bounded queue).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

use super::inbox::Inbox;
use crate::model::PayloadMessage;
use crate::protocol::{self, Encoded, Protocol};

/// Frames a connection may have queued before it counts as unable to keep up.
pub const QUEUE_CAPACITY: usize = 4096;
/// Bytes a connection may have queued before it counts as unable to keep up.
pub const QUEUE_CAPACITY_BYTES: usize = 16 * 1024 * 1024;
/// Close reason given to a client whose queue overflowed.
pub const OVERFLOW_REASON: &str = "the connection did not keep up with its messages and was closed";

/// Close reason given to a client dropped with a Close by fault injection; it may reconnect.
pub const DROPPED_REASON: &str = "the simulator dropped the connection (fault injection)";

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

    /// The WebSocket message for `protocol`, encoded on first use.
    pub fn ws_message(&self, protocol: Protocol) -> &Message {
        let cell = match protocol {
            Protocol::Json => &self.json,
            Protocol::MessagePack => &self.msgpack,
        };
        cell.get_or_init(|| to_ws(protocol::encode_invocation(protocol, &self.message)))
    }
}

/// A hub protocol frame as a WebSocket message.
pub(crate) fn to_ws(encoded: Encoded) -> Message {
    match encoded {
        Encoded::Text(text) => Message::Text(text.into()),
        Encoded::Binary(bytes) => Message::Binary(bytes.into()),
    }
}

/// Size of a WebSocket message's payload.
pub(crate) fn ws_len(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) => bytes.len(),
        _ => 0,
    }
}

/// The service ending a connection: the reason the client is told, and whether it may reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloseRequest {
    pub reason: Option<String>,
    pub allow_reconnect: bool,
}

/// What the hub state asks of a socket task besides frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Control {
    /// Flush, send a Close, and end.
    Close(CloseRequest),
    /// End at once without a Close, as a broken network does (fault injection).
    Drop,
    /// Neither write nor read for this long; frames queue meanwhile (fault injection).
    Pause(Duration),
}

/// Where messages for a connection go.
#[derive(Debug, Clone)]
pub(crate) enum Sink {
    /// An in-process virtual client.
    Virtual(Arc<Inbox>),
    /// A SignalR client on a WebSocket.
    Socket(SocketSink),
}

impl Sink {
    /// Hands over the frame; false when the connection cannot keep up.
    pub fn deliver(&self, frame: &Arc<Frame>) -> bool {
        match self {
            Sink::Virtual(inbox) => {
                inbox.deliver(&frame.message);
                true
            }
            Sink::Socket(socket) => socket.deliver(frame),
        }
    }

    /// How the client is spoken to: `json`, `messagepack`, or `virtual` (in-process).
    pub fn protocol_name(&self) -> &'static str {
        match self {
            Sink::Virtual(_) => "virtual",
            Sink::Socket(socket) => match socket.protocol {
                Protocol::Json => "json",
                Protocol::MessagePack => "messagepack",
            },
        }
    }

    /// Bytes queued for the client and not yet written to its socket.
    pub fn queued_bytes(&self) -> usize {
        match self {
            Sink::Virtual(_) => 0,
            Sink::Socket(socket) => socket.queued_bytes(),
        }
    }

    /// Ends the connection, telling the client `reason`; it may reconnect.
    pub fn close(&self, reason: Option<String>) {
        match self {
            Sink::Virtual(inbox) => inbox.close(reason),
            Sink::Socket(socket) => socket.control(Control::Close(CloseRequest {
                reason,
                allow_reconnect: true,
            })),
        }
    }

    /// Ends the connection without a Close (a virtual client is closed with no reason).
    pub fn drop_connection(&self) {
        match self {
            Sink::Virtual(inbox) => inbox.close(None),
            Sink::Socket(socket) => socket.control(Control::Drop),
        }
    }

    /// Stalls a socket connection for `duration`; false for a virtual client, which has none.
    pub fn pause(&self, duration: Duration) -> bool {
        match self {
            Sink::Virtual(_) => false,
            Sink::Socket(socket) => {
                socket.control(Control::Pause(duration));
                true
            }
        }
    }
}

/// The simulator's end of a socket connection: a queue bounded in frames and bytes, plus
/// control requests.
#[derive(Debug, Clone)]
pub(crate) struct SocketSink {
    protocol: Protocol,
    mailbox: Arc<Mailbox>,
}

/// The socket task's end; dropping it (the task ended) empties the queue and refuses no more.
#[derive(Debug)]
pub(crate) struct SocketOutbox {
    mailbox: Arc<Mailbox>,
}

/// What a socket task has to do besides reading: controls, then frames. One small allocation
/// per connection, whose queue grows only while frames wait (an idle connection holds none; a
/// tokio channel pair would hold two preallocated blocks).
#[derive(Debug, Default)]
struct Mailbox {
    queue: Mutex<Queue>,
    ready: Notify,
}

#[derive(Debug, Default)]
struct Queue {
    /// Frames with their size as the socket's protocol encodes them.
    frames: VecDeque<(Arc<Frame>, usize)>,
    /// Bytes of `frames`.
    bytes: usize,
    controls: VecDeque<Control>,
    /// The socket task has ended.
    closed: bool,
}

/// Queues that grew past this many frames give their memory back once emptied.
const RETAINED_FRAMES: usize = 16;

impl Queue {
    fn pop_frame(&mut self) -> Option<Arc<Frame>> {
        let (frame, size) = self.frames.pop_front()?;
        self.bytes -= size;
        if self.frames.is_empty() && self.frames.capacity() > RETAINED_FRAMES {
            self.frames = VecDeque::new();
        }
        Some(frame)
    }
}

/// Work for the socket task, taken from its outbox.
#[derive(Debug)]
pub(crate) enum Work {
    Control(Control),
    Frame(Arc<Frame>),
}

/// A connected pair of sink (for the hub state) and outbox (for the socket task).
pub(crate) fn socket_channel(protocol: Protocol) -> (SocketSink, SocketOutbox) {
    let mailbox = Arc::new(Mailbox::default());
    let sink = SocketSink {
        protocol,
        mailbox: mailbox.clone(),
    };
    (sink, SocketOutbox { mailbox })
}

impl Mailbox {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SocketOutbox {
    /// The next control request, or, when `frames` is true, the next frame if no control waits.
    pub fn take(&self, frames: bool) -> Option<Work> {
        let mut queue = self.mailbox.queue();
        if let Some(control) = queue.controls.pop_front() {
            return Some(Work::Control(control));
        }
        frames.then(|| queue.pop_frame()).flatten().map(Work::Frame)
    }

    /// The next frame, whatever control waits (a closing socket flushes its frames first).
    pub fn take_frame(&self) -> Option<Arc<Frame>> {
        self.mailbox.queue().pop_frame()
    }

    /// Resolves once something may have been queued since the last `take`.
    pub async fn ready(&self) {
        self.mailbox.ready.notified().await
    }
}

impl Drop for SocketOutbox {
    fn drop(&mut self) {
        let mut queue = self.mailbox.queue();
        *queue = Queue {
            closed: true,
            ..Queue::default()
        };
    }
}

impl SocketSink {
    /// Queues the frame; false when the queue is full in frames or in bytes.
    pub fn deliver(&self, frame: &Arc<Frame>) -> bool {
        let size = ws_len(frame.ws_message(self.protocol));
        {
            let mut queue = self.mailbox.queue();
            // The socket task has ended; the connection is going away, nothing to refuse.
            if queue.closed {
                return true;
            }
            // One frame always fits an empty queue, so a single large message is never refused.
            let fits = queue.frames.is_empty()
                || (queue.frames.len() < QUEUE_CAPACITY && queue.bytes + size <= QUEUE_CAPACITY_BYTES);
            if !fits {
                return false;
            }
            queue.frames.push_back((frame.clone(), size));
            queue.bytes += size;
        }
        self.mailbox.ready.notify_one();
        true
    }

    /// Bytes queued for the client and not yet written to its socket.
    pub fn queued_bytes(&self) -> usize {
        self.mailbox.queue().bytes
    }

    /// Hands the socket task a control request; a task that has ended needs none.
    pub fn control(&self, request: Control) {
        {
            let mut queue = self.mailbox.queue();
            if queue.closed {
                return;
            }
            queue.controls.push_back(request);
        }
        self.mailbox.ready.notify_one();
    }
}
