//! Where calls run, and their cancellation. Network calls run on the core's call threads
//! (`signalr_rest::runtime::spawn`; uniffi's `async_runtime = "tokio"` alone would poll them
//! through the foreign language on every wake-up). Languages whose task cancellation does
//! not reach the Rust future (Swift) fire a `Cancellation`; either way the call's task is
//! aborted, closing its HTTP request.

use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

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

/// Runs `work` on a call thread, so the caller's future is woken once, when it is done; stops
/// it with `Cancelled` once `cancel` fires, and aborts it when the caller's future is dropped. A
/// panic in it goes on in the caller's poll, where uniffi turns it into an error.
pub(crate) async fn spawned<T: Send + 'static>(
    cancel: Option<Arc<Cancellation>>,
    work: impl Future<Output = signalr_rest::Result<T>> + Send + 'static,
) -> Result<T, SignalRError> {
    joined(cancel, AbortOnDropHandle::new(signalr_rest::runtime::spawn(work))).await
}

/// [`spawned`] on the multi-threaded runtime (`signalr_rest::runtime::shared`), for work that
/// starts servers: the tasks it spawns stay there.
pub(crate) async fn spawned_serving<T: Send + 'static>(
    work: impl Future<Output = signalr_rest::Result<T>> + Send + 'static,
) -> Result<T, SignalRError> {
    joined(
        None,
        AbortOnDropHandle::new(signalr_rest::runtime::shared().spawn(work)),
    )
    .await
}

/// The output of `task`, as [`spawned`] gives it.
async fn joined<T: Send + 'static>(
    cancel: Option<Arc<Cancellation>>,
    task: AbortOnDropHandle<signalr_rest::Result<T>>,
) -> Result<T, SignalRError> {
    cancellable(cancel, async move {
        match task.await {
            Ok(outcome) => outcome,
            Err(ended) => match ended.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(ended) => Err(signalr_rest::Error::Transport(format!("the call ended: {ended}"))),
            },
        }
    })
    .await
}

/// Runs `call` on a clone of `inner` (a core client, cheap to clone) as in [`spawned`].
pub(crate) async fn on_clone<C: Clone, T, F>(
    inner: &C,
    cancel: Option<Arc<Cancellation>>,
    call: impl FnOnce(C) -> F,
) -> Result<T, SignalRError>
where
    T: Send + 'static,
    F: Future<Output = signalr_rest::Result<T>> + Send + 'static,
{
    spawned(cancel, call(inner.clone())).await
}

/// Runs `work` in the caller's poll, stopping it with `Cancelled` once `cancel` fires.
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
    async fn a_spawned_call_runs_on_a_call_thread_and_is_aborted_when_cancelled() {
        let outcome = spawned(None, async {
            Ok(std::thread::current().name().map(str::to_string))
        })
        .await;
        let thread = outcome.unwrap().unwrap_or_default();
        assert!(thread.starts_with("signalr-rest-call-"), "ran on {thread:?}");

        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let cancel = Cancellation::new();
        let call = spawned(Some(cancel.clone()), async move {
            let _held = tx;
            std::future::pending::<signalr_rest::Result<()>>().await
        });
        cancel.cancel();
        assert!(matches!(call.await, Err(SignalRError::Cancelled { .. })));
        // The task was aborted, so what it held is dropped.
        assert!(rx.await.is_err());
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
