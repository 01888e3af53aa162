//! Rate limits in memory, keyed, on the `governor` crate's GCRA (a token bucket in effect:
//! `burst` requests at once, then one every `60 / per_minute` seconds). Two limits use it:
//! requests per API key, and failed authentications per source address (see the `auth`
//! module). Each limits one process: each `drawings serve`, and each Lambda execution
//! environment of the intake, keeps its own state, so on AWS a key's effective limit grows
//! with the number of warm instances (API Gateway's stage throttling is the global cap).

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter as Gcra};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

/// How many requests a key (or a source) may make.
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

impl RateLimit {
    /// The default limit on failed authentications per source address: a client that got its
    /// key wrong retries a few times, a prober is turned away with 429 after 20.
    pub const AUTH_FAILURES: RateLimit = RateLimit {
        per_minute: 10,
        burst: 20,
    };

    fn quota(self) -> Option<Quota> {
        let per_minute = NonZeroU32::new(self.per_minute)?;
        Some(Quota::per_minute(per_minute).allow_burst(NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN)))
    }
}

/// Checks between two sweeps of keys whose buckets are full again: bounds the memory a
/// stream of new keys (source addresses) can take without sweeping on every request.
const SWEEP_EVERY: u32 = 4096;

/// governor's keyed limiter, its state in a `HashMap` behind a mutex.
type Buckets<K, C> = Gcra<K, HashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// One bucket per key.
pub(crate) struct RateLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    /// `None`: the limit is off.
    limiter: Option<Buckets<K, C>>,
    clock: C,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self::with_clock(limit, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> RateLimiter<K, C> {
    pub(crate) fn with_clock(limit: RateLimit, clock: C) -> Self {
        let limiter = limit
            .quota()
            .map(|quota| Gcra::new(quota, HashMapStateStore::default(), clock.clone()));
        RateLimiter {
            limiter,
            clock,
            checks: AtomicU32::new(0),
        }
    }

    /// Takes a token for `key`; when there is none, the whole seconds (at least 1) until
    /// there will be.
    pub(crate) fn take(&self, key: &K) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

impl<K: Hash + Eq + Clone, C: Clock> std::fmt::Debug for RateLimiter<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("on", &self.limiter.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    fn limiter(per_minute: u32, burst: u32) -> (RateLimiter<[u8; 32], FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimiter::with_clock(RateLimit { per_minute, burst }, clock.clone()),
            clock,
        )
    }

    #[test]
    fn a_key_gets_its_burst_then_waits_for_the_refill() {
        let (limiter, clock) = limiter(60, 3);
        for _ in 0..3 {
            assert_eq!(limiter.take(&[1; 32]), Ok(()));
        }
        assert_eq!(limiter.take(&[1; 32]), Err(1));
        // Another key has its own bucket.
        assert_eq!(limiter.take(&[2; 32]), Ok(()));
        clock.advance(Duration::from_millis(1000));
        assert_eq!(limiter.take(&[1; 32]), Ok(()));
        assert_eq!(limiter.take(&[1; 32]), Err(1));
        // The bucket refills to the burst, not beyond.
        clock.advance(Duration::from_secs(3600));
        for _ in 0..3 {
            assert_eq!(limiter.take(&[1; 32]), Ok(()));
        }
        assert!(limiter.take(&[1; 32]).is_err());
    }

    #[test]
    fn retry_after_is_the_whole_seconds_until_the_next_token() {
        let (limiter, clock) = limiter(2, 1);
        assert_eq!(limiter.take(&[1; 32]), Ok(()));
        assert_eq!(limiter.take(&[1; 32]), Err(30));
        clock.advance(Duration::from_millis(29_500));
        assert_eq!(limiter.take(&[1; 32]), Err(1));
    }

    #[test]
    fn zero_per_minute_turns_the_limit_off() {
        let (limiter, _) = limiter(0, 1);
        for _ in 0..1000 {
            assert_eq!(limiter.take(&[1; 32]), Ok(()));
        }
    }

    #[test]
    fn keys_whose_buckets_refilled_are_swept_so_new_keys_cannot_grow_the_state_forever() {
        let (limiter, clock) = limiter(60, 1);
        for n in 0..SWEEP_EVERY - 1 {
            assert_eq!(
                limiter.take(&[(n % 251) as u8, (n / 251) as u8].repeat(16).try_into().unwrap()),
                Ok(())
            );
        }
        let inner = limiter.limiter.as_ref().unwrap();
        assert_eq!(inner.len(), SWEEP_EVERY as usize - 1);
        clock.advance(Duration::from_secs(60));
        assert_eq!(limiter.take(&[255; 32]), Ok(()));
        assert!(inner.len() <= 1, "{} keys kept", inner.len());
    }
}
