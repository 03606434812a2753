//! The core's serverless upstream receiver helpers; events as plain tuples.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use signalr_rest::protocol::Protocol;
use signalr_rest::upstream::{self, UpstreamEvent};

use crate::convert::json_value;
use crate::error::{invalid, to_py_err};

/// Context fields: `(connection_id, hub, user_id, claims, query)`.
type Context = (
    String,
    String,
    Option<String>,
    Vec<(String, String)>,
    Vec<(String, String)>,
);

/// One event: `(kind, context, invocation_id, target, arguments_json, protocol, error)`.
type Event = (
    &'static str,
    Context,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<&'static str>,
    Option<String>,
);

fn context(c: upstream::UpstreamContext) -> Context {
    (c.connection_id, c.hub, c.user_id, c.claims, c.query)
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Json => "json",
        Protocol::MessagePack => "messagepack",
    }
}

/// Verifies and reads an upstream request; `headers` have lower-case names.
#[pyfunction]
pub fn upstream_parse_request(
    headers: HashMap<String, String>,
    body: &[u8],
    access_keys: Vec<String>,
) -> PyResult<Event> {
    let keys: Vec<&str> = access_keys.iter().map(String::as_str).collect();
    let event = upstream::parse_upstream_request(|name| headers.get(name).map(String::as_str), body, &keys)
        .map_err(to_py_err)?;
    Ok(match event {
        UpstreamEvent::Connected(c) => ("connected", context(c), None, None, None, None, None),
        UpstreamEvent::Disconnected { context: c, error } => {
            ("disconnected", context(c), None, None, None, None, error)
        }
        UpstreamEvent::Invocation {
            context: c,
            invocation_id,
            message,
            protocol,
        } => (
            "invocation",
            context(c),
            invocation_id,
            Some(message.target),
            Some(message.arguments.as_json().to_string()),
            Some(protocol_name(protocol)),
            None,
        ),
    })
}

/// The completion body answering `invocation_id`: `result` (any JSON value) when given, else
/// `error` when given, else an empty completion.
#[pyfunction]
#[pyo3(signature = (protocol, invocation_id, has_result, result, error))]
pub fn upstream_completion_body<'py>(
    py: Python<'py>,
    protocol: &str,
    invocation_id: &str,
    has_result: bool,
    result: &Bound<'py, PyAny>,
    error: Option<String>,
) -> PyResult<Bound<'py, PyBytes>> {
    let protocol = match protocol {
        "json" => Protocol::Json,
        "messagepack" => Protocol::MessagePack,
        other => {
            return Err(invalid(
                "protocol",
                format!("protocol must be \"json\" or \"messagepack\"; got {other:?}"),
            ))
        }
    };
    let text = if has_result {
        Some(json_value("result", result)?)
    } else {
        None
    };
    let answer = match (&text, &error) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "error",
                "give a result or an error, not both".to_string(),
            ))
        }
        (Some(json), None) => Ok(Some(json.as_str())),
        (None, Some(error)) => Err(error.as_str()),
        (None, None) => Ok(None),
    };
    let body = upstream::completion_body(protocol, invocation_id, answer).map_err(to_py_err)?;
    Ok(PyBytes::new(py, &body))
}
