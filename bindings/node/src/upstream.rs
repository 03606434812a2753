//! The core's serverless upstream receiver helpers for JS.

use std::collections::HashMap;

use napi::bindgen_prelude::Buffer;
use napi::Env;
use napi_derive::napi;
use signalr_rest::protocol::Protocol;
use signalr_rest::upstream::{self, UpstreamContext, UpstreamEvent};
use signalr_rest::Error;

use crate::error::napi_result;
use crate::json::Parsed;

/// A verified upstream request; node/lib/upstream.js shapes it per `kind`.
#[napi(object, object_from_js = false)]
pub struct NativeUpstreamEvent {
    /// `connected`, `disconnected` or `invocation`.
    pub kind: String,
    pub connection_id: String,
    pub hub: String,
    pub user_id: Option<String>,
    /// `[type, value]` pairs.
    pub claims: Vec<Vec<String>>,
    /// `[key, value]` pairs.
    pub query: Vec<Vec<String>>,
    pub invocation_id: Option<String>,
    pub target: Option<String>,
    /// The arguments, as JSON.parse reads their JSON text.
    #[napi(ts_type = "Array<unknown>")]
    pub arguments: Option<Parsed>,
    /// `json` or `messagepack`.
    pub protocol: Option<String>,
    pub error: Option<String>,
}

fn pairs(list: Vec<(String, String)>) -> Vec<Vec<String>> {
    list.into_iter().map(|(k, v)| vec![k, v]).collect()
}

fn event(kind: &str, c: UpstreamContext) -> NativeUpstreamEvent {
    NativeUpstreamEvent {
        kind: kind.to_string(),
        connection_id: c.connection_id,
        hub: c.hub,
        user_id: c.user_id,
        claims: pairs(c.claims),
        query: pairs(c.query),
        invocation_id: None,
        target: None,
        arguments: None,
        protocol: None,
        error: None,
    }
}

/// Verifies and reads an upstream request; `headers` have lower-case names.
#[napi(catch_unwind)]
pub fn upstream_parse_request(
    env: &Env,
    headers: HashMap<String, String>,
    body: Buffer,
    access_keys: Vec<String>,
) -> napi::Result<NativeUpstreamEvent> {
    let keys: Vec<&str> = access_keys.iter().map(String::as_str).collect();
    let parsed = napi_result(
        env,
        upstream::parse_upstream_request(|name| headers.get(name).map(String::as_str), &body, &keys),
    )?;
    Ok(match parsed {
        UpstreamEvent::Connected(c) => event("connected", c),
        UpstreamEvent::Disconnected { context, error } => NativeUpstreamEvent {
            error,
            ..event("disconnected", context)
        },
        UpstreamEvent::Invocation {
            context,
            invocation_id,
            message,
            protocol,
        } => NativeUpstreamEvent {
            invocation_id,
            arguments: Some(Parsed::arguments(&message.arguments)),
            target: Some(message.target),
            protocol: Some(
                match protocol {
                    Protocol::Json => "json",
                    Protocol::MessagePack => "messagepack",
                }
                .to_string(),
            ),
            ..event("invocation", context)
        },
    })
}

/// The completion body answering `invocation_id`: `result_json` when given, else `error`, else
/// an empty completion.
#[napi(catch_unwind)]
pub fn upstream_completion_body(
    env: &Env,
    protocol: String,
    invocation_id: String,
    result_json: Option<String>,
    error: Option<String>,
) -> napi::Result<Buffer> {
    let protocol = match protocol.as_str() {
        "json" => Protocol::Json,
        "messagepack" => Protocol::MessagePack,
        other => {
            return napi_result(
                env,
                Err(Error::invalid(
                    "protocol",
                    format!("protocol must be \"json\" or \"messagepack\"; got {other:?}"),
                )),
            )
        }
    };
    let answer = match (&result_json, &error) {
        (Some(_), Some(_)) => {
            return napi_result(
                env,
                Err(Error::invalid("error", "give a result or an error, not both")),
            )
        }
        (Some(json), None) => Ok(Some(json.as_str())),
        (None, Some(error)) => Err(error.as_str()),
        (None, None) => Ok(None),
    };
    napi_result(env, upstream::completion_body(protocol, &invocation_id, answer)).map(Buffer::from)
}
