//! A token bucket per API key, in memory. It limits one process: each `drawings serve`, and
//! each Lambda execution environment of the intake, keeps its own buckets, so on AWS a key's
//! effective limit grows with the number of warm instances (API Gateway's stage throttling
//! is the global cap).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// How many requests a key may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute; 0 turns the limit off.
    pub per_minute: u32,
    /// Requests that may come at once after a quiet spell (at least 1).
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_minute: 120,
            burst: 30,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets keyed by the key's hash. Only authenticated keys get one, so there are at most
/// as many as configured keys.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<[u8; 32], Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit: RateLimit {
                burst: limit.burst.max(1),
                ..limit
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key` at `now`; when there is none, the whole seconds (at least 1)
    /// until there will be.
    pub(crate) fn take(&self, key: [u8; 32], now: Instant) -> Result<(), u64> {
        if self.limit.per_minute == 0 {
            return Ok(());
        }
        let per_second = f64::from(self.limit.per_minute) / 60.0;
        let burst = f64::from(self.limit.burst);
        // A poisoned lock only means another request panicked mid-update; the buckets are
        // still plain numbers.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_key_gets_its_burst_then_waits_for_the_refill() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 60,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take([1; 32], t0), Ok(()));
        }
        assert_eq!(limiter.take([1; 32], t0), Err(1));
        // Another key has its own bucket.
        assert_eq!(limiter.take([2; 32], t0), Ok(()));
        assert_eq!(limiter.take([1; 32], t0 + Duration::from_millis(1000)), Ok(()));
        assert_eq!(limiter.take([1; 32], t0 + Duration::from_millis(1000)), Err(1));
        // The bucket refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take([1; 32], later), Ok(()));
        }
        assert!(limiter.take([1; 32], later).is_err());
    }

    #[test]
    fn retry_after_is_the_whole_seconds_until_the_next_token() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 2,
            burst: 1,
        });
        let t0 = Instant::now();
        assert_eq!(limiter.take([1; 32], t0), Ok(()));
        assert_eq!(limiter.take([1; 32], t0), Err(30));
        assert_eq!(limiter.take([1; 32], t0 + Duration::from_millis(29_500)), Err(1));
    }

    #[test]
    fn zero_per_minute_turns_the_limit_off() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 0,
            burst: 1,
        });
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(limiter.take([1; 32], now), Ok(()));
        }
    }
}
