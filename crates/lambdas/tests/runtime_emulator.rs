//! The three functions as Lambda runs them, under cargo-lambda's runtime emulator
//! (`cargo lambda watch`), against moto: intake over its function URL, processor and dlq
//! with SQS events in the real shape built from messages received on moto.
//!
//! Each test has its own moto server, stack and watch (see `emulator/mod.rs`). By default the
//! first invocation of each function starts it with `cargo run`; the binaries are pre-built
//! once per test binary, so that is quick unless a source changed in between. With
//! `DRAWINGS_LAMBDA_ARTIFACTS=target/lambda/x86_64` (`.ci/run` sets it after
//! `scripts/build-artifacts.sh x86_64`) the same tests run the built bootstraps and the PDFium
//! layer that a deploy would upload, and nothing is compiled.

mod emulator;

use drawings_aws::provision;
use emulator::{Emulator, sqs_event};
use serde_json::{Value, json};

/// The answer of an SQS-triggered function that failed no record.
fn no_failures() -> Value {
    json!({ "batchItemFailures": [] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_answers_post_process_drawing_and_get_status_under_the_emulator() {
    let emu = Emulator::start(&[]).await;

    let (status, accepted) = emu.submit("security-plan.pdf").await;
    assert_eq!(
        status,
        reqwest::StatusCode::ACCEPTED,
        "POST /process-drawing answered {accepted}"
    );
    assert_eq!(accepted["status"], "queued", "{accepted}");
    let job_id = accepted["job_id"].as_str().expect("a job_id").to_owned();
    assert_eq!(accepted["status_url"], format!("/status/{job_id}"), "{accepted}");

    let (status, view) = emu.status(&job_id).await;
    assert_eq!(status, reqwest::StatusCode::OK, "GET /status answered {view}");
    assert_eq!(view["job_id"], job_id.as_str(), "{view}");
    assert_eq!(view["status"], "queued", "{view}");
    assert_eq!(view["file_name"], "security-plan.pdf", "{view}");

    let message = emu
        .receive(&emu.resources.queue_url, 30, 5)
        .await
        .expect("intake's message on the work queue");
    let body: Value = serde_json::from_str(message.body().expect("a body")).expect("a JSON body");
    assert_eq!(body, json!({ "job_id": job_id, "kind": "start" }));

    // The upload went to S3 path-style (`PUT /{bucket}/...`): the functions' endpoint is
    // `http://localhost:{port}` from AWS_ENDPOINT_URL, where a virtual-host request
    // (`{bucket}.localhost`) could not even resolve.
    let moto_log = std::fs::read_to_string(emu.moto.log()).unwrap_or_default();
    let put = format!("\"PUT /{}/", emu.resources.bucket);
    assert!(
        moto_log.lines().any(|l| l.contains(&put) && l.contains(&job_id)),
        "no path-style PutObject of the upload in moto's log:\n{moto_log}"
    );

    let (status, missing) = emu.status("0123456789abcdef0123456789abcdef").await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_without_its_api_keys_answers_503_and_serves_once_they_are_stored() {
    const PARAMETER: &str = "/drawings/emulator/api-keys";
    let emu = Emulator::start(&[("DRAWINGS_AUTH", "keys"), ("DRAWINGS_API_KEYS_PARAMETER", PARAMETER)]).await;
    let unknown = "/status/0123456789abcdef0123456789abcdef";
    // No parameter yet: every request is refused with the envelope, and the function lives.
    for _ in 0..2 {
        let (status, body) = emu.get_json(unknown, None).await;
        assert_eq!(status, reqwest::StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE", "{body}");
    }

    let key = drawings_api::generate_key().unwrap();
    let document = json!({ "keys": [{
        "client": "emulator", "sha256": drawings_api::hash_key(&key), "created_at": "2026-12-05T00:00:00Z",
    }] });
    emu.clients
        .ssm
        .put_parameter()
        .name(PARAMETER)
        .value(document.to_string())
        .r#type("SecureString".into())
        .send()
        .await
        .expect("PutParameter");
    // The next request reads the parameter again and is served behind the keys.
    let (status, body) = emu.get_json(unknown, None).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = emu.get_json(unknown, Some(&key)).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processor_answers_an_sqs_event_under_the_emulator() {
    // cargo-lambda 1.9.2 gives every invocation `Lambda-Runtime-Deadline-Ms: 600000`, a
    // deadline in 1970, which the processor replaces with its fallback budget. Should a job
    // still hand over, the test delivers each continuation as the event source mapping would.
    let emu = Emulator::start(&[]).await;
    let job_id = emu.submit_ok("security-plan.pdf").await;
    let (queue_url, queue_arn) = (&emu.resources.queue_url, &emu.resources.queue_arn);

    const MAX_INVOCATIONS: usize = 60;
    let mut invocations = 0;
    let mut view = Value::Null;
    while invocations < MAX_INVOCATIONS {
        let Some(message) = emu.receive(queue_url, 300, 10).await else {
            panic!("no message on the work queue after {invocations} invocations; the job: {view}");
        };
        let event = sqs_event(&message, queue_arn);
        let answer = emu.invoke_cli("processor", &event).await;
        invocations += 1;
        assert_eq!(
            answer,
            no_failures(),
            "invocation {invocations} of processor with {event}"
        );
        emu.delete(queue_url, &message).await;
        let (status, current) = emu.status(&job_id).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{current}");
        view = current;
        match view["status"].as_str() {
            Some("completed") => break,
            Some("failed" | "cancelled") => panic!("the job ended {}: {view}", view["status"]),
            _ => {}
        }
    }
    eprintln!(
        "[processor] job {job_id} completed after {invocations} invocation(s), {} continuation(s)",
        view["continuations"]
    );
    assert_eq!(
        view["status"], "completed",
        "not completed after {invocations} invocations: {view}"
    );
    assert_eq!(view["error"], Value::Null, "{view}");
    assert_eq!(view["progress"]["percent"], 100.0, "{view}");
    assert!(view["result"].is_object(), "a completed job links its results: {view}");
    assert!(
        emu.receive(queue_url, 30, 1).await.is_none(),
        "a message is left on the work queue after the job completed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dlq_answers_an_sqs_event_under_the_emulator() {
    let emu = Emulator::start(&[]).await;
    let resources = &emu.resources;
    let (alerts_url, alerts_arn) =
        provision::create_queue(&emu.clients.sqs, &format!("{}-alerts", resources.table), None)
            .await
            .expect("an alerts queue");
    provision::subscribe_queue(
        &emu.clients.sns,
        &emu.clients.sqs,
        &resources.topic_arn,
        &alerts_url,
        &alerts_arn,
    )
    .await
    .expect("subscribe the alerts queue to the topic");

    let job_id = emu.submit_ok("security-plan.pdf").await;

    // The message dies as in AWS: received and never deleted MAX_RECEIVES times, then SQS
    // moves it to the dead-letter queue on the next receive.
    for n in 1..=provision::MAX_RECEIVES {
        let message = emu.receive(&resources.queue_url, 0, 5).await;
        assert!(message.is_some(), "receive {n} of the work queue found nothing");
    }
    assert!(
        emu.receive(&resources.queue_url, 0, 1).await.is_none(),
        "the message is still on the work queue after {} receives",
        provision::MAX_RECEIVES
    );
    let dead = emu
        .receive(&resources.dlq_url, 300, 5)
        .await
        .expect("the message on the dead-letter queue");
    let event = sqs_event(&dead, &resources.dlq_arn);

    let answer = emu.invoke_api("dlq", &event).await;
    assert_eq!(answer, no_failures(), "dlq with {event}");

    let (status, view) = emu.status(&job_id).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{view}");
    assert_eq!(view["status"], "failed", "{view}");
    assert_eq!(view["error"]["code"], "RETRIES_EXHAUSTED", "{view}");

    let alert = emu.receive(&alerts_url, 30, 10).await.expect("an alert on the topic");
    assert!(
        alert.body().unwrap_or_default().contains(&job_id),
        "the alert does not name the job: {:?}",
        alert.body()
    );

    // A second copy of the dead letter finds the job failed already: acknowledged, no change.
    let again = emu.invoke_api("dlq", &event).await;
    assert_eq!(again, no_failures());
    let (_, after) = emu.status(&job_id).await;
    assert_eq!(after["updated_at"], view["updated_at"], "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_script_sees_a_fixture_through_to_its_result_on_the_emulated_stack() {
    // scripts/smoke.sh is what the delivery pipeline runs after each deploy; here it talks to
    // the intake's function URL while the test plays Lambda's SQS trigger for the processor.
    let emu = Emulator::start(&[]).await;
    // The first request starts the intake (under `cargo lambda watch`, a `cargo run` that can
    // wait for the build lock); the script's 60 s a request is meant for a deployed stack.
    let (warm, _) = emu.status("00000000-0000-4000-8000-000000000000").await;
    assert_eq!(warm, reqwest::StatusCode::NOT_FOUND);
    let base = emu.url("intake", "");
    let mut smoke = tokio::process::Command::new("bash")
        .arg(emulator::repo_root().join("scripts/smoke.sh"))
        .arg(&base)
        .env("SMOKE_POLL", "1")
        .env("SMOKE_TIMEOUT", "300")
        .env_remove("DRAWINGS_API_KEY")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run scripts/smoke.sh");
    let (queue_url, queue_arn) = (&emu.resources.queue_url, &emu.resources.queue_arn);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = smoke.try_wait().expect("the smoke script's status") {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(400),
            "scripts/smoke.sh did not finish"
        );
        if let Some(message) = emu.receive(queue_url, 300, 1).await {
            let event = sqs_event(&message, queue_arn);
            let answer = emu.invoke_api("processor", &event).await;
            assert_eq!(answer, no_failures(), "processor with {event}");
            emu.delete(queue_url, &message).await;
        }
    };
    let output = smoke.wait_with_output().await.expect("the smoke script's output");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        status.success(),
        "scripts/smoke.sh {base} failed ({status}):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("completed") && stdout.contains("[smoke] OK"),
        "{stdout}"
    );
}
