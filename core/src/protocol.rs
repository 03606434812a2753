//! SignalR hub protocol framing: the JSON handshake, and hub messages in JSON
//! (0x1E-terminated text) or MessagePack (varint length-prefixed binary).

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::model::{Arguments, PayloadMessage};

/// Ends every JSON record and the handshake.
pub const RECORD_SEPARATOR: char = '\u{1e}';
/// Highest hub protocol version accepted in a handshake, for JSON and MessagePack alike.
///
/// ASP.NET Core accepts every version up to the one it speaks, 0 included. Its source says 1 for
/// JSON and 2 for MessagePack, but `@microsoft/signalr` 8 and later send JSON version 2, so the
/// simulator accepts 0 to 2 for both (decision recorded in the README's simulator section).
pub const MAX_PROTOCOL_VERSION: u64 = 2;

/// The hub protocol a connection chose in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// JSON text records ended by 0x1E.
    Json,
    /// MessagePack arrays with a varint length prefix.
    MessagePack,
}

/// One encoded message, ready to be a WebSocket text or binary frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoded {
    /// A text frame (JSON).
    Text(String),
    /// A binary frame (MessagePack).
    Binary(Vec<u8>),
}

impl Encoded {
    /// Size of the frame's payload in bytes.
    pub fn len(&self) -> usize {
        match self {
            Encoded::Text(text) => text.len(),
            Encoded::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the frame's payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A hub message as far as the simulator and the listener need to understand it.
#[derive(Debug, Clone, PartialEq)]
pub enum HubMessage {
    /// Type 1 without an invocation id: a method call nobody waits on (server pushes, and a
    /// client's `send`).
    Invocation(PayloadMessage),
    /// Type 1 with an invocation id (a client's `invoke`, waiting for a completion), or type 4
    /// (a stream invocation, `stream` true).
    Call {
        /// The id the completion must carry.
        invocation_id: String,
        /// The method and its arguments.
        message: PayloadMessage,
        /// Whether the client asked for a stream of results (type 4).
        stream: bool,
    },
    /// Type 6.
    Ping,
    /// Type 7, with its error if any and whether the client may reconnect.
    Close {
        /// Why the connection closed.
        error: Option<String>,
        /// Whether a client with automatic reconnect should reconnect.
        allow_reconnect: bool,
    },
    /// Any other message type.
    Other(u64),
}

/// The result a completion (type 3) carries.
#[derive(Debug, Clone)]
pub enum CompletionResult<'a> {
    /// The method returned nothing.
    Void,
    /// The method returned this JSON value (text).
    Value(&'a RawValue),
    /// The method failed with this message.
    Error(&'a str),
}

/// Reads a handshake request (without its separator): the protocol, or the error to reply with.
pub fn parse_handshake(text: &str) -> Result<Protocol, String> {
    let request: Value = serde_json::from_str(text).map_err(|e| format!("the handshake is not JSON: {e}"))?;
    let version = request["version"]
        .as_u64()
        .ok_or("the handshake has no version")?;
    if version > MAX_PROTOCOL_VERSION {
        return Err(format!(
            "protocol version {version} is not supported; use 0 to {MAX_PROTOCOL_VERSION}"
        ));
    }
    match request["protocol"].as_str() {
        Some("json") => Ok(Protocol::Json),
        Some("messagepack") => Ok(Protocol::MessagePack),
        Some(other) => Err(format!(
            "the protocol '{other}' is not supported; use 'json' or 'messagepack'"
        )),
        None => Err("the handshake has no protocol".into()),
    }
}

/// The handshake reply: `{}` or `{"error": ...}`, with its separator.
pub fn handshake_response(error: Option<&str>) -> String {
    let body = match error {
        None => json!({}),
        Some(e) => json!({ "error": e }),
    };
    format!("{body}{RECORD_SEPARATOR}")
}

/// A server-to-client invocation without invocation id, shaped as ASP.NET Core writes it:
/// JSON `{"type":1,"target":..,"arguments":[..]}`, MessagePack
/// `[1, {}, nil, target, [args], []]`. JSON arguments pass through as their text.
pub fn encode_invocation(protocol: Protocol, message: &PayloadMessage) -> Encoded {
    match protocol {
        Protocol::Json => Encoded::Text(format!(
            "{{\"type\":1,\"target\":{},\"arguments\":{}}}{RECORD_SEPARATOR}",
            Value::from(message.target.as_str()),
            message.arguments.as_json()
        )),
        Protocol::MessagePack => msgpack_record(rmpv::Value::Array(vec![
            1.into(),
            rmpv::Value::Map(Vec::new()),
            rmpv::Value::Nil,
            message.target.as_str().into(),
            json_to_msgpack(message.arguments.as_json()),
            rmpv::Value::Array(Vec::new()),
        ])),
    }
}

/// A completion of client invocation `invocation_id`, shaped as ASP.NET Core writes it.
pub fn encode_completion(protocol: Protocol, invocation_id: &str, result: CompletionResult<'_>) -> Encoded {
    let id = Value::from(invocation_id);
    match (protocol, result) {
        (Protocol::Json, CompletionResult::Void) => {
            Encoded::Text(format!("{{\"type\":3,\"invocationId\":{id}}}{RECORD_SEPARATOR}"))
        }
        (Protocol::Json, CompletionResult::Value(value)) => Encoded::Text(format!(
            "{{\"type\":3,\"invocationId\":{id},\"result\":{}}}{RECORD_SEPARATOR}",
            value.get()
        )),
        (Protocol::Json, CompletionResult::Error(error)) => Encoded::Text(format!(
            "{{\"type\":3,\"invocationId\":{id},\"error\":{}}}{RECORD_SEPARATOR}",
            Value::from(error)
        )),
        (Protocol::MessagePack, result) => {
            let mut items = vec![3.into(), rmpv::Value::Map(Vec::new()), invocation_id.into()];
            match result {
                CompletionResult::Error(error) => items.extend([1.into(), error.into()]),
                CompletionResult::Void => items.push(2.into()),
                CompletionResult::Value(value) => items.extend([3.into(), json_to_msgpack(value.get())]),
            }
            msgpack_record(rmpv::Value::Array(items))
        }
    }
}

/// A ping.
pub fn encode_ping(protocol: Protocol) -> Encoded {
    match protocol {
        Protocol::Json => Encoded::Text(format!("{{\"type\":6}}{RECORD_SEPARATOR}")),
        Protocol::MessagePack => msgpack_record(rmpv::Value::Array(vec![6.into()])),
    }
}

/// A close message carrying `error` when given, shaped as ASP.NET Core writes it: JSON omits
/// `allowReconnect` when false; MessagePack is always `[7, error or nil, allowReconnect]`.
pub fn encode_close(protocol: Protocol, error: Option<&str>, allow_reconnect: bool) -> Encoded {
    match protocol {
        Protocol::Json => {
            let mut close = json!({"type": 7});
            if let Some(e) = error {
                close["error"] = e.into();
            }
            if allow_reconnect {
                close["allowReconnect"] = true.into();
            }
            Encoded::Text(format!("{close}{RECORD_SEPARATOR}"))
        }
        Protocol::MessagePack => msgpack_record(rmpv::Value::Array(vec![
            7.into(),
            error
                .filter(|e| !e.is_empty())
                .map_or(rmpv::Value::Nil, Into::into),
            allow_reconnect.into(),
        ])),
    }
}

/// The fields of a JSON hub message the simulator and listener read; others are ignored.
#[derive(Deserialize)]
struct JsonRecord {
    #[serde(rename = "type")]
    kind: Option<Value>,
    target: Option<String>,
    #[serde(rename = "invocationId")]
    invocation_id: Option<String>,
    arguments: Option<Box<RawValue>>,
    error: Option<String>,
    #[serde(rename = "allowReconnect", default)]
    allow_reconnect: bool,
}

/// Splits JSON text into records and reads each; arguments keep their text.
pub fn decode_json(text: &str) -> Result<Vec<HubMessage>, String> {
    text.split(RECORD_SEPARATOR)
        .filter(|record| !record.trim().is_empty())
        .map(|record| {
            let record: JsonRecord = serde_json::from_str(record)
                .map_err(|e| format!("a message is not a valid JSON hub message: {e}"))?;
            let kind = match record.kind {
                Some(Value::Number(n)) => n
                    .as_u64()
                    .ok_or(format!("message type {n} is not a message type"))?,
                Some(other) => return Err(format!("message type {other} is not a number")),
                None => return Err("a message has no type".into()),
            };
            Ok(match kind {
                1 | 4 => invocation(
                    kind,
                    record.invocation_id,
                    PayloadMessage {
                        target: record
                            .target
                            .filter(|t| !t.is_empty())
                            .ok_or("an invocation has no target")?,
                        arguments: match record.arguments {
                            Some(raw) => Arguments::from_json(raw.get()).map_err(|e| e.to_string())?,
                            None => return Err("an invocation has no arguments".into()),
                        },
                    },
                )?,
                6 => HubMessage::Ping,
                7 => HubMessage::Close {
                    error: record.error,
                    allow_reconnect: record.allow_reconnect,
                },
                other => HubMessage::Other(other),
            })
        })
        .collect()
}

/// Splits length-prefixed MessagePack bytes into messages and reads each.
pub fn decode_msgpack(mut bytes: &[u8]) -> Result<Vec<HubMessage>, String> {
    let mut messages = Vec::new();
    while !bytes.is_empty() {
        let (length, prefix) = read_varint(bytes)?;
        let body = bytes
            .get(prefix..prefix.saturating_add(length))
            .ok_or("a MessagePack message is shorter than its length prefix")?;
        bytes = &bytes[prefix + length..];
        let value = rmpv::decode::read_value(&mut &body[..]).map_err(|e| format!("bad MessagePack: {e}"))?;
        let items = value.as_array().ok_or("a MessagePack message is not an array")?;
        let kind = items
            .first()
            .and_then(rmpv::Value::as_u64)
            .ok_or("a message has no type")?;
        messages.push(match kind {
            1 | 4 => invocation(
                kind,
                items.get(2).and_then(rmpv::Value::as_str).map(str::to_string),
                PayloadMessage {
                    target: items
                        .get(3)
                        .and_then(rmpv::Value::as_str)
                        .filter(|t| !t.is_empty())
                        .ok_or("an invocation has no target")?
                        .to_string(),
                    arguments: match items.get(4) {
                        Some(rmpv::Value::Array(args)) => {
                            Arguments::from_values(&args.iter().map(msgpack_to_json).collect::<Vec<_>>())
                        }
                        _ => return Err("an invocation has no arguments array".into()),
                    },
                },
            )?,
            6 => HubMessage::Ping,
            7 => HubMessage::Close {
                error: items.get(1).and_then(rmpv::Value::as_str).map(str::to_string),
                allow_reconnect: items.get(2).and_then(rmpv::Value::as_bool).unwrap_or(false),
            },
            other => HubMessage::Other(other),
        });
    }
    Ok(messages)
}

/// An invocation of type 1 or 4, with or without an id.
fn invocation(
    kind: u64,
    invocation_id: Option<String>,
    message: PayloadMessage,
) -> Result<HubMessage, String> {
    match (kind, invocation_id.filter(|id| !id.is_empty())) {
        (1, None) => Ok(HubMessage::Invocation(message)),
        (_, Some(invocation_id)) => Ok(HubMessage::Call {
            invocation_id,
            message,
            stream: kind == 4,
        }),
        (_, None) => Err("a stream invocation has no invocationId".into()),
    }
}

/// A client's invocation as the service forwards it to an upstream: one hub message without
/// transport framing (no 0x1E, no length prefix), JSON properties in the order ASP.NET Core writes.
pub fn unframed_invocation(
    protocol: Protocol,
    invocation_id: Option<&str>,
    message: &PayloadMessage,
) -> Vec<u8> {
    match protocol {
        Protocol::Json => {
            let id = invocation_id
                .map(|id| format!("\"invocationId\":{},", Value::from(id)))
                .unwrap_or_default();
            format!(
                "{{\"type\":1,{id}\"target\":{},\"arguments\":{}}}",
                Value::from(message.target.as_str()),
                message.arguments.as_json()
            )
            .into_bytes()
        }
        Protocol::MessagePack => {
            let value = rmpv::Value::Array(vec![
                1.into(),
                rmpv::Value::Map(Vec::new()),
                invocation_id.map_or(rmpv::Value::Nil, Into::into),
                message.target.as_str().into(),
                json_to_msgpack(message.arguments.as_json()),
            ]);
            let mut body = Vec::new();
            rmpv::encode::write_value(&mut body, &value).expect("writing to a Vec cannot fail");
            body
        }
    }
}

fn msgpack_record(value: rmpv::Value) -> Encoded {
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &value).expect("writing to a Vec cannot fail");
    Encoded::Binary(frame_msgpack(&body))
}

/// A MessagePack message behind its varint length prefix, as hub-protocol transports frame it.
pub fn frame_msgpack(body: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(body.len() + 5);
    let mut length = body.len();
    while length >= 0x80 {
        framed.push((length as u8 & 0x7f) | 0x80);
        length >>= 7;
    }
    framed.push(length as u8);
    framed.extend_from_slice(body);
    framed
}

/// Reads a 1-5 byte little-endian base-128 length; returns it and the prefix size.
fn read_varint(bytes: &[u8]) -> Result<(usize, usize), String> {
    let mut length = 0usize;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        length |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((length, i + 1));
        }
    }
    Err("a MessagePack length prefix is malformed".into())
}

/// JSON text to MessagePack, object keys in their order. MessagePack has no arbitrary-precision
/// numbers: integers within 64 bits stay integers, anything else becomes a float64.
fn json_to_msgpack(json: &str) -> rmpv::Value {
    serde_json::from_str(json).unwrap_or(rmpv::Value::Nil)
}

fn msgpack_to_json(value: &rmpv::Value) -> Value {
    rmpv::ext::from_value(value.clone()).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> PayloadMessage {
        PayloadMessage::new(
            "newMessage",
            vec![json!("hi"), json!({"n": 1, "f": 2.5, "l": [null, true]})],
        )
    }

    #[test]
    fn handshake_accepts_json_and_messagepack_versions_0_to_2() {
        for version in 0..=2 {
            assert_eq!(
                parse_handshake(&format!(r#"{{"protocol":"json","version":{version}}}"#)),
                Ok(Protocol::Json)
            );
            assert_eq!(
                parse_handshake(&format!(r#"{{"protocol":"messagepack","version":{version}}}"#)),
                Ok(Protocol::MessagePack)
            );
        }
        assert!(parse_handshake(r#"{"protocol":"json","version":3}"#)
            .unwrap_err()
            .contains('3'));
        assert!(parse_handshake(r#"{"protocol":"json","version":-1}"#).is_err());
        assert!(parse_handshake(r#"{"protocol":"xml","version":1}"#)
            .unwrap_err()
            .contains("xml"));
        assert_eq!(handshake_response(None), "{}\u{1e}");
    }

    #[test]
    fn json_invocations_pass_arguments_through_and_round_trip() {
        let text = r#"[{"é":1,"n":2},12345678901234567890123]"#;
        let exact = PayloadMessage::from_json("t", text).unwrap();
        let Encoded::Text(frame) = encode_invocation(Protocol::Json, &exact) else {
            panic!()
        };
        assert_eq!(
            frame,
            format!("{{\"type\":1,\"target\":\"t\",\"arguments\":{text}}}\u{1e}")
        );
        let twice = format!("{frame}{frame}");
        let decoded = decode_json(&twice).unwrap();
        assert_eq!(decoded, vec![HubMessage::Invocation(exact.clone()); 2]);
        let HubMessage::Invocation(first) = &decoded[0] else {
            panic!()
        };
        assert_eq!(first.arguments.as_json(), text);
    }

    #[test]
    fn messagepack_invocations_round_trip_with_length_prefixes() {
        let big = PayloadMessage::new("t", vec![json!("x".repeat(300))]);
        let mut bytes = Vec::new();
        for m in [&message(), &big] {
            let Encoded::Binary(b) = encode_invocation(Protocol::MessagePack, m) else {
                panic!()
            };
            bytes.extend(b);
        }
        // 311 body bytes: a two-byte length prefix, then the 6-element array.
        assert_eq!(&bytes[bytes.len() - 313..bytes.len() - 310], &[0xb7, 0x02, 0x96]);
        let decoded = decode_msgpack(&bytes).unwrap();
        assert_eq!(
            decoded,
            vec![HubMessage::Invocation(message()), HubMessage::Invocation(big)]
        );
    }

    #[test]
    fn messagepack_keeps_key_order_and_turns_huge_integers_into_floats() {
        let m = PayloadMessage::from_json("t", r#"[{"z":1,"a":2},18446744073709551616]"#).unwrap();
        let Encoded::Binary(bytes) = encode_invocation(Protocol::MessagePack, &m) else {
            panic!()
        };
        let [HubMessage::Invocation(back)] = &decode_msgpack(&bytes).unwrap()[..] else {
            panic!()
        };
        assert_eq!(
            back.arguments.as_json(),
            r#"[{"z":1,"a":2},1.8446744073709552e+19]"#
        );
    }

    #[test]
    fn close_and_ping_encode_per_protocol() {
        let Encoded::Text(close) = encode_close(Protocol::Json, Some("bye"), false) else {
            panic!()
        };
        assert_eq!(
            decode_json(&close).unwrap(),
            vec![HubMessage::Close {
                error: Some("bye".into()),
                allow_reconnect: false
            }]
        );
        let Encoded::Binary(close) = encode_close(Protocol::MessagePack, None, true) else {
            panic!()
        };
        assert_eq!(
            decode_msgpack(&close).unwrap(),
            vec![HubMessage::Close {
                error: None,
                allow_reconnect: true
            }]
        );
        let Encoded::Binary(ping) = encode_ping(Protocol::MessagePack) else {
            panic!()
        };
        assert_eq!(ping, vec![2, 0x91, 6]);
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        assert!(decode_msgpack(&[10, 0x91]).is_err());
        assert!(decode_msgpack(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode_msgpack(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        for bad in [
            "{\"type\":1,\"arguments\":[]}\u{1e}",
            "{\"type\":1,\"target\":\"t\"}\u{1e}",
            "{\"type\":1,\"target\":\"t\",\"arguments\":{}}\u{1e}",
            "{\"type\":\"1\"}\u{1e}",
            "{}\u{1e}",
            "[1]\u{1e}",
        ] {
            assert!(decode_json(bad).is_err(), "{bad}");
        }
    }
}
