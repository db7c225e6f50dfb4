//! The retry policy: which failures a request is retried after, how long it waits (jittered
//! exponential backoff, or the server's `Retry-After`), and when it stops (the configured
//! `max_retries`, or a wait that would pass the call's deadline).
//!
//! A POST keeps its `Idempotency-Key` across retries (see [`crate::transport`]), so a retried
//! creation cannot create twice. The one `401` refresh (a fresh token from the app, once) is
//! not a retry and does not count against `max_retries`.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::BridgeError;

/// The first retry waits about this long; each next one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// No backoff waits longer than this (a `Retry-After` may, within the deadline).
const BACKOFF_CAP: Duration = Duration::from_secs(4);

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Stop: the failure is not retryable, or every retry is used.
    GiveUp,
    /// Stop: waiting this long would pass the deadline.
    PastDeadline(Duration),
}

/// How often and how patiently a request is retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
}

impl RetryPolicy {
    /// The decision after attempt `attempt` (0 for the first) failed with `error`, the server
    /// having asked for `retry_after_ms` where it said.
    pub(crate) fn next(
        self,
        attempt: u32,
        error: &BridgeError,
        retry_after_ms: Option<u64>,
        deadline: Instant,
    ) -> Next {
        if !retryable(error) || attempt >= self.max_retries {
            return Next::GiveUp;
        }
        let wait = retry_after_ms.map_or_else(|| backoff(attempt), Duration::from_millis);
        if Instant::now() + wait >= deadline {
            return Next::PastDeadline(wait);
        }
        Next::RetryAfter(wait)
    }
}

/// Network errors, 429 and the 5xx statuses that a retry may cure.
fn retryable(error: &BridgeError) -> bool {
    match error {
        BridgeError::Network { .. } | BridgeError::RateLimited { .. } => true,
        BridgeError::Server { status, .. } => retryable_status(*status),
        _ => false,
    }
}

/// 429 and the 5xx statuses that a retry may cure.
fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in delta-seconds, in milliseconds (HTTP dates fall back to the backoff).
pub(crate) fn parse_retry_after(value: &str) -> Option<u64> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(secs.min(24 * 3600) * 1000)
}

/// Exponential backoff with jitter: 50-100% of `BACKOFF_BASE * 2^attempt`, capped.
fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_CAP);
    let jitter = u32::try_from(uuid::Uuid::new_v4().as_u128() % 1000).unwrap_or(0); // per mille
    full / 2 + full / 2 * jitter / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_and_backoff() {
        assert_eq!(parse_retry_after("2"), Some(2000));
        assert_eq!(parse_retry_after(" 0 "), Some(0));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        for attempt in 0..20 {
            let d = backoff(attempt);
            assert!(d <= BACKOFF_CAP, "{d:?}");
            assert!(d >= BACKOFF_BASE / 2, "{d:?}");
        }
    }

    #[test]
    fn only_retryable_failures_within_the_limits_are_retried() {
        let policy = RetryPolicy { max_retries: 2 };
        let later = Instant::now() + Duration::from_secs(60);
        let network = BridgeError::Network { detail: "x".into() };
        assert!(matches!(
            policy.next(0, &network, None, later),
            Next::RetryAfter(_)
        ));
        assert_eq!(policy.next(2, &network, None, later), Next::GiveUp);
        let not_found = BridgeError::NotFound { detail: "x".into() };
        assert_eq!(policy.next(0, &not_found, None, later), Next::GiveUp);
        assert_eq!(
            policy.next(0, &network, Some(120_000), later),
            Next::PastDeadline(Duration::from_secs(120))
        );
    }
}
