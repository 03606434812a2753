//! When a failed call is tried again, and how long to wait first.

use std::time::Duration;

/// Exponential backoff with jitter; `max_retries = 0` disables retries.
///
/// The rule, enforced by this module alone:
///
/// - A **send** (POST) is retried only when the message cannot have been delivered: the
///   connection could not be made, the service answered 429, or it answered 503 with an empty
///   body. Timeouts, broken connections, 408, 500, 502 and 504 are not retried for sends:
///   gateways answer 502 and 504 after forwarding the request, so the message may have gone out,
///   and a retry could deliver it twice.
/// - **Every other call** is idempotent and is retried on connect failures, timeouts, broken
///   connections, 408, 429 and any 5xx.
/// - A **DELETE** answered 404 by the service after an earlier attempt that may have acted
///   (it timed out, broke, or got a 5xx) succeeds: that earlier attempt did the work.
/// - `Retry-After` (delta-seconds or an HTTP date) is honoured; no retry comes sooner than asked.
///   A wait longer than `max_delay` ends the retries with an error that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub max_retries: u32,
    /// Wait before the first retry; doubles each time.
    pub initial_delay: Duration,
    /// Longest wait before a retry; a service asking for more ends the retries.
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

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Return the attempt's error.
    GiveUp,
    /// The service asked to wait this long, more than `max_delay`: stop with an error saying so.
    AskedTooLong(Duration),
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// What follows attempt number `retries_done` (0 for the first) that ended in `outcome`.
    pub(crate) fn next_step(
        &self,
        retries_done: u32,
        idempotent: bool,
        outcome: Outcome,
        retry_after: Option<Duration>,
    ) -> Step {
        if retries_done >= self.max_retries || !is_retryable(idempotent, outcome) {
            return Step::GiveUp;
        }
        match retry_after {
            Some(asked) if asked > self.max_delay => Step::AskedTooLong(asked),
            Some(asked) => Step::Retry(asked),
            None => Step::Retry(self.backoff(retries_done)),
        }
    }

    /// `initial_delay * 2^retry` capped at `max_delay`, scaled by a random factor in [0.5, 1).
    fn backoff(&self, retry: u32) -> Duration {
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
    /// An HTTP answer with this status; `empty_body` when it carried no body.
    Status { code: u16, empty_body: bool },
}

impl Outcome {
    /// Whether the service may have carried out the request although the attempt failed. Any
    /// 5xx counts, an empty 503 too: it only decides whether a later 404 to a DELETE is success,
    /// and the thing is gone either way.
    pub(crate) fn may_have_acted(self) -> bool {
        match self {
            Outcome::TimedOut | Outcome::Broken => true,
            Outcome::Status { code, .. } => code >= 500,
            Outcome::ConnectFailed => false,
        }
    }
}

fn is_retryable(idempotent: bool, outcome: Outcome) -> bool {
    match outcome {
        Outcome::ConnectFailed | Outcome::Status { code: 429, .. } => true,
        // A 503 with a body may come from a handler that failed half way; an empty one is the
        // service turning the request away before it was read.
        Outcome::Status {
            code: 503,
            empty_body,
        } => idempotent || empty_body,
        Outcome::TimedOut | Outcome::Broken | Outcome::Status { code: 408, .. } => idempotent,
        Outcome::Status { code, .. } => idempotent && code >= 500,
    }
}

/// Whether a DELETE answered 404 by the service has in fact succeeded: only when an earlier
/// attempt of the same call may have acted, so the 404 shows that attempt removed the thing.
pub(crate) fn not_found_means_done(is_delete: bool, earlier_attempt_may_have_acted: bool) -> bool {
    is_delete && earlier_attempt_may_have_acted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Outcome {
        Outcome::Status {
            code,
            empty_body: false,
        }
    }

    const EMPTY_503: Outcome = Outcome::Status {
        code: 503,
        empty_body: true,
    };

    #[test]
    fn sends_retry_only_where_the_message_cannot_have_been_delivered() {
        for yes in [Outcome::ConnectFailed, status(429), EMPTY_503] {
            assert!(is_retryable(false, yes), "{yes:?}");
        }
        for no in [
            Outcome::TimedOut,
            Outcome::Broken,
            status(408),
            status(500),
            status(502),
            status(503),
            status(504),
            status(400),
        ] {
            assert!(!is_retryable(false, no), "{no:?}");
        }
    }

    #[test]
    fn idempotent_calls_retry_on_timeouts_and_5xx_but_not_4xx() {
        for yes in [
            Outcome::ConnectFailed,
            Outcome::TimedOut,
            Outcome::Broken,
            status(408),
            status(429),
            status(500),
            status(502),
            status(503),
            status(504),
        ] {
            assert!(is_retryable(true, yes), "{yes:?}");
        }
        for no in [status(400), status(401), status(404), status(409)] {
            assert!(!is_retryable(true, no), "{no:?}");
        }
    }

    #[test]
    fn an_attempt_may_have_acted_after_a_timeout_a_break_or_any_5xx() {
        for yes in [Outcome::TimedOut, Outcome::Broken, status(500), EMPTY_503] {
            assert!(yes.may_have_acted(), "{yes:?}");
        }
        for no in [Outcome::ConnectFailed, status(429), status(408), status(404)] {
            assert!(!no.may_have_acted(), "{no:?}");
        }
        assert!(not_found_means_done(true, true));
        assert!(!not_found_means_done(true, false));
        assert!(!not_found_means_done(false, true));
    }

    #[test]
    fn backoff_grows_with_jitter() {
        let policy = RetryPolicy::default();
        for retry in 0..3 {
            let full = policy.initial_delay * (1 << retry);
            let Step::Retry(d) = policy.next_step(retry, true, status(500), None) else {
                panic!("no retry {retry}");
            };
            assert!(d >= full / 2 && d < full, "{d:?}");
        }
        assert_eq!(policy.next_step(3, true, status(500), None), Step::GiveUp);
    }

    #[test]
    fn retry_after_is_waited_in_full_or_ends_the_retries() {
        let policy = RetryPolicy::default();
        let asked = |secs| policy.next_step(0, true, status(429), Some(Duration::from_secs(secs)));
        assert_eq!(asked(2), Step::Retry(Duration::from_secs(2)));
        assert_eq!(asked(30), Step::Retry(Duration::from_secs(30)));
        assert_eq!(asked(31), Step::AskedTooLong(Duration::from_secs(31)));
        // Not retryable at all: the wait asked for does not matter.
        let sent = policy.next_step(0, false, status(502), Some(Duration::from_secs(99)));
        assert_eq!(sent, Step::GiveUp);
    }
}
