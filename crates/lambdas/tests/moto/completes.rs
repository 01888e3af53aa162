//! The happy path through all three AWS services a job touches on its way: the intake
//! function's API, the queue, the processor function, the result links.

use crate::harness::{Harness, component_ids, fixture};
use drawings_lambdas::handlers::process_event;
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_goes_from_intake_through_the_queue_and_processor_to_a_completed_status() {
    let h = Harness::start().await;
    let job_id = h.submit(fixture("security-plan.pdf")).await;
    let queued = h.status(&job_id).await;
    assert_eq!(queued["status"], "queued", "{queued}");

    // The event source mapping hands the intake's message to the processor function.
    let queue = h.work_queue();
    let message = queue
        .receive(Duration::from_secs(5))
        .await
        .expect("intake queued a message");
    let body: Value = serde_json::from_str(message.body().unwrap()).unwrap();
    assert_eq!(body["job_id"], job_id.as_str(), "{body}");
    let processor = h.processor().await;
    let deadline = Instant::now() + Duration::from_secs(180);
    let messages = [message];
    let response = process_event(
        &processor,
        h.stack.ports.queue.as_ref(),
        queue.event(&messages),
        deadline,
    )
    .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );
    assert!(queue.settle(&messages, &response).await.is_empty());

    let status = h.status(&job_id).await;
    assert_eq!(status["status"], "completed", "{status}");
    let stages: Vec<&str> = status["stages_completed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "validation",
            "pdf_processing",
            "drawing_analysis",
            "schedule_generation",
            "evaluation"
        ],
        "{status}"
    );
    assert_eq!(status["attempts"], 1, "{status}");
    assert!(status["error"].is_null(), "{status}");

    // The result link is a presigned S3 GET that works without credentials.
    let link = status["result"]["components"].as_str().expect("a components link");
    assert!(link.contains("X-Amz-Signature="), "{link}");
    let answer = reqwest::get(link).await.expect("GET the components link");
    assert!(answer.status().is_success(), "{}", answer.status());
    let components: Value = answer.json().await.expect("components.json is JSON");
    let expected: Value = serde_json::from_slice(&fixture("security-plan.expected.json")).unwrap();
    assert_eq!(component_ids(&components), component_ids(&expected));

    // DynamoDB expires the record; nothing is left in the queue.
    let item = h.item(&job_id).await;
    let expires_at: i64 = item["expires_at"]
        .as_n()
        .expect("expires_at is a number")
        .parse()
        .unwrap();
    assert!(
        expires_at > chrono::Utc::now().timestamp(),
        "expires_at {expires_at} is in the past"
    );
    assert!(
        queue.receive(Duration::from_secs(1)).await.is_none(),
        "a message came back"
    );
    assert_eq!(queue.depth().await, 0);
}
