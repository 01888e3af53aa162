//! The compute one job may use over all its deliveries: a floor plus so much per page, never
//! more than a cap. Without it, a small file whose every page is slow to render (500 pages
//! sharing one heavy content stream) passes every per-page limit and runs for hours.
//!
//! The stage loop checks it before each unit of work with the time already spent (the job's
//! recorded compute plus this delivery's) and the time the units left would take at the pace
//! measured so far, so such a file fails with `PROCESSING_TIMEOUT` after a few pages rather
//! than at the end.

use std::time::Duration;

/// Compute granted to every job whatever its page count (validation, the schedule).
const FLOOR: Duration = Duration::from_secs(300);

/// How much compute a job may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobBudget {
    /// Granted per page (`DRAWINGS_JOB_SECONDS_PER_PAGE`).
    pub per_page: Duration,
    /// The most any job may use (`DRAWINGS_JOB_MAX_SECONDS`).
    pub max: Duration,
}

impl Default for JobBudget {
    fn default() -> Self {
        JobBudget {
            per_page: Duration::from_secs(60),
            max: Duration::from_secs(3600),
        }
    }
}

impl JobBudget {
    /// The compute a job of `pages` pages may use.
    pub fn limit(&self, pages: u32) -> Duration {
        (FLOOR + self.per_page * pages).min(self.max)
    }

    /// Whether a job of `pages` pages that has `spent` and will need about `to_come` more
    /// stays within its budget; if not, the message to fail it with.
    pub fn check(&self, pages: u32, spent: Duration, to_come: Duration) -> Result<(), String> {
        let limit = self.limit(pages);
        if spent + to_come <= limit {
            return Ok(());
        }
        let how = if spent > limit {
            format!("has used {} s of processing", spent.as_secs())
        } else {
            format!(
                "would need about {} s of processing at the pace of its pages so far",
                (spent + to_come).as_secs()
            )
        };
        Err(format!(
            "the job {how}, over its budget of {} s for {pages} pages (DRAWINGS_JOB_SECONDS_PER_PAGE, \
             DRAWINGS_JOB_MAX_SECONDS): split the drawing, or raise the budget if its pages are this heavy",
            limit.as_secs()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn the_budget_grows_with_the_pages_up_to_the_cap() {
        let budget = JobBudget::default();
        assert_eq!(budget.limit(0), FLOOR);
        assert_eq!(budget.limit(10), FLOOR + 600 * SECOND);
        assert_eq!(budget.limit(500), budget.max);
    }

    #[test]
    fn a_job_within_its_budget_goes_on() {
        let budget = JobBudget::default();
        assert!(budget.check(12, 100 * SECOND, 500 * SECOND).is_ok());
    }

    #[test]
    fn a_job_whose_pages_are_too_slow_fails_before_it_has_spent_its_budget() {
        let budget = JobBudget::default();
        // 500 pages at 15 s each: 3 done, 497 to come.
        let err = budget.check(500, 45 * SECOND, 497 * 15 * SECOND).unwrap_err();
        assert!(err.contains("would need about"), "{err}");
        assert!(err.contains("DRAWINGS_JOB_MAX_SECONDS"), "{err}");
    }

    #[test]
    fn a_job_past_its_budget_says_what_it_used() {
        let budget = JobBudget::default();
        let err = budget.check(1, 400 * SECOND, Duration::ZERO).unwrap_err();
        assert!(err.contains("has used 400 s"), "{err}");
    }
}
