//! SignalR hub protocol framing: the JSON handshake, and hub messages in JSON
//! (0x1E-terminated text) or MessagePack (varint length-prefixed binary).

use serde_json::{json, Value};

use crate::model::PayloadMessage;

/// Ends every JSON record and the handshake.
pub const RECORD_SEPARATOR: char = '\u{1e}';
/// Highest hub protocol version accepted in a handshake.
pub const MAX_PROTOCOL_VERSION: u64 = 2;

/// The hub protocol a connection chose in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json,
    MessagePack,
}

/// One encoded message, ready to be a WebSocket text or binary frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoded {
    Text(String),
    Binary(Vec<u8>),
}

/// A hub message as far as the simulator and the listener need to understand it.
#[derive(Debug, Clone, PartialEq)]
pub enum HubMessage {
    /// Type 1 (or 4, a stream invocation): a method call.
    Invocation(PayloadMessage),
    /// Type 6.
    Ping,
    /// Type 7, with its error if any.
    Close { error: Option<String> },
    /// Any other message type.
    Other(u64),
}

/// Reads a handshake request (without its separator): the protocol, or the error to reply with.
pub fn parse_handshake(text: &str) -> Result<Protocol, String> {
    let request: Value = serde_json::from_str(text).map_err(|e| format!("the handshake is not JSON: {e}"))?;
    let version = request["version"]
        .as_u64()
        .ok_or("the handshake has no version")?;
    if !(1..=MAX_PROTOCOL_VERSION).contains(&version) {
        return Err(format!(
            "protocol version {version} is not supported; use 1 to {MAX_PROTOCOL_VERSION}"
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

/// A server-to-client invocation without invocation id.
pub fn encode_invocation(protocol: Protocol, message: &PayloadMessage) -> Encoded {
    match protocol {
        Protocol::Json => json_record(&json!({
            "type": 1,
            "target": message.target,
            "arguments": message.arguments,
        })),
        Protocol::MessagePack => {
            let arguments = message.arguments.iter().map(json_to_msgpack).collect();
            msgpack_record(rmpv::Value::Array(vec![
                1.into(),
                rmpv::Value::Map(Vec::new()),
                rmpv::Value::Nil,
                message.target.as_str().into(),
                rmpv::Value::Array(arguments),
            ]))
        }
    }
}

/// A ping.
pub fn encode_ping(protocol: Protocol) -> Encoded {
    match protocol {
        Protocol::Json => json_record(&json!({"type": 6})),
        Protocol::MessagePack => msgpack_record(rmpv::Value::Array(vec![6.into()])),
    }
}

/// A close message carrying `error` when given; clients may reconnect.
pub fn encode_close(protocol: Protocol, error: Option<&str>) -> Encoded {
    match protocol {
        Protocol::Json => {
            let mut close = json!({"type": 7, "allowReconnect": true});
            if let Some(e) = error {
                close["error"] = e.into();
            }
            json_record(&close)
        }
        Protocol::MessagePack => msgpack_record(rmpv::Value::Array(vec![
            7.into(),
            error.map_or(rmpv::Value::Nil, Into::into),
            true.into(),
        ])),
    }
}

/// Splits JSON text into records and reads each.
pub fn decode_json(text: &str) -> Result<Vec<HubMessage>, String> {
    text.split(RECORD_SEPARATOR)
        .filter(|record| !record.trim().is_empty())
        .map(|record| {
            let value: Value =
                serde_json::from_str(record).map_err(|e| format!("a message is not JSON: {e}"))?;
            let kind = value["type"].as_u64().ok_or("a message has no type")?;
            Ok(match kind {
                1 | 4 => HubMessage::Invocation(PayloadMessage {
                    target: value["target"].as_str().unwrap_or_default().to_string(),
                    arguments: value["arguments"].as_array().cloned().unwrap_or_default(),
                }),
                6 => HubMessage::Ping,
                7 => HubMessage::Close {
                    error: value["error"].as_str().map(str::to_string),
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
            .get(prefix..prefix + length)
            .ok_or("a MessagePack message is shorter than its length prefix")?;
        bytes = &bytes[prefix + length..];
        let value = rmpv::decode::read_value(&mut &body[..]).map_err(|e| format!("bad MessagePack: {e}"))?;
        let items = value.as_array().ok_or("a MessagePack message is not an array")?;
        let kind = items
            .first()
            .and_then(rmpv::Value::as_u64)
            .ok_or("a message has no type")?;
        messages.push(match kind {
            1 | 4 => HubMessage::Invocation(PayloadMessage {
                target: items
                    .get(3)
                    .and_then(rmpv::Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                arguments: items
                    .get(4)
                    .and_then(rmpv::Value::as_array)
                    .map(|args| args.iter().map(msgpack_to_json).collect())
                    .unwrap_or_default(),
            }),
            6 => HubMessage::Ping,
            7 => HubMessage::Close {
                error: items.get(1).and_then(rmpv::Value::as_str).map(str::to_string),
            },
            other => HubMessage::Other(other),
        });
    }
    Ok(messages)
}

fn json_record(value: &Value) -> Encoded {
    Encoded::Text(format!("{value}{RECORD_SEPARATOR}"))
}

fn msgpack_record(value: rmpv::Value) -> Encoded {
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &value).expect("writing to a Vec cannot fail");
    let mut framed = Vec::with_capacity(body.len() + 5);
    let mut length = body.len();
    while length >= 0x80 {
        framed.push((length as u8 & 0x7f) | 0x80);
        length >>= 7;
    }
    framed.push(length as u8);
    framed.extend_from_slice(&body);
    Encoded::Binary(framed)
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

fn json_to_msgpack(value: &Value) -> rmpv::Value {
    match value {
        Value::Null => rmpv::Value::Nil,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into(),
            (None, Some(u)) => u.into(),
            _ => n.as_f64().unwrap_or(f64::NAN).into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => rmpv::Value::Array(items.iter().map(json_to_msgpack).collect()),
        Value::Object(map) => rmpv::Value::Map(
            map.iter()
                .map(|(k, v)| (k.as_str().into(), json_to_msgpack(v)))
                .collect(),
        ),
    }
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
    fn handshake_accepts_json_and_messagepack_up_to_version_2() {
        assert_eq!(
            parse_handshake(r#"{"protocol":"json","version":1}"#),
            Ok(Protocol::Json)
        );
        assert_eq!(
            parse_handshake(r#"{"protocol":"messagepack","version":2}"#),
            Ok(Protocol::MessagePack)
        );
        assert!(parse_handshake(r#"{"protocol":"json","version":3}"#)
            .unwrap_err()
            .contains('3'));
        assert!(parse_handshake(r#"{"protocol":"xml","version":1}"#)
            .unwrap_err()
            .contains("xml"));
        assert_eq!(handshake_response(None), "{}\u{1e}");
    }

    #[test]
    fn json_invocations_have_no_invocation_id_and_round_trip() {
        let Encoded::Text(text) = encode_invocation(Protocol::Json, &message()) else {
            panic!()
        };
        assert!(text.ends_with(RECORD_SEPARATOR) && !text.contains("invocationId"));
        let twice = format!("{text}{text}");
        assert_eq!(
            decode_json(&twice).unwrap(),
            vec![HubMessage::Invocation(message()); 2]
        );
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
        let decoded = decode_msgpack(&bytes).unwrap();
        assert_eq!(
            decoded,
            vec![HubMessage::Invocation(message()), HubMessage::Invocation(big)]
        );
    }

    #[test]
    fn close_and_ping_encode_per_protocol() {
        let Encoded::Text(close) = encode_close(Protocol::Json, Some("bye")) else {
            panic!()
        };
        assert_eq!(
            decode_json(&close).unwrap(),
            vec![HubMessage::Close {
                error: Some("bye".into())
            }]
        );
        let Encoded::Binary(close) = encode_close(Protocol::MessagePack, None) else {
            panic!()
        };
        assert_eq!(
            decode_msgpack(&close).unwrap(),
            vec![HubMessage::Close { error: None }]
        );
        let Encoded::Binary(ping) = encode_ping(Protocol::MessagePack) else {
            panic!()
        };
        assert_eq!(ping, vec![2, 0x91, 6]);
    }

    #[test]
    fn truncated_messagepack_is_an_error_not_a_panic() {
        assert!(decode_msgpack(&[10, 0x91]).is_err());
        assert!(decode_msgpack(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
