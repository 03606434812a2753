//! Where async calls run and how they end: on the core's call threads (servers on its
//! multi-threaded runtime), each settling a Promise on the JS thread; JS fires a call's token
//! when its AbortSignal aborts, and the call's Rust future is dropped, closing its HTTP request.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use napi::bindgen_prelude::{JsValue, PromiseRaw, ToNapiValue};
use napi::Env;
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

use crate::error::Failure;

/// A one-shot token a call can be cancelled with.
#[napi]
#[derive(Default)]
pub struct Cancellation {
    token: CancellationToken,
}

#[napi]
impl Cancellation {
    /// A token that has not fired.
    #[napi(constructor, catch_unwind)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the token: every call given it stops and rejects with an abort.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

/// Runs `work` on one of the core's call threads (`signalr_rest::runtime::spawn`) as a Promise
/// that rejects with an abort once `cancel` fires; a failure becomes its JS error on the JS
/// thread, when the Promise settles.
pub(crate) fn spawn<'env, T>(
    env: &'env Env,
    cancel: Option<&Cancellation>,
    work: impl Future<Output = signalr_rest::Result<T>> + Send + 'static,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
{
    promise_of(env, cancel, work, Runtime::CallThread)
}

/// [`spawn`] on the multi-threaded runtime (`signalr_rest::runtime::shared`), for work that
/// starts servers: the tasks it spawns stay there.
pub(crate) fn spawn_serving<'env, T>(
    env: &'env Env,
    work: impl Future<Output = signalr_rest::Result<T>> + Send + 'static,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
{
    promise_of(env, None, work, Runtime::Shared)
}

/// Where a Promise's work runs.
enum Runtime {
    /// One of the core's call threads.
    CallThread,
    /// The core's multi-threaded runtime.
    Shared,
}

/// A Promise of `work`, run on `runtime`. A panic in `work` rejects the Promise too, so that it
/// always settles (an unsettled one would keep Node's event loop alive).
fn promise_of<'env, T>(
    env: &'env Env,
    cancel: Option<&Cancellation>,
    work: impl Future<Output = signalr_rest::Result<T>> + Send + 'static,
    runtime: Runtime,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
{
    let token = cancel.map(|c| c.token.clone());
    let (deferred, promise) = env.create_deferred()?;
    let settle = async move {
        let finished = AssertUnwindSafe(async move {
            match token {
                Some(token) => match token.run_until_cancelled(work).await {
                    Some(done) => done.map_err(Failure::from),
                    None => Err(Failure::Aborted),
                },
                None => work.await.map_err(Failure::from),
            }
        })
        .catch_unwind()
        .await;
        let outcome = finished.unwrap_or_else(|panic| Err(Failure::Panicked(panic_message(&*panic))));
        deferred.resolve(move |env: Env| outcome.map_err(|failure| failure.into_js(&env)));
    };
    // The task's handle is not needed: the Promise carries the outcome.
    drop(match runtime {
        Runtime::CallThread => signalr_rest::runtime::spawn(settle),
        Runtime::Shared => signalr_rest::runtime::shared().spawn(settle),
    });
    Ok(PromiseRaw::new(env.raw(), promise.raw()))
}

/// The message a panic was raised with.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}
