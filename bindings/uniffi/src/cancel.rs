//! Cancellation of in-flight calls from languages whose task cancellation does not reach the
//! Rust future (Swift): the caller fires a `Cancellation` and the call's future is dropped,
//! closing its HTTP request.

use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::error::SignalRError;

/// A one-shot token calls can be cancelled with.
#[derive(Debug, Default, uniffi::Object)]
pub struct Cancellation {
    token: CancellationToken,
}

#[uniffi::export]
impl Cancellation {
    /// A token that has not fired.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Fires the token: every call given it stops with `SignalRError::Cancelled`.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether the token has fired.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// Runs `work`, stopping it with `Cancelled` once `cancel` fires.
pub(crate) async fn cancellable<T>(
    cancel: Option<Arc<Cancellation>>,
    work: impl Future<Output = signalr_rest::Result<T>>,
) -> Result<T, SignalRError> {
    let outcome = match cancel {
        Some(cancel) => {
            cancel
                .token
                .run_until_cancelled(work)
                .await
                .ok_or_else(|| SignalRError::Cancelled {
                    detail: "the call was cancelled".into(),
                })?
        }
        None => work.await,
    };
    outcome.map_err(SignalRError::from)
}
