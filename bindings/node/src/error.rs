//! Core errors as napi errors. The message is a JSON description (`kind` is
//! `signalr_rest::Error::kind()`, or `aborted`) that node/lib/errors.js turns into its classes.

use serde_json::{json, Value};
use signalr_rest::Error;

/// A napi error carrying `error` for the JS error classes.
pub(crate) fn to_napi(error: Error) -> napi::Error {
    let mut detail = json!({ "kind": error.kind(), "message": error.to_string() });
    let extra = match &error {
        Error::InvalidArgument { field, .. } => json!({ "field": field }),
        Error::Unauthorized { status, .. } => json!({ "status": status }),
        Error::NotFound { code, .. } => json!({ "status": 404, "errorCode": code }),
        Error::BadRequest { message } => json!({ "status": 400, "body": message }),
        Error::Service { status, body } => json!({ "status": status, "body": body }),
        Error::Timeout(after) => json!({ "timeoutMs": after.as_millis() as u64 }),
        Error::Transport(_) => Value::Null,
    };
    if let (Value::Object(target), Value::Object(fields)) = (&mut detail, extra) {
        target.extend(fields);
    }
    napi::Error::from_reason(detail.to_string())
}

/// The error of a call whose cancellation token fired before it finished.
pub(crate) fn aborted() -> napi::Error {
    napi::Error::from_reason(json!({ "kind": "aborted", "message": "the operation was aborted" }).to_string())
}

/// Converts a core result for napi.
pub(crate) fn napi_result<T>(result: signalr_rest::Result<T>) -> napi::Result<T> {
    result.map_err(to_napi)
}
