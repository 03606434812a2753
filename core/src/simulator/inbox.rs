//! What a virtual client has received, and how it ended.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::model::PayloadMessage;

/// Received invocations and the close, shared by the hub state and the client handle.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    log: Mutex<Log>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct Log {
    received: Vec<PayloadMessage>,
    /// `Some(reason)` once closed by the service; the reason itself is optional.
    closed: Option<Option<String>>,
}

impl Inbox {
    pub fn deliver(&self, message: &PayloadMessage) {
        self.lock().received.push(message.clone());
        self.changed.notify_waiters();
    }

    pub fn close(&self, reason: Option<String>) {
        self.lock().closed.get_or_insert(reason);
        self.changed.notify_waiters();
    }

    pub fn received(&self) -> Vec<PayloadMessage> {
        self.lock().received.clone()
    }

    pub fn closed(&self) -> Option<Option<String>> {
        self.lock().closed.clone()
    }

    /// The first message for `target`, waiting up to `timeout` for it to arrive.
    pub async fn wait_for(&self, target: &str, timeout: Duration) -> Result<PayloadMessage> {
        let search = async {
            loop {
                let notified = self.changed.notified();
                if let Some(found) = self.lock().received.iter().find(|m| m.target == target) {
                    return found.clone();
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, search)
            .await
            .map_err(|_| Error::Timeout(timeout))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
