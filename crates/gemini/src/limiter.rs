//! One rate limiter per process and model: Gemini's quotas are per project, so every worker
//! in the process shares one request pace, and a 429 that names a delay holds back every
//! caller, not only the one that got it (otherwise the others walk into the same 429).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// Paces requests and honours server-imposed pauses.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next_slot: Option<Instant>,
    paused_until: Option<Instant>,
}

impl RateLimiter {
    /// A limiter allowing `requests_per_minute` (none: no pacing, only pauses).
    pub fn new(requests_per_minute: Option<u32>) -> Self {
        RateLimiter {
            interval: requests_per_minute
                .filter(|r| *r > 0)
                .map(|r| Duration::from_secs(60) / r),
            state: Mutex::new(State {
                next_slot: None,
                paused_until: None,
            }),
        }
    }

    /// The process's limiter for `key` (the endpoint and model), created on first use.
    pub fn shared(key: &str, requests_per_minute: Option<u32>) -> Arc<RateLimiter> {
        static LIMITERS: OnceLock<Mutex<HashMap<String, Arc<RateLimiter>>>> = OnceLock::new();
        let mut map = LIMITERS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(key.to_owned())
            .or_insert_with(|| Arc::new(RateLimiter::new(requests_per_minute)))
            .clone()
    }

    /// Waits for this caller's turn.
    pub async fn acquire(&self) {
        let slot = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = [Some(now), state.next_slot, state.paused_until]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(now);
            if let Some(interval) = self.interval {
                state.next_slot = Some(slot + interval);
            }
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Holds every caller back for `delay` from now (a 429's `retryDelay`).
    pub fn pause_for(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.paused_until = state.paused_until.max(Some(until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_by_the_configured_rate() {
        let limiter = RateLimiter::new(Some(60));
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_every_caller() {
        let limiter = RateLimiter::new(None);
        limiter.pause_for(Duration::from_millis(1500));
        let start = Instant::now();
        limiter.acquire().await;
        limiter.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
    }
}
