//! Core errors as JS errors: `code` is the core's kind (`signalr_rest::Error::kind()`, or
//! `aborted`), `message` the readable message, and what node/lib/errors.js needs to build its
//! classes sits on the same object as typed properties: `field` (string), `status` (number or
//! null), `errorCode` and `body` (strings), `timeoutMs` (number).
//!
//! The object is made with the `Env` of the JS thread: synchronous calls build it before
//! returning, async calls when their Promise settles (see `cancel::spawn`).

use napi::bindgen_prelude::Object;
use napi::{Env, JsError};
use signalr_rest::Error;

/// Why a call failed: the core refused it, or its cancellation token fired.
pub(crate) enum Failure {
    /// An error of the core.
    Core(Error),
    /// The call's cancellation token fired before it finished.
    Aborted,
    /// The call panicked (its message); JS sees an internal error.
    Panicked(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Core(error)
    }
}

impl Failure {
    /// The JS error for this failure, as a napi error that throws (or rejects with) that object.
    pub(crate) fn into_js(self, env: &Env) -> napi::Error {
        let (kind, message) = match &self {
            Failure::Core(error) => (error.kind(), error.to_string()),
            Failure::Aborted => ("aborted", "the operation was aborted".to_string()),
            Failure::Panicked(message) => ("panic", format!("a Rust panic: {message}")),
        };
        let error = JsError::from(napi::Error::new(kind, message)).into_unknown(*env);
        let detailed = unsafe { error.cast::<Object>() }.and_then(|mut object| match &self {
            Failure::Core(core) => details(&mut object, core),
            Failure::Aborted | Failure::Panicked(_) => Ok(()),
        });
        match detailed {
            Ok(()) => napi::Error::from(error),
            Err(failed) => failed,
        }
    }
}

/// Sets the properties of `error`'s kind on `object`.
fn details(object: &mut Object<'_>, error: &Error) -> napi::Result<()> {
    match error {
        Error::InvalidArgument { field, .. } => object.set("field", field.as_str()),
        Error::Unauthorized { status, .. } => object.set("status", status.map(u32::from)),
        Error::NotFound { code, .. } => {
            object.set("status", 404u32)?;
            object.set("errorCode", code.as_str())
        }
        Error::BadRequest { message } => {
            object.set("status", 400u32)?;
            object.set("body", message.as_str())
        }
        Error::Service { status, body } => {
            object.set("status", u32::from(*status))?;
            object.set("body", body.as_str())
        }
        Error::Timeout(after) => object.set("timeoutMs", after.as_millis() as f64),
        Error::Transport(_) => Ok(()),
    }
}

/// Converts a core result of a synchronous call for napi, building its error with `env`.
pub(crate) fn napi_result<T>(env: &Env, result: signalr_rest::Result<T>) -> napi::Result<T> {
    result.map_err(|error| Failure::Core(error).into_js(env))
}
