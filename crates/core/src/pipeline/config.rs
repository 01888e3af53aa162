//! How the processor behaves: the limits it checks, how it renders, its lease, its time
//! budgets, its retry backoff and how its work is priced.

use super::JobBudget;
use crate::cost::CostSettings;
use crate::ports::{PdfLimits, RenderOptions};
use std::time::Duration;

/// The processor's settings.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Limits checked by validation.
    pub limits: PdfLimits,
    /// Page rendering.
    pub render: RenderOptions,
    /// How long a lease (and the message's visibility) lasts between heartbeats.
    pub lease: Duration,
    /// Continuations allowed before the job fails with `PROCESSING_TIMEOUT`.
    pub max_continuations: u32,
    /// Time kept free before the deadline for the final checkpoint and hand-over.
    pub reserve: Duration,
    /// The compute a job may use over all its deliveries.
    pub job_budget: JobBudget,
    /// Delay before a message that failed transiently comes back (doubled per receive).
    pub retry_delay: Duration,
    /// This worker's name, as lease owner.
    pub worker_id: String,
    /// Pages rendered at once within one job, each in its own PDF worker when isolation is on
    /// (at least 1). The default is the available cores; a host also bounds it by memory,
    /// since every worker may grow to its cap (`drawings-settings` does, for every host).
    pub render_concurrency: usize,
    /// Pages the analyzer works on at once (each is a model call when it is remote).
    pub analysis_concurrency: usize,
    /// How each delivery's compute and requests are priced onto the job.
    pub cost: CostSettings,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            limits: PdfLimits::default(),
            render: RenderOptions::default(),
            lease: Duration::from_secs(60),
            max_continuations: 50,
            reserve: Duration::from_secs(2),
            job_budget: JobBudget::default(),
            retry_delay: Duration::from_secs(5),
            worker_id: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            render_concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            analysis_concurrency: 4,
            cost: CostSettings::default(),
        }
    }
}
