//! Feature `test-panic`, for test builds only (scripts/lib/test-node): calls that panic, so the
//! tests can show a Rust panic reaching JS as an error instead of taking the process down.

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;

use crate::cancel::spawn;

/// Panics with `message` in a synchronous call.
#[napi(catch_unwind)]
pub fn debug_panic(message: String) {
    panic!("{message}");
}

/// Panics with `message` inside the future of an async call.
#[napi(ts_return_type = "Promise<void>", catch_unwind)]
pub fn debug_panic_async<'env>(env: &'env Env, message: String) -> napi::Result<PromiseRaw<'env, ()>> {
    spawn(env, None, async move { Err(panic_with(message)) })
}

fn panic_with(message: String) -> signalr_rest::Error {
    panic!("{message}")
}
