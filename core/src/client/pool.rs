//! The HTTP connection pools of one client: one on the shared runtime, and one per lane for
//! blocking callers (see [`crate::runtime::Lane`]).

use std::sync::Mutex;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::runtime::current_lane;

/// How long an unused pooled connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Connection pools that send with the same settings (user agent, TCP_NODELAY, idle timeout).
#[derive(Debug)]
pub(crate) struct HttpPools {
    user_agent: String,
    shared: reqwest::Client,
    /// Indexed by lane number; made on a lane's first call.
    lanes: Mutex<Vec<Option<reqwest::Client>>>,
}

impl HttpPools {
    /// Pools sending `user_agent`.
    pub fn new(user_agent: String) -> Result<Self> {
        Ok(HttpPools {
            shared: build(&user_agent)?,
            user_agent,
            lanes: Mutex::new(Vec::new()),
        })
    }

    /// The pool for a call made on this thread: its lane's when it runs on one, else the shared one.
    pub fn client(&self) -> Result<reqwest::Client> {
        let Some(lane) = current_lane() else {
            return Ok(self.shared.clone());
        };
        let mut lanes = self.lanes.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if lanes.len() <= lane {
            lanes.resize(lane + 1, None);
        }
        match &lanes[lane] {
            Some(client) => Ok(client.clone()),
            None => {
                let client = build(&self.user_agent)?;
                lanes[lane] = Some(client.clone());
                Ok(client)
            }
        }
    }
}

fn build(user_agent: &str) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .pool_idle_timeout(IDLE_TIMEOUT)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| Error::Transport(format!("cannot build HTTP client: {e}")))
}
