//! Black-box tests of what a crash or a deadline does to jobs: nothing is lost.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::{Server, corpus, fixture, upload, wait_terminal};

#[tokio::test]
async fn kill_9_while_processing_then_restart_finishes_every_job() {
    let dir = tempfile::tempdir().unwrap();
    // A short lease, so deliveries cut off by the kill come back within seconds.
    let env = [("DRAWINGS_LEASE_SECS", "3")];
    let server = Server::start(dir.path(), &env);
    let mut pdfs = vec![
        std::fs::read(fixture("security-plan.pdf")).unwrap(),
        std::fs::read(fixture("single-sheet.pdf")).unwrap(),
    ];
    if let Some(big) = corpus("wan-andrea__recover_pdfCAD/sample_inputs/example1.pdf") {
        pdfs.push(std::fs::read(big).unwrap());
    }
    let mut ids = Vec::new();
    for n in 0..12 {
        let (status, body, _) = upload(&server, pdfs[n % pdfs.len()].clone(), None).await;
        assert_eq!(status, 202, "{body}");
        ids.push(body["job_id"].as_str().unwrap().to_owned());
    }
    // Kill once work is under way.
    let started = std::time::Instant::now();
    loop {
        let s: Value = reqwest::get(server.url(&format!("/status/{}", ids[0])))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if s["status"] != "queued" || started.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill_hard();

    let server = Server::start(dir.path(), &env);
    for id in &ids {
        let done = wait_terminal(&server, id, Duration::from_secs(300)).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["stages_completed"].as_array().unwrap().len(), 5, "{done}");
    }
}

#[tokio::test]
async fn a_small_invocation_budget_finishes_through_continuations() {
    let dir = tempfile::tempdir().unwrap();
    let (file, budget) = match corpus("wan-andrea__recover_pdfCAD/sample_inputs/example1.pdf") {
        Some(path) => (path, "2"),
        None => (fixture("security-plan.pdf"), "0.05"),
    };
    let server = Server::start(dir.path(), &[("DRAWINGS_INVOCATION_BUDGET", budget)]);
    let (status, body, _) = upload(&server, std::fs::read(file).unwrap(), None).await;
    assert_eq!(status, 202);
    let done = wait_terminal(&server, body["job_id"].as_str().unwrap(), Duration::from_secs(600)).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(
        done["continuations"].as_u64().unwrap() >= 1,
        "expected hand-overs: {done}"
    );
    assert_eq!(done["attempts"], 1, "continuations are not retries: {done}");
}
