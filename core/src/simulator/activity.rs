//! What the simulator did, as it happens: REST calls, deliveries, connections coming and going.
//! Kept as a bounded history plus a live feed, for the dashboard.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::broadcast;

/// Events kept for a page that opens later; older ones are dropped.
pub const ACTIVITY_HISTORY: usize = 500;

/// A REST or client request, as the request log records it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Request<'a> {
    pub kind: &'static str,
    pub method: &'a str,
    pub path: &'a str,
    pub hub: Option<&'a str>,
    pub status: u16,
    pub error_code: Option<&'a str>,
    pub ms: f64,
    pub fault: Option<&'a str>,
}

/// A message handed to the connections `to` (`all`, `user`, `group`, `connection`) `name`.
#[derive(Serialize)]
pub(crate) struct Delivery<'a> {
    pub kind: &'static str,
    pub hub: &'a str,
    pub to: &'a str,
    pub name: Option<&'a str>,
    pub target: &'a str,
    pub recipients: usize,
}

/// The history and the live feed of activity events, each a JSON object text.
#[derive(Debug)]
pub(crate) struct ActivityLog {
    history: Mutex<VecDeque<Arc<str>>>,
    live: broadcast::Sender<Arc<str>>,
}

impl Default for ActivityLog {
    fn default() -> Self {
        ActivityLog {
            history: Mutex::new(VecDeque::with_capacity(ACTIVITY_HISTORY)),
            live: broadcast::channel(ACTIVITY_HISTORY).0,
        }
    }
}

impl ActivityLog {
    /// Records `event` (a struct or JSON object with a `kind`), stamped with the wall-clock
    /// time in ms as its last field `at`. Serialized once, straight to text: it runs on every
    /// request.
    pub fn record<T: Serialize>(&self, event: &T) {
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let Ok(mut text) = serde_json::to_string(event) else {
            return;
        };
        // The stamp is written into the object's text (serde's flatten would buffer it).
        if text.pop() != Some('}') {
            return;
        }
        if !text.ends_with('{') {
            text.push(',');
        }
        let _ = write!(text, "\"at\":{at}}}");
        let text: Arc<str> = text.into();
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if history.len() == ACTIVITY_HISTORY {
            history.pop_front();
        }
        history.push_back(text.clone());
        // Sent under the history lock, so a subscriber sees each event once: in its history
        // copy or on its receiver. No receiver is not an error.
        let _ = self.live.send(text);
    }

    /// The events so far and a receiver of those that follow.
    pub fn subscribe(&self) -> (Vec<Arc<str>>, broadcast::Receiver<Arc<str>>) {
        let history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        (history.iter().cloned().collect(), self.live.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn history_is_bounded_and_a_subscriber_sees_every_event_once() {
        let log = ActivityLog::default();
        for n in 0..ACTIVITY_HISTORY + 10 {
            log.record(&json!({"kind": "test", "n": n}));
        }
        let (history, mut live) = log.subscribe();
        assert_eq!(history.len(), ACTIVITY_HISTORY);
        assert!(history[0].contains("\"n\":10,"), "{}", history[0]);
        let stamped: serde_json::Value = serde_json::from_str(&history[0]).unwrap();
        assert!(stamped["at"].as_u64().unwrap() > 0, "{stamped}");
        log.record(&json!({"kind": "test", "n": "next"}));
        assert!(live.try_recv().unwrap().contains("\"next\""));
        assert!(live.try_recv().is_err());
    }
}
