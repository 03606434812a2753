//! Cancellation of in-flight calls: JS fires a token when its AbortSignal aborts, and the
//! call's Rust future is dropped, closing its HTTP request.

use std::future::Future;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
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

/// Runs `work` on the runtime as a Promise that rejects with an abort once `cancel` fires; a
/// failure becomes its JS error on the JS thread, when the Promise settles.
pub(crate) fn spawn<'env, T>(
    env: &'env Env,
    cancel: Option<&Cancellation>,
    work: impl Future<Output = signalr_rest::Result<T>> + Send + 'static,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
{
    let token = cancel.map(|c| c.token.clone());
    env.spawn_future_with_callback(
        async move {
            let outcome: Result<T, Failure> = match token {
                Some(token) => match token.run_until_cancelled(work).await {
                    Some(done) => done.map_err(Failure::from),
                    None => Err(Failure::Aborted),
                },
                None => work.await.map_err(Failure::from),
            };
            Ok(outcome)
        },
        |env, outcome| outcome.map_err(|failure| failure.into_js(env)),
    )
}
