//! The embedded worker loop: what SQS's Lambda triggers do on AWS, done in-process. N
//! workers receive from the job queue and run the processor with the invocation budget as
//! their deadline; one more drains the dead-letter queue through the dead-letter handler.
//! On shutdown they stop receiving and finish the delivery in hand; a delivery cut short by
//! a crash comes back when its visibility lapses, and the pipeline resumes from its last
//! checkpoint.

use drawings_core::dead_letter::DeadLetterHandler;
use drawings_core::pipeline::{Acknowledge, Processor};
use drawings_core::ports::{Delivery, JobQueue};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{Instrument, error_span, warn};

/// How the workers run.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Concurrent job workers.
    pub workers: usize,
    /// Time one delivery may run before handing over to a continuation (a Lambda's timeout).
    pub invocation_budget: Duration,
    /// Long-poll wait of each receive.
    pub poll_wait: Duration,
}

/// The job workers and the dead-letter worker.
pub struct EmbeddedWorkers {
    processor: Arc<Processor>,
    queue: Arc<dyn JobQueue>,
    dead_letters: Arc<dyn JobQueue>,
    dead_letter_handler: Arc<DeadLetterHandler>,
    config: WorkerConfig,
}

impl EmbeddedWorkers {
    /// Workers over `queue`, with `dead_letters` drained by `dead_letter_handler`.
    pub fn new(
        processor: Arc<Processor>,
        queue: Arc<dyn JobQueue>,
        dead_letters: Arc<dyn JobQueue>,
        dead_letter_handler: Arc<DeadLetterHandler>,
        config: WorkerConfig,
    ) -> Self {
        EmbeddedWorkers {
            processor,
            queue,
            dead_letters,
            dead_letter_handler,
            config,
        }
    }

    /// Runs until `stop` turns true, then waits for the deliveries in hand.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut tasks = JoinSet::new();
        for n in 0..this.config.workers.max(1) {
            let (worker, stop) = (this.clone(), stop.clone());
            tasks.spawn(async move { worker.job_loop(stop).instrument(error_span!("worker", n)).await });
        }
        let (worker, stop) = (this.clone(), stop.clone());
        tasks.spawn(async move {
            worker
                .dead_letter_loop(stop)
                .instrument(error_span!("dead_letter_worker"))
                .await
        });
        while tasks.join_next().await.is_some() {}
    }

    /// One long-poll receive; a failing queue gets a second's rest instead of a busy loop.
    async fn receive_or_back_off(&self, queue: &dyn JobQueue, max: u32, visibility: Duration) -> Vec<Delivery> {
        match queue.receive(max, visibility, self.config.poll_wait).await {
            Ok(deliveries) => deliveries,
            Err(e) => {
                warn!(error = %e, "Receive failed; backing off.");
                tokio::time::sleep(Duration::from_secs(1)).await;
                Vec::new()
            }
        }
    }

    async fn job_loop(&self, stop: watch::Receiver<bool>) {
        let visibility = self.processor.config().lease;
        while !*stop.borrow() {
            for delivery in self.receive_or_back_off(self.queue.as_ref(), 1, visibility).await {
                let deadline = Instant::now() + self.config.invocation_budget;
                let outcome = self.processor.handle(&delivery, deadline).await;
                let settled = outcome
                    .settle(self.queue.as_ref(), &delivery, Acknowledge::Delete)
                    .await;
                if let Err(e) = settled {
                    warn!(error = %e, ?outcome, "Could not settle the message.");
                }
            }
        }
    }

    async fn dead_letter_loop(&self, stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let dead_letters = self.dead_letters.as_ref();
            for delivery in self
                .receive_or_back_off(dead_letters, 10, Duration::from_secs(30))
                .await
            {
                let settled = match self.dead_letter_handler.handle(&delivery).await {
                    Ok(_) => self.dead_letters.delete(&delivery.receipt).await,
                    Err(e) => {
                        warn!(error = %e, "Dead letter not handled; it will come back.");
                        self.dead_letters
                            .set_visibility(&delivery.receipt, Duration::from_secs(5))
                            .await
                    }
                };
                if let Err(e) = settled {
                    warn!(error = %e, "Could not settle the dead letter.");
                }
            }
        }
    }
}
