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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fired_token_stops_the_call_with_cancelled() {
        let cancel = Cancellation::new();
        cancel.cancel();
        let outcome = cancellable(Some(cancel), std::future::pending::<signalr_rest::Result<()>>()).await;
        assert!(
            matches!(outcome, Err(SignalRError::Cancelled { .. })),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn core_errors_pass_through_mapped() {
        let outcome = cancellable(None, async {
            Err::<(), _>(signalr_rest::Error::invalid("hub", "bad"))
        })
        .await;
        assert!(matches!(outcome, Err(SignalRError::InvalidArgument { ref field, .. }) if field == "hub"));
    }
}
