//! When a failed call is tried again, and how long to wait first.

use std::time::Duration;

/// Exponential backoff with jitter; `max_retries = 0` disables retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub max_retries: u32,
    /// Wait before the first retry; doubles each time.
    pub initial_delay: Duration,
    /// Upper bound of any wait, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Wait before retry number `retry` (0-based): `Retry-After` when given, else
    /// `initial_delay * 2^retry` scaled by a random factor in [0.5, 1), both capped at `max_delay`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let exponential = self.initial_delay.saturating_mul(1u32 << retry.min(20));
        exponential
            .min(self.max_delay)
            .mul_f64(rand::random_range(0.5..1.0))
    }
}

/// What happened to one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No connection could be made: the request was never sent.
    ConnectFailed,
    /// Sent, but no answer in time: the service may have acted on it.
    TimedOut,
    /// Any other transport failure after the request may have left.
    Broken,
    /// An HTTP answer with this status.
    Status(u16),
}

/// Whether `outcome` may be retried. Sends (POST) retry only where the message cannot have
/// been delivered, so a retry never duplicates a message; other calls are idempotent.
pub(crate) fn is_retryable(idempotent: bool, outcome: Outcome) -> bool {
    match outcome {
        Outcome::ConnectFailed => true,
        Outcome::TimedOut | Outcome::Broken => idempotent,
        Outcome::Status(429 | 502 | 503 | 504) => true,
        Outcome::Status(408) => idempotent,
        Outcome::Status(s) if s >= 500 => idempotent,
        Outcome::Status(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_never_retry_after_a_timeout_or_a_500() {
        assert!(!is_retryable(false, Outcome::TimedOut));
        assert!(!is_retryable(false, Outcome::Status(500)));
        assert!(!is_retryable(false, Outcome::Status(408)));
        for ok in [Outcome::ConnectFailed, Outcome::Status(429), Outcome::Status(503)] {
            assert!(is_retryable(false, ok));
        }
    }

    #[test]
    fn idempotent_calls_retry_on_timeouts_and_5xx_but_not_4xx() {
        for ok in [
            Outcome::TimedOut,
            Outcome::Status(408),
            Outcome::Status(500),
            Outcome::Status(429),
        ] {
            assert!(is_retryable(true, ok));
        }
        for no in [Outcome::Status(400), Outcome::Status(401), Outcome::Status(404)] {
            assert!(!is_retryable(true, no));
        }
    }

    #[test]
    fn delays_grow_with_jitter_and_honour_retry_after_up_to_the_cap() {
        let policy = RetryPolicy::default();
        for retry in 0..3 {
            let full = policy.initial_delay * (1 << retry);
            let d = policy.delay(retry, None);
            assert!(d >= full / 2 && d < full, "{d:?}");
        }
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(policy.delay(0, Some(Duration::from_secs(999))), policy.max_delay);
    }
}
