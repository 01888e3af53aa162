//! SQS delivers at least once: the same message handed to two execution environments at
//! the same time runs the job once, and neither copy is reported failed (which would bring
//! it back for ever).

use crate::harness::{Harness, fixture};
use drawings_lambdas::handlers::process_event;
use drawings_testkit::decorators::CountingAnalyzer;
use drawings_textlayer::TextLayerAnalyzer;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_delivery_of_one_message_is_processed_once() {
    let h = Harness::start().await;
    let job_id = h.submit(fixture("security-plan.pdf")).await;
    let analyzer = Arc::new(CountingAnalyzer::new(TextLayerAnalyzer::default()));
    // Two execution environments: two processors with their own worker ids, one analyzer
    // to count the pages both of them ask for.
    let (first, second) = (h.processor_with(analyzer.clone()), h.processor_with(analyzer.clone()));
    let queue = h.work_queue();
    let messages = [queue
        .receive(Duration::from_secs(5))
        .await
        .expect("intake queued a message")];

    let deadline = Instant::now() + Duration::from_secs(180);
    let jobs = h.stack.ports.queue.as_ref();
    let (a, b) = tokio::join!(
        process_event(&first, jobs, queue.event(&messages), deadline),
        process_event(&second, jobs, queue.event(&messages), deadline),
    );
    for response in [&a, &b] {
        assert!(
            response.batch_item_failures.is_empty(),
            "{:?}",
            response.batch_item_failures
        );
        assert!(queue.settle(&messages, response).await.is_empty());
    }

    let status = h.status(&job_id).await;
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(status["attempts"], 1, "only one copy claimed the job: {status}");
    let pages = status["progress"]["pages_total"].as_u64().expect("pages_total") as u32;
    assert!(pages > 0, "{status}");
    let mut calls = analyzer.calls();
    calls.sort_unstable();
    assert_eq!(calls, (0..pages).collect::<Vec<_>>(), "each page analyzed exactly once");
    assert!(
        queue.receive(Duration::from_secs(1)).await.is_none(),
        "a message came back"
    );
    assert_eq!(queue.depth().await, 0);
}
