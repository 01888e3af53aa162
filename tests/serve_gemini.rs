//! `drawings serve` with `DRAWINGS_ANALYZER=gemini` against the fake Gemini server: the
//! drawing really goes out, the model's components reach the results, usage reaches the
//! status, injected failures are absorbed, and a page answered before a `kill -9` is never
//! asked again.

mod support;

use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, MediaVia, Scripted, default_components};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Server, component_ids, expected_ids, files_under, fixture, normalize, upload, wait_terminal};

fn gemini_env(fake: &FakeGemini) -> Vec<(&'static str, String)> {
    vec![
        ("DRAWINGS_ANALYZER", "gemini".into()),
        ("GEMINI_API_KEY", "test-key".into()),
        ("DRAWINGS_GEMINI_BASE_URL", fake.base_url()),
        ("DRAWINGS_LEASE_SECS", "3".into()),
    ]
}

fn start(dir: &Path, env: &[(&'static str, String)]) -> Server {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start(dir, &env)
}

/// Stored files of one kind (`pages/{n}.png`, `analysis/{n}.json`) by page index.
fn stored(dir: &Path, job_id: &str, folder: &str, suffix: &str) -> Vec<(u32, std::path::PathBuf)> {
    let mut out: Vec<(u32, std::path::PathBuf)> = files_under(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(job_id))
        .filter(|p| p.parent().is_some_and(|d| d.ends_with(folder)))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.strip_suffix(suffix)?.to_owned();
            Some((name.parse().ok()?, p))
        })
        .collect();
    out.sort();
    out
}

async fn get_json(server: &Server, path: &str) -> Value {
    reqwest::get(server.url(path)).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_multi_page_drawing_is_analyzed_by_gemini_end_to_end() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &gemini_env(&fake));
    let (status, body, _) = upload(&server, std::fs::read(fixture("security-plan.pdf")).unwrap(), None).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().unwrap().to_owned();
    let done = wait_terminal(&server, &job_id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "completed", "{done}");

    // One call per page, each carrying that page's rendered image.
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    let images = stored(dir.path(), &job_id, "pages", ".png");
    assert_eq!(images.len(), 4);
    for (page, path) in &images {
        let r = requests
            .iter()
            .find(|r| r.page == Some(page + 1))
            .unwrap_or_else(|| panic!("no request for page {}", page + 1));
        assert_eq!(r.page_count, Some(4));
        assert_eq!(r.media.len(), 1);
        assert_eq!(r.media[0].mime_type, "image/png");
        assert_eq!(r.media[0].via, MediaVia::Inline);
        assert_eq!(
            r.media[0].bytes,
            std::fs::read(path).unwrap(),
            "page {} image",
            page + 1
        );
    }

    // The model's components reach components.json and the schedule, merged with what only the
    // text layer names (the fake's ids are not on the drawing, so nothing folds).
    let components = get_json(&server, done["result"]["components"].as_str().unwrap()).await;
    let mut expected: Vec<String> = (1..=4).flat_map(default_components).map(|id| normalize(&id)).collect();
    expected.extend(expected_ids("security-plan.pdf"));
    expected.sort();
    assert_eq!(component_ids(&components), expected);
    let sources: BTreeSet<&str> = components["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["source"].as_str())
        .collect();
    assert_eq!(sources, BTreeSet::from(["gemini", "text_layer"]));
    let csv = reqwest::get(server.url(done["result"]["schedule_csv"].as_str().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for id in default_components(3) {
        assert!(csv.contains(&id), "{id} missing from the CSV:\n{csv}");
    }

    // Usage is summed over the pages and priced.
    let usage = &done["usage"];
    assert!(usage["input_tokens"].as_u64().unwrap() >= 4 * 258, "{usage}");
    assert!(usage["output_tokens"].as_u64().unwrap() > 0, "{usage}");
    assert!(usage["usd"].as_f64().unwrap() > 0.0, "{usage}");

    // The evaluation compares the model's ids with the text layer's tags.
    let evaluation: Value = serde_json::from_slice(
        &std::fs::read(
            files_under(dir.path())
                .into_iter()
                .find(|p| p.ends_with("evaluation.json"))
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(evaluation["expected"].as_u64().unwrap() > 0, "{evaluation}");
    assert_eq!(
        evaluation["matched"], 0,
        "the fake's ids are not on the drawing: {evaluation}"
    );
    assert_eq!(evaluation["recall"], 0.0);
}

#[tokio::test]
async fn rate_limits_overloads_and_a_truncated_reply_are_absorbed() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    fake.script_all([
        Scripted::RateLimited {
            retry_delay: Some("0.5s".into()),
            per_day: false,
        },
        Scripted::ServerError { code: 503 },
        Scripted::MaxTokensTruncated,
        Scripted::ServerError { code: 500 },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &gemini_env(&fake));
    let (_, body, _) = upload(&server, std::fs::read(fixture("security-plan.pdf")).unwrap(), None).await;
    let job_id = body["job_id"].as_str().unwrap().to_owned();
    let done = wait_terminal(&server, &job_id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(fake.pending_scripts(), 0, "every injected failure was met");
    assert_eq!(fake.generate_calls(), 4 + 4, "one extra call per injected failure");
    let answered: BTreeSet<u32> = fake.answered_pages().into_iter().collect();
    assert_eq!(answered, BTreeSet::from([1, 2, 3, 4]));
    let components = get_json(&server, done["result"]["components"].as_str().unwrap()).await;
    assert_eq!(
        component_ids(&components).len(),
        12 + expected_ids("security-plan.pdf").len()
    );
}

#[tokio::test]
async fn a_page_answered_before_kill_9_is_never_asked_again() {
    let fake = FakeGemini::start(FakeOptions {
        latency: Duration::from_millis(700),
        ..FakeOptions::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = gemini_env(&fake);
    env.push(("DRAWINGS_ANALYSIS_CONCURRENCY", "1".into()));
    let server = start(dir.path(), &env);
    let (_, body, _) = upload(&server, std::fs::read(fixture("security-plan.pdf")).unwrap(), None).await;
    let job_id = body["job_id"].as_str().unwrap().to_owned();

    // Kill once some pages are checkpointed and others are not.
    let started = Instant::now();
    let answered_before = loop {
        let done = stored(dir.path(), &job_id, "analysis", ".json");
        if !done.is_empty() {
            break done;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "analysis never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    server.kill_hard();
    let answered_before: BTreeSet<u32> = answered_before.into_iter().map(|(p, _)| p + 1).collect();
    assert!(answered_before.len() < 4, "killed too late to prove anything");
    let calls_before = fake.generate_calls();

    let server = start(dir.path(), &env);
    let done = wait_terminal(&server, &job_id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "completed", "{done}");
    let after: Vec<u32> = fake.requests()[calls_before..].iter().filter_map(|r| r.page).collect();
    for page in &answered_before {
        assert!(
            !after.contains(page),
            "page {page} was answered before the kill and asked again: {after:?}"
        );
    }
    let components = get_json(&server, done["result"]["components"].as_str().unwrap()).await;
    assert_eq!(
        component_ids(&components).len(),
        12 + expected_ids("security-plan.pdf").len()
    );
}

#[tokio::test]
async fn a_permanent_model_failure_fails_the_job_with_its_code() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    fake.script(Scripted::RateLimited {
        retry_delay: None,
        per_day: true,
    });
    let dir = tempfile::tempdir().unwrap();
    let mut env = gemini_env(&fake);
    env.push(("DRAWINGS_ANALYSIS_CONCURRENCY", "1".into()));
    let server = start(dir.path(), &env);
    let (_, body, _) = upload(&server, std::fs::read(fixture("single-sheet.pdf")).unwrap(), None).await;
    let done = wait_terminal(&server, body["job_id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["code"], "MODEL_QUOTA_EXHAUSTED", "{done}");
    assert_eq!(done["error"]["stage"], "drawing_analysis", "{done}");
    assert_eq!(fake.generate_calls(), 1);
}
