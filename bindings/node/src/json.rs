//! Values that reach JS as objects built by the JS engine's own `JSON.parse` from JSON text the
//! core writes: key order, repeated keys, `__proto__` and every number come out exactly as in a JS
//! program reading the same text. It is also the fastest way measured (node/bench/boundary.mjs,
//! reading 1000 received messages): building the values property by property through napi took
//! 2 to 3 times as long, and so did calling `JSON.parse` once per message.

use napi::bindgen_prelude::{ToNapiValue, TypeName, ValueType};
use napi::{check_status, sys};
use signalr_rest::{Arguments, Error, PayloadMessage};

/// JSON text the core wrote, returned to JS as the value `JSON.parse` makes of it.
pub struct Parsed(String);

impl Parsed {
    /// `messages` as a JS array of `{ target, arguments }` objects.
    pub(crate) fn messages(messages: &[PayloadMessage]) -> signalr_rest::Result<Self> {
        serde_json::to_string(messages).map(Parsed).map_err(unencodable)
    }

    /// `value` as the equal JS value.
    pub(crate) fn json(value: &serde_json::Value) -> Self {
        Parsed(value.to_string())
    }

    /// Invocation `arguments` as a JS array.
    pub(crate) fn arguments(arguments: &Arguments) -> Self {
        Parsed(arguments.as_json().to_string())
    }

    /// `message` as a JS `{ target, arguments }` object.
    pub(crate) fn message(message: &PayloadMessage) -> signalr_rest::Result<Self> {
        serde_json::to_string(message).map(Parsed).map_err(unencodable)
    }
}

fn unencodable(error: serde_json::Error) -> Error {
    Error::Transport(format!("cannot encode received messages: {error}"))
}

impl TypeName for Parsed {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Parsed {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        unsafe { parse(env, &val.0) }
    }
}

/// `JSON.parse(text)` in `env`.
///
/// # Safety
/// `env` must be the napi environment of the current call, on its JS thread.
unsafe fn parse(env: sys::napi_env, text: &str) -> napi::Result<sys::napi_value> {
    let mut global = std::ptr::null_mut();
    let mut json = std::ptr::null_mut();
    let mut parse = std::ptr::null_mut();
    let mut argument = std::ptr::null_mut();
    let mut value = std::ptr::null_mut();
    unsafe {
        check_status!(sys::napi_get_global(env, &mut global), "no global object")?;
        check_status!(
            sys::napi_get_named_property(env, global, c"JSON".as_ptr(), &mut json),
            "no JSON object"
        )?;
        check_status!(
            sys::napi_get_named_property(env, json, c"parse".as_ptr(), &mut parse),
            "no JSON.parse"
        )?;
        check_status!(
            sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len() as isize, &mut argument),
            "cannot make a string of received JSON"
        )?;
        check_status!(
            sys::napi_call_function(env, json, parse, 1, &argument, &mut value),
            "JSON.parse refused received JSON"
        )?;
    }
    Ok(value)
}
