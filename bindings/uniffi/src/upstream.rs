//! Serverless upstream, the app's side: the core's receiver (`parse_upstream_request`) and the
//! completion an invocation answers with, with headers, events and protocols converted.

use std::collections::HashMap;

use signalr_rest::protocol::Protocol;
use signalr_rest::upstream::{self, UpstreamContext as CoreContext, UpstreamEvent as CoreEvent};
use signalr_rest::Error;

use crate::error::SignalRError;

/// The hub protocol of an upstream invocation, which its completion must be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HubProtocol {
    /// JSON text (`application/json`).
    Json,
    /// MessagePack (`application/x-msgpack`).
    MessagePack,
}

impl From<Protocol> for HubProtocol {
    fn from(protocol: Protocol) -> Self {
        match protocol {
            Protocol::Json => HubProtocol::Json,
            Protocol::MessagePack => HubProtocol::MessagePack,
        }
    }
}

impl From<HubProtocol> for Protocol {
    fn from(protocol: HubProtocol) -> Self {
        match protocol {
            HubProtocol::Json => Protocol::Json,
            HubProtocol::MessagePack => Protocol::MessagePack,
        }
    }
}

/// One name and its value, in the order the request gave them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NameValue {
    /// The claim type or query key.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// What every upstream request tells about its client connection.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UpstreamContext {
    /// `X-ASRS-Connection-Id`.
    pub connection_id: String,
    /// `X-ASRS-Hub`.
    pub hub: String,
    /// `X-ASRS-User-Id`, when the client has one.
    pub user_id: Option<String>,
    /// `X-ASRS-User-Claims`: the first value of each claim type.
    pub claims: Vec<NameValue>,
    /// `X-ASRS-Client-Query`: repeated keys' values joined with `,`.
    pub query: Vec<NameValue>,
}

/// A verified upstream request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UpstreamEvent {
    /// A client connected.
    Connected {
        /// Who.
        context: UpstreamContext,
    },
    /// A client disconnected; `error` says why when it did not close cleanly.
    Disconnected {
        /// Who.
        context: UpstreamContext,
        /// Why, when not a clean close.
        error: Option<String>,
    },
    /// A client invoked hub method `target`; `invocation_id` is absent for a send.
    Invocation {
        /// Who.
        context: UpstreamContext,
        /// The id the completion must carry; absent for a fire-and-forget send.
        invocation_id: Option<String>,
        /// The hub method.
        target: String,
        /// Its arguments as a JSON array text.
        arguments_json: String,
        /// The client's hub protocol.
        protocol: HubProtocol,
    },
}

fn pairs(list: Vec<(String, String)>) -> Vec<NameValue> {
    list.into_iter()
        .map(|(name, value)| NameValue { name, value })
        .collect()
}

impl From<CoreContext> for UpstreamContext {
    fn from(context: CoreContext) -> Self {
        UpstreamContext {
            connection_id: context.connection_id,
            hub: context.hub,
            user_id: context.user_id,
            claims: pairs(context.claims),
            query: pairs(context.query),
        }
    }
}

impl From<CoreEvent> for UpstreamEvent {
    fn from(event: CoreEvent) -> Self {
        match event {
            CoreEvent::Connected(context) => UpstreamEvent::Connected {
                context: context.into(),
            },
            CoreEvent::Disconnected { context, error } => UpstreamEvent::Disconnected {
                context: context.into(),
                error,
            },
            CoreEvent::Invocation {
                context,
                invocation_id,
                message,
                protocol,
            } => UpstreamEvent::Invocation {
                context: context.into(),
                invocation_id,
                arguments_json: message.arguments.as_json().to_string(),
                target: message.target,
                protocol: protocol.into(),
            },
        }
    }
}

/// Header names lower-cased; names that differ only in case have their values joined with `,`
/// (as HTTP joins a repeated header).
fn lower_case_names(headers: HashMap<String, String>) -> HashMap<String, String> {
    let mut lowered: HashMap<String, String> = HashMap::with_capacity(headers.len());
    for (name, value) in headers {
        lowered
            .entry(name.to_ascii_lowercase())
            .and_modify(|joined| {
                joined.push(',');
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    lowered
}

/// Verifies an upstream request's signature with `access_keys` (primary and secondary) and
/// reads it; `headers` in any case. Unauthorized for a bad signature, an invalid argument for a
/// request the service does not send.
#[uniffi::export]
pub fn parse_upstream_request(
    headers: HashMap<String, String>,
    body: Vec<u8>,
    access_keys: Vec<String>,
) -> Result<UpstreamEvent, SignalRError> {
    let headers = lower_case_names(headers);
    let keys: Vec<&str> = access_keys.iter().map(String::as_str).collect();
    let event = upstream::parse_upstream_request(|name| headers.get(name).map(String::as_str), &body, &keys)?;
    Ok(event.into())
}

/// The framed completion answering `invocation_id` in `protocol`: with `result_json` (one JSON
/// value) the client's call returns it, with `error` it fails with that message, with neither it
/// completes empty; both is an invalid argument.
#[uniffi::export]
pub fn upstream_completion_body(
    protocol: HubProtocol,
    invocation_id: String,
    result_json: Option<String>,
    error: Option<String>,
) -> Result<Vec<u8>, SignalRError> {
    let answer = match (&result_json, &error) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid("error", "give a result or an error, not both").into());
        }
        (Some(json), None) => Ok(Some(json.as_str())),
        (None, Some(error)) => Err(error.as_str()),
        (None, None) => Ok(None),
    };
    Ok(upstream::completion_body(
        protocol.into(),
        &invocation_id,
        answer,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
    const SIGNED: &str = "sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881";

    fn headers(more: &[(&str, &str)]) -> HashMap<String, String> {
        [
            ("X-ASRS-Connection-Id", "conn-1"),
            ("x-asrs-hub", "chat"),
            ("X-Asrs-Category", "messages"),
            ("X-ASRS-EVENT", "echo"),
            ("X-ASRS-Signature", SIGNED),
        ]
        .iter()
        .chain(more)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn an_invocation_is_read_with_headers_in_any_case() {
        let body = br#"{"type":1,"invocationId":"7","target":"echo","arguments":[1,{"z":1,"a":2}]}"#;
        let event = parse_upstream_request(
            headers(&[("X-ASRS-Client-Query", "?b=1&a=2&b=3")]),
            body.to_vec(),
            vec![KEY.into()],
        )
        .unwrap();
        let UpstreamEvent::Invocation {
            context,
            invocation_id,
            target,
            arguments_json,
            protocol,
        } = event
        else {
            panic!("not an invocation: {event:?}");
        };
        assert_eq!(context.connection_id, "conn-1");
        assert_eq!(
            context.query,
            vec![
                NameValue {
                    name: "b".into(),
                    value: "1,3".into()
                },
                NameValue {
                    name: "a".into(),
                    value: "2".into()
                }
            ]
        );
        assert_eq!(invocation_id.as_deref(), Some("7"));
        assert_eq!(target, "echo");
        assert_eq!(arguments_json, r#"[1,{"z":1,"a":2}]"#);
        assert_eq!(protocol, HubProtocol::Json);
    }

    #[test]
    fn a_bad_signature_is_unauthorized_and_names_differing_in_case_join() {
        let error = parse_upstream_request(headers(&[]), Vec::new(), vec!["other".into()]).unwrap_err();
        assert!(matches!(error, SignalRError::Unauthorized { status: None, .. }));
        let both = headers(&[("x-asrs-signature", "sha256=AAAA")]);
        let joined = lower_case_names(both);
        let signature = joined.get("x-asrs-signature").unwrap();
        assert!(signature.contains(SIGNED) && signature.contains("sha256=AAAA"));
    }

    #[test]
    fn a_completion_takes_a_result_or_an_error_not_both() {
        let body = upstream_completion_body(HubProtocol::Json, "7".into(), Some("[1]".into()), None).unwrap();
        assert_eq!(body, b"{\"type\":3,\"invocationId\":\"7\",\"result\":[1]}\x1e");
        let both =
            upstream_completion_body(HubProtocol::Json, "7".into(), Some("1".into()), Some("no".into()));
        assert!(matches!(both, Err(SignalRError::InvalidArgument { ref field, .. }) if field == "error"));
        let not_json = upstream_completion_body(HubProtocol::MessagePack, "7".into(), Some("{".into()), None);
        assert!(matches!(not_json, Err(SignalRError::InvalidArgument { .. })));
    }
}
