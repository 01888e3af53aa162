//! The time one invocation may spend: a Lambda's remaining time, or the embedded budget.
//! Work is cut into units (a stage, a page); a unit starts only when the time left covers
//! the reserve plus the longest unit seen so far, and at least one unit always runs so a
//! job moves forward on every invocation.

use std::time::Duration;
use tokio::time::Instant;

/// Tracks the deadline and how long units take.
#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Instant,
    reserve: Duration,
    longest: Duration,
    units: u32,
}

impl Budget {
    /// A budget ending at `deadline`, keeping `reserve` free for the checkpoint and hand-over.
    pub fn new(deadline: Instant, reserve: Duration) -> Self {
        Budget {
            deadline,
            reserve,
            longest: Duration::ZERO,
            units: 0,
        }
    }

    /// Whether to stop before the next unit and hand over to a continuation.
    pub fn should_pause(&self) -> bool {
        if self.units == 0 {
            return false;
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        left < self.reserve + self.longest
    }

    /// Records a finished unit.
    pub fn record(&mut self, took: Duration) {
        self.units += 1;
        self.longest = self.longest.max(took);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn first_unit_always_runs_even_past_the_deadline() {
        let budget = Budget::new(Instant::now(), Duration::from_secs(1));
        assert!(!budget.should_pause());
    }

    #[tokio::test(start_paused = true)]
    async fn pauses_when_the_longest_unit_no_longer_fits() {
        let mut budget = Budget::new(Instant::now() + Duration::from_secs(10), Duration::from_secs(1));
        budget.record(Duration::from_secs(3));
        assert!(!budget.should_pause(), "10 s left covers 1 s reserve + 3 s unit");
        tokio::time::advance(Duration::from_secs(7)).await;
        assert!(budget.should_pause(), "3 s left does not");
    }
}
