//! Serverless upstream webhooks, the app's side: verify a request the service sent, read it as
//! a typed event, and build the completion an invocation answers with.
//!
//! The service POSTs `connected` and `disconnected` events and every hub-method invocation a
//! client sends to the app's upstream URL, signed with each access key
//! (`X-ASRS-Signature: sha256=<HEX>,sha256=<HEX>`, HMAC-SHA256 of the connection id). The
//! simulator's sender ([`crate::simulator`]) uses the same signature function.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::model::PayloadMessage;
use crate::protocol::{self, CompletionResult, Encoded, HubMessage, Protocol};

/// The header carrying one signature per access key.
pub const SIGNATURE_HEADER: &str = "x-asrs-signature";

/// `sha256=<uppercase hex of HMAC-SHA256(key, connection id)>`, as the service signs.
pub fn signature(access_key: &str, connection_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(access_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(connection_id.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect();
    format!("sha256={hex}")
}

/// The `X-ASRS-Signature` value for `keys`: one signature each, joined by `,` without spaces.
pub fn signature_header(keys: &[&str], connection_id: &str) -> String {
    keys.iter()
        .map(|key| signature(key, connection_id))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether `header` holds a valid signature of `connection_id` for any of `keys`: entries are
/// split on `,` and trimmed, compared case-insensitively and in constant time.
pub fn signature_is_valid(header: &str, connection_id: &str, keys: &[&str]) -> bool {
    let entries: Vec<String> = header
        .split(',')
        .map(|entry| entry.trim().to_ascii_uppercase())
        .filter(|entry| !entry.is_empty())
        .collect();
    keys.iter().any(|key| {
        let expected = signature(key, connection_id).to_ascii_uppercase();
        entries.iter().fold(false, |found, entry| {
            found | constant_time_eq(entry.as_bytes(), expected.as_bytes())
        })
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// What an upstream request carries about its client connection.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamContext {
    /// `X-ASRS-Connection-Id`.
    pub connection_id: String,
    /// `X-ASRS-Hub`.
    pub hub: String,
    /// `X-ASRS-User-Id`, when the client has one.
    pub user_id: Option<String>,
    /// `X-ASRS-User-Claims` as `(type, value)` pairs, first value of each type kept.
    pub claims: Vec<(String, String)>,
    /// `X-ASRS-Client-Query` parsed; repeated keys are joined with `,`.
    pub query: Vec<(String, String)>,
}

/// A verified upstream request.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamEvent {
    /// A client connected.
    Connected(UpstreamContext),
    /// A client disconnected, with the error when it did not close cleanly.
    Disconnected {
        /// Who.
        context: UpstreamContext,
        /// Why, when not a clean close.
        error: Option<String>,
    },
    /// A client invoked a hub method; `invocation_id` when it waits for a completion.
    Invocation {
        /// Who.
        context: UpstreamContext,
        /// The id the completion must carry; `None` for a fire-and-forget send.
        invocation_id: Option<String>,
        /// The method and its arguments (JSON text, as the client sent them).
        message: PayloadMessage,
        /// The client's hub protocol, which the completion must be written in.
        protocol: Protocol,
    },
}

/// Verifies and reads an upstream request from its headers (any case; a lookup function so
/// every web framework can pass its own header map) and body. `keys` are the access keys the
/// signature may be made with (primary and secondary).
pub fn parse_upstream_request<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
    keys: &[&str],
) -> Result<UpstreamEvent> {
    let required = |name: &str| {
        header(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::invalid("headers", format!("the upstream request has no {name} header")))
    };
    let connection_id = required("x-asrs-connection-id")?;
    let signature_header = required(SIGNATURE_HEADER)?;
    if !signature_is_valid(signature_header, connection_id, keys) {
        return Err(Error::Unauthorized {
            status: None,
            message: format!("X-ASRS-Signature does not sign connection {connection_id:?} with any of the given access keys"),
        });
    }
    let context = UpstreamContext {
        connection_id: connection_id.to_string(),
        hub: required("x-asrs-hub")?.to_string(),
        user_id: header("x-asrs-user-id")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        claims: header("x-asrs-user-claims").map(parse_claims).unwrap_or_default(),
        query: header("x-asrs-client-query").map(parse_query).unwrap_or_default(),
    };
    let category = required("x-asrs-category")?;
    let event = required("x-asrs-event")?;
    let content_type = header("content-type").unwrap_or("application/json");
    match (category, event) {
        ("connections", "connected") => Ok(UpstreamEvent::Connected(context)),
        ("connections", "disconnected") => {
            let body: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| Error::invalid("body", format!("the disconnected body is not JSON: {e}")))?;
            let error = ["error", "Error"]
                .iter()
                .find_map(|k| body.get(*k).and_then(|v| v.as_str()))
                .filter(|e| !e.is_empty())
                .map(str::to_string);
            Ok(UpstreamEvent::Disconnected { context, error })
        }
        ("connections", other) => Err(Error::invalid(
            "headers",
            format!("connections event {other:?} is not one the service sends (connected, disconnected)"),
        )),
        ("messages", target) => {
            let protocol = if content_type.starts_with("application/x-msgpack") {
                Protocol::MessagePack
            } else {
                Protocol::Json
            };
            let decoded = match protocol {
                Protocol::Json => std::str::from_utf8(body)
                    .map_err(|_| "the body is not UTF-8".to_string())
                    .and_then(protocol::decode_json),
                Protocol::MessagePack => protocol::decode_msgpack(&protocol::frame_msgpack(body)),
            }
            .map_err(|e| Error::invalid("body", format!("the invocation body is not a hub message: {e}")))?;
            let (invocation_id, message) = match decoded.into_iter().next() {
                Some(HubMessage::Invocation(message)) => (None, message),
                Some(HubMessage::Call {
                    invocation_id,
                    message,
                    ..
                }) => (Some(invocation_id), message),
                _ => return Err(Error::invalid("body", "the invocation body holds no invocation")),
            };
            if !message.target.eq_ignore_ascii_case(target) {
                return Err(Error::invalid(
                    "body",
                    format!(
                        "the body invokes {:?} but X-ASRS-Event says {target:?}",
                        message.target
                    ),
                ));
            }
            Ok(UpstreamEvent::Invocation {
                context,
                invocation_id,
                message,
                protocol,
            })
        }
        (other, _) => Err(Error::invalid(
            "headers",
            format!("category {other:?} is not one the service sends (connections, messages)"),
        )),
    }
}

/// The body an app answers an invocation with: the framed completion in the client's protocol,
/// with `result` (JSON text) or `error`; content type `application/json` or `application/x-msgpack`.
pub fn completion_body(
    protocol: Protocol,
    invocation_id: &str,
    result: std::result::Result<Option<&str>, &str>,
) -> Result<Vec<u8>> {
    let raw = match result {
        Ok(Some(json)) => Some(
            serde_json::value::RawValue::from_string(json.to_string())
                .map_err(|e| Error::invalid("result", format!("the result is not JSON: {e}")))?,
        ),
        _ => None,
    };
    let completion = match (&raw, result) {
        (Some(raw), _) => CompletionResult::Value(raw),
        (None, Err(error)) => CompletionResult::Error(error),
        (None, Ok(_)) => CompletionResult::Void,
    };
    Ok(
        match protocol::encode_completion(protocol, invocation_id, completion) {
            Encoded::Text(text) => text.into_bytes(),
            Encoded::Binary(bytes) => bytes,
        },
    )
}

/// `type: value` pairs joined by `, `; entries that do not split are dropped, the first value
/// of a type wins (as the Functions extension reads them).
fn parse_claims(header: &str) -> Vec<(String, String)> {
    let mut claims: Vec<(String, String)> = Vec::new();
    for entry in header.split(',') {
        if let Some((kind, value)) = entry.trim().split_once(": ") {
            if !claims.iter().any(|(k, _)| k == kind) {
                claims.push((kind.to_string(), value.to_string()));
            }
        }
    }
    claims
}

/// `?k=v&k=w` as `(k, "v,w")` pairs in first-seen order.
fn parse_query(header: &str) -> Vec<(String, String)> {
    let mut query: Vec<(String, String)> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(header.trim_start_matches('?').as_bytes()) {
        match query.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => {
                values.push(',');
                values.push_str(&value);
            }
            None => query.push((key.into_owned(), value.into_owned())),
        }
    }
    query
}
