//! When to send a request again, and how long to wait first.
//!
//! An error is retried only if it may go away ([`Error::is_retryable`]: 429, a 5xx that is not
//! `@permanent`, a lost connection, a timeout) *and* sending the request twice is harmless:
//! queries, `.show` commands and tagged ingestion ([`Safety::Idempotent`]) are retried on all of
//! those; other commands only when the server cannot have run them (no connection was made, or
//! 429). Waits grow exponentially with full jitter, capped, and honor `Retry-After`.

use std::time::Duration;

use crate::Error;

/// Whether repeating a request can change the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Running it twice is the same as once (queries, `.show`, ingestion with a tag).
    Idempotent,
    /// It may have effects, so repeat it only when it surely did not run.
    NotIdempotent,
}

/// How many times to try and how long to wait in between.
///
/// ```
/// use std::time::Duration;
/// use tarn_client::RetryPolicy;
///
/// let policy = RetryPolicy::default().attempts_max(8).backoff(Duration::from_millis(50), Duration::from_secs(2));
/// assert_eq!(policy.attempts(), 8);
/// assert!(policy.delay_before_retry(1) <= Duration::from_millis(100));
/// assert!(policy.delay_before_retry(20) <= Duration::from_secs(2));
/// assert_eq!(RetryPolicy::never().attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    attempts_max: u32,
    backoff_initial: Duration,
    backoff_max: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waits from 200 ms doubling up to 10 s.
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts_max: 5,
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// One attempt: errors are returned as they come.
    pub fn never() -> RetryPolicy {
        RetryPolicy::default().attempts_max(1)
    }

    /// Total attempts, the first included (at least 1).
    pub fn attempts_max(mut self, attempts_max: u32) -> RetryPolicy {
        self.attempts_max = attempts_max.max(1);
        self
    }

    /// The wait before the first retry, and the cap on every wait.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> RetryPolicy {
        self.backoff_initial = initial;
        self.backoff_max = max.max(initial);
        self
    }

    pub fn attempts(&self) -> u32 {
        self.attempts_max
    }

    /// The wait before retry number `retry` (from 1): `initial * 2^(retry-1)`, capped, then a
    /// random point in its upper half so that clients that failed together do not retry together.
    pub fn delay_before_retry(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self
            .backoff_initial
            .saturating_mul(1u32 << exponent)
            .min(self.backoff_max);
        let half = ceiling / 2;
        let random = uuid::Uuid::new_v4().as_u64_pair().0;
        let half_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_nanos(random % half_nanos)
    }

    pub(crate) fn backoff_max(&self) -> Duration {
        self.backoff_max
    }
}

/// Whether `error` from a request of this `safety` should be sent again.
pub(crate) fn should_retry(error: &Error, safety: Safety) -> bool {
    if !error.is_retryable() {
        return false;
    }
    match safety {
        Safety::Idempotent => true,
        Safety::NotIdempotent => match error {
            Error::Transport { connect, .. } => *connect,
            other => other.http_status() == Some(429),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kusto(status: u16, permanent: bool) -> Error {
        Error::Kusto {
            http_status: status,
            code: "c".to_string(),
            message: "m".to_string(),
            at_type: String::new(),
            permanent,
            position: None,
            activity_id: None,
        }
    }

    // Proves the retry table: permanent errors and other 4xx never, 429/5xx/timeouts for
    // idempotent requests, only 429 (and unsent requests) for the others.
    #[test]
    fn which_errors_are_retried() {
        assert!(!should_retry(&kusto(400, true), Safety::Idempotent));
        assert!(!should_retry(&kusto(500, true), Safety::Idempotent));
        assert!(!should_retry(&kusto(403, false), Safety::Idempotent));
        assert!(should_retry(&kusto(429, false), Safety::Idempotent));
        assert!(should_retry(&kusto(503, false), Safety::Idempotent));
        assert!(should_retry(&kusto(429, false), Safety::NotIdempotent));
        assert!(!should_retry(&kusto(503, false), Safety::NotIdempotent));
        let timeout = Error::Timeout {
            url: "u".to_string(),
            after: Duration::from_secs(1),
        };
        assert!(should_retry(&timeout, Safety::Idempotent));
        assert!(!should_retry(&timeout, Safety::NotIdempotent));
        assert!(!should_retry(&Error::protocol("x"), Safety::Idempotent));
    }

    // Proves waits grow, stay within [ceiling/2, ceiling] and never pass the cap.
    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let policy =
            RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_secs(1));
        for _ in 0..50 {
            let first = policy.delay_before_retry(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.delay_before_retry(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(policy.delay_before_retry(40) <= Duration::from_secs(1));
        }
    }
}
