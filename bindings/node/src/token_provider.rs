//! Token providers written in JS, adapted to the core's `signalr_rest::TokenProvider`, so an app
//! can authenticate with Microsoft Entra ID instead of holding the access key.

use std::fmt;

use napi::bindgen_prelude::{Function, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use signalr_rest::auth::TokenFuture;
use signalr_rest::Error;

/// What the wrapped provider resolves to: `token`, or `error` with the provider's `name`.
#[napi(object)]
pub struct TokenAnswer {
    /// The token the provider returned.
    pub token: Option<String>,
    /// Why the provider gave no token.
    pub error: Option<String>,
    /// The provider function's name, for the error.
    pub name: Option<String>,
}

/// The provider as `node/lib/client.js` wraps it: `(audience) => Promise<TokenAnswer>` that never
/// rejects. Weak: a client's provider does not keep the process alive.
type ProviderFunction = ThreadsafeFunction<String, Promise<TokenAnswer>, String, napi::Status, false, true>;

/// A JS provider seen by the core; whatever goes wrong becomes `Unauthorized` naming it.
pub(crate) struct JsTokenProvider {
    function: ProviderFunction,
}

impl JsTokenProvider {
    /// Adapts the wrapped provider for calls from any thread.
    pub(crate) fn new(function: Function<'_, String, Promise<TokenAnswer>>) -> napi::Result<Self> {
        let function = function
            .build_threadsafe_function::<String>()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        Ok(JsTokenProvider { function })
    }
}

fn failed(name: &str, why: impl fmt::Display) -> Error {
    Error::Unauthorized {
        status: None,
        message: format!("the token provider {name} failed: {why}"),
    }
}

impl signalr_rest::TokenProvider for JsTokenProvider {
    fn token<'a>(&'a self, audience: &'a str) -> TokenFuture<'a> {
        Box::pin(async move {
            let promise = self
                .function
                .call_async_catch(audience.to_string())
                .await
                .map_err(|e| failed("tokenProvider", format!("it could not be called: {e}")))?;
            let answer = promise
                .await
                .map_err(|e| failed("tokenProvider", format!("it rejected: {e}")))?;
            if let Some(token) = answer.token {
                return Ok(token);
            }
            let name = answer.name.as_deref().unwrap_or("tokenProvider");
            Err(failed(name, answer.error.as_deref().unwrap_or("no token")))
        })
    }
}

impl fmt::Debug for JsTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JsTokenProvider")
    }
}
