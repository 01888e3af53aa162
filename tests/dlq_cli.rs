//! `drawings dlq` against a running `drawings serve`: jobs poisoned by a failing model end up
//! dead-lettered with their cause, `list`/`show` say so, `redrive` resumes them from their
//! last checkpoint once the cause is gone (a page paid for is not asked again), a redrive
//! killed halfway loses no job, and `purge` forgets dead letters while the jobs stay failed.
//! The same commands with `--backend aws` work on a stack provisioned on moto.

mod support;

use drawings_aws::{AwsClients, DynamoJobStore, SqsJobQueue, StackResources};
use drawings_core::ports::{JobQuery, JobQueue, JobStore, MessageKind, QueueMessage};
use drawings_core::{ErrorCode, JobError, JobStatus, Stage};
use drawings_local::{Database, SqliteJobStore};
use drawings_testkit::fake_gemini::{FakeGemini, FakeOptions, Scripted, default_reply_text};
use drawings_testkit::moto::MotoServer;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Server, aws_env, drawings_cli, fixture, full_pipe, upload_for_client, wait_terminal};

/// Gemini at `base_url`, one attempt per call, short retry delays: three receives of a
/// poisoned job take seconds.
fn start(dir: &Path, base_url: &str) -> Server {
    Server::start(
        dir,
        &[
            ("DRAWINGS_ANALYZER", "gemini"),
            ("GEMINI_API_KEY", "test-key"),
            ("DRAWINGS_GEMINI_BASE_URL", base_url),
            ("DRAWINGS_GEMINI_MAX_ATTEMPTS", "1"),
            ("DRAWINGS_LEASE_SECS", "3"),
            ("DRAWINGS_RETRY_DELAY_SECS", "0.2"),
            // One page at a time: each receive makes exactly one failing call.
            ("DRAWINGS_ANALYSIS_CONCURRENCY", "1"),
        ],
    )
}

/// A local port nothing listens on (yet): the model is down.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `drawings dlq ...`, which must succeed; returns stdout.
fn dlq(dir: &Path, args: &[&str]) -> String {
    let full = [&["dlq"], args].concat();
    let out = drawings_cli(dir, &full, "");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "drawings {full:?}: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

/// `dlq list --json`, by job id.
fn listed(dir: &Path) -> BTreeMap<String, Value> {
    let entries: Vec<Value> = serde_json::from_str(&dlq(dir, &["list", "--json"])).expect("a JSON array");
    entries
        .into_iter()
        .map(|e| (e["job_id"].as_str().unwrap().to_owned(), e))
        .collect()
}

async fn submit(server: &Server, pdf: &str, client: &str) -> String {
    let (status, body) = upload_for_client(server, std::fs::read(fixture(pdf)).unwrap(), client).await;
    assert_eq!(status, 202, "{body}");
    body["job_id"].as_str().unwrap().to_owned()
}

async fn wait_dead_lettered(server: &Server, job_id: &str) {
    let done = wait_terminal(server, job_id, Duration::from_secs(180)).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["code"], "RETRIES_EXHAUSTED", "{done}");
}

async fn wait_completed(server: &Server, job_id: &str) -> Value {
    let done = wait_terminal(server, job_id, Duration::from_secs(180)).await;
    assert_eq!(done["status"], "completed", "{done}");
    done
}

#[tokio::test]
async fn poisoned_jobs_are_listed_with_their_cause_and_redriven_from_their_checkpoint() {
    let fake = FakeGemini::start(FakeOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &fake.base_url());

    // Page 1 of 4 is answered, then page 2 meets 503 on each of the three receives.
    let mut unavailable = vec![Scripted::Reply {
        text: default_reply_text(1),
        usage: None,
    }];
    unavailable.extend((0..3).map(|_| Scripted::ServerError { code: 503 }));
    fake.script_all(unavailable);
    let plan = submit(&server, "security-plan.pdf", "Acme").await;
    wait_dead_lettered(&server, &plan).await;
    // A per-minute rate limit that holds for three receives.
    fake.script_all((0..3).map(|_| Scripted::RateLimited {
        retry_delay: None,
        per_day: false,
    }));
    let sheet = submit(&server, "single-sheet.pdf", "Globex").await;
    wait_dead_lettered(&server, &sheet).await;
    assert_eq!(fake.pending_scripts(), 0, "every injected failure was met");
    assert_eq!(fake.answered_pages(), vec![1]);

    let entries = listed(dir.path());
    assert_eq!(entries.len(), 2, "{entries:?}");
    for (id, cause) in [(&plan, "MODEL_SERVER_ERROR"), (&sheet, "MODEL_RATE_LIMITED")] {
        let e = &entries[id];
        // Submitted with authentication off: the form's client_name makes no owner.
        assert!(e["client"].is_null(), "{e}");
        assert_eq!(e["cause"], cause, "{e}");
        assert_eq!(e["code"], "RETRIES_EXHAUSTED", "{e}");
        assert_eq!(e["stage"], "drawing_analysis", "{e}");
        assert_eq!(e["status"], "failed", "{e}");
        assert_eq!(e["receive_count"], 3, "{e}");
        let time = |field: &str| chrono::DateTime::parse_from_rfc3339(e[field].as_str().unwrap()).unwrap();
        assert!(
            time("first_failure_at") < time("last_failure_at"),
            "three failures span some time: {e}"
        );
        assert!(e["age_secs"].as_i64().unwrap() >= 0, "{e}");
    }
    let table = dlq(dir.path(), &["list"]);
    for needle in [
        plan.as_str(),
        sheet.as_str(),
        "MODEL_SERVER_ERROR",
        "MODEL_RATE_LIMITED",
    ] {
        assert!(table.contains(needle), "{needle} missing from:\n{table}");
    }
    let shown = dlq(dir.path(), &["show", &plan]);
    assert!(shown.matches("MODEL_SERVER_ERROR").count() >= 3, "{shown}");
    for needle in [
        "error history",
        "RETRIES_EXHAUSTED",
        "dead message body",
        "\"kind\":\"start\"",
    ] {
        assert!(shown.contains(needle), "{needle} missing from:\n{shown}");
    }

    // The cause is gone (nothing left scripted): redrive both.
    let calls_before = fake.generate_calls();
    let dry = dlq(dir.path(), &["redrive", "--all", "--dry-run"]);
    assert!(dry.contains(&format!("would redrive {plan}")), "{dry}");
    assert_eq!(listed(dir.path()).len(), 2, "a dry run changes nothing");
    let redriven = dlq(dir.path(), &["redrive", "--all"]);
    for id in [&plan, &sheet] {
        assert!(redriven.contains(&format!("redriven {id}")), "{redriven}");
    }
    for id in [&plan, &sheet] {
        let done = wait_completed(&server, id).await;
        assert_eq!(done["attempts"], 1, "attempts start again at the redrive: {done}");
    }
    let asked_again: BTreeSet<u32> = fake.requests()[calls_before..]
        .iter()
        .filter(|r| r.page_count == Some(4))
        .filter_map(|r| r.page)
        .collect();
    assert_eq!(
        asked_again,
        BTreeSet::from([2, 3, 4]),
        "page 1 was paid for before the failure"
    );
    assert!(listed(dir.path()).is_empty());
}

async fn dead_letter_count(store: &SqliteJobStore) -> usize {
    let query = JobQuery {
        dead_lettered: true,
        ..JobQuery::default()
    };
    store.list(&query).await.unwrap().len()
}

#[tokio::test]
async fn a_redrive_killed_after_its_first_job_loses_none_and_a_second_run_finishes() {
    let port = free_port();
    let base_url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &base_url);
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(submit(&server, "single-sheet.pdf", &format!("client-{n}")).await);
    }
    for id in &ids {
        wait_dead_lettered(&server, id).await;
    }
    server.kill_hard();
    let store = SqliteJobStore::new(Database::open(dir.path().join("drawings.sqlite3")).unwrap());
    assert_eq!(dead_letter_count(&store).await, 10);

    let (reader, writer) = full_pipe();
    let mut redrive = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .args(["dlq", "redrive", "--all"])
        .env("DRAWINGS_DATA_DIR", dir.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while dead_letter_count(&store).await != 9 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first job was never redriven"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        dead_letter_count(&store).await,
        9,
        "blocked on its first line of output"
    );
    redrive.kill().unwrap(); // SIGKILL
    redrive.wait().unwrap();
    drop(reader);

    // Nothing lost: one job requeued with its message sent, nine still listed.
    let mut statuses = BTreeMap::new();
    for id in &ids {
        let job = store.get(&drawings_core::JobId::parse(id).unwrap()).await.unwrap();
        let listed = job.dead_letter.is_some();
        *statuses.entry((job.status.as_str(), listed)).or_insert(0) += 1;
    }
    assert_eq!(
        statuses,
        BTreeMap::from([
            ((JobStatus::Queued.as_str(), false), 1),
            ((JobStatus::Failed.as_str(), true), 9)
        ])
    );

    let again = dlq(dir.path(), &["redrive", "--all"]);
    assert_eq!(again.matches("redriven ").count(), 9, "{again}");
    assert!(listed(dir.path()).is_empty());

    // The model is back; the server takes every redriven job to the end.
    let _fake = FakeGemini::start(FakeOptions {
        port,
        ..FakeOptions::default()
    })
    .await;
    let server = start(dir.path(), &base_url);
    for id in &ids {
        wait_completed(&server, id).await;
    }
}

#[tokio::test]
async fn purge_asks_first_then_forgets_dead_letters_and_the_jobs_stay_failed() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &format!("http://127.0.0.1:{}", free_port()));
    let ids = [
        submit(&server, "single-sheet.pdf", "Initech").await,
        submit(&server, "single-sheet.pdf", "Initech").await,
    ];
    for id in &ids {
        wait_dead_lettered(&server, id).await;
    }
    assert_eq!(listed(dir.path()).len(), 2);

    let fresh = dlq(dir.path(), &["purge", "--older-than", "7d", "--yes"]);
    assert!(fresh.contains("no dead letters to purge"), "{fresh}");
    let out = drawings_cli(dir.path(), &["dlq", "purge", "--older-than", "0s"], "n\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("purge 2 dead letters? [y/N]"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing purged"));
    assert_eq!(listed(dir.path()).len(), 2, "not confirmed: nothing purged");

    let purged = dlq(dir.path(), &["purge", "--older-than", "0s", "--yes"]);
    assert_eq!(purged.matches("purged ").count(), 2, "{purged}");
    assert!(listed(dir.path()).is_empty());
    for id in &ids {
        let status = wait_terminal(&server, id, Duration::from_secs(5)).await;
        assert_eq!(status["status"], "failed", "{status}");
        assert_eq!(status["error"]["code"], "RETRIES_EXHAUSTED", "{status}");
    }
    let shown = dlq(dir.path(), &["show", &ids[0]]);
    assert!(shown.contains("not in the dead-letter list"), "{shown}");
    assert!(shown.contains("MODEL_SERVER_ERROR"), "the history is kept:\n{shown}");
}

/// `drawings dlq --backend aws ...`, which must succeed; returns stdout.
fn aws_dlq(env: &[(&str, String)], args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .arg("dlq")
        .args(args)
        .args(["--backend", "aws"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "dlq {args:?}: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

#[tokio::test]
async fn on_aws_waiting_dead_letters_are_drained_listed_redriven_and_purged_alike() {
    let moto = MotoServer::start().await;
    let clients = AwsClients::for_endpoint(&moto.endpoint).await;
    let suffix = drawings_testkit::unique("d").replace('-', "");
    let resources = StackResources::create(&clients, "dlqcli", &suffix).await.unwrap();
    let jobs = DynamoJobStore::new(clients.dynamodb.clone(), &resources.table);
    let work_queue = SqsJobQueue::new(clients.sqs.clone(), &resources.queue_url);
    let dead_letter_queue = SqsJobQueue::new(clients.sqs.clone(), &resources.dlq_url);

    // Two poisoned jobs whose messages wait on the DLQ: its function is not running.
    let mut ids = Vec::new();
    for client in ["Acme", "Globex"] {
        let mut job = drawings_testkit::sample_job();
        job.input.client_name = Some(client.into());
        job.current_stage = Some(Stage::DrawingAnalysis);
        job.stages_completed = vec![Stage::Validation, Stage::PdfProcessing];
        for attempt in 1..=3 {
            job.attempts = attempt;
            let error = JobError {
                code: ErrorCode::ModelServerError,
                message: "page 1: 503".into(),
                stage: Some(Stage::DrawingAnalysis),
                retryable: true,
            };
            job.record_failure(error, chrono::Utc::now());
        }
        jobs.create(&job).await.unwrap();
        let message = QueueMessage {
            job_id: job.id.clone(),
            kind: MessageKind::Start,
        };
        dead_letter_queue.send(&message, Duration::ZERO).await.unwrap();
        ids.push(job.id);
    }
    let env = aws_env(&moto.endpoint, &resources);

    let entries: Vec<Value> = serde_json::from_str(&aws_dlq(&env, &["list", "--json"])).unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    for e in &entries {
        assert_eq!(e["cause"], "MODEL_SERVER_ERROR", "{e}");
        assert_eq!(e["code"], "RETRIES_EXHAUSTED", "{e}");
        assert_eq!(e["stage"], "drawing_analysis", "{e}");
    }
    let (redriven, purged) = (&ids[0], &ids[1]);
    let out = aws_dlq(&env, &["redrive", "--job", redriven.as_str()]);
    assert!(out.contains(&format!("redriven {redriven}")), "{out}");
    let delivered = work_queue
        .receive(10, Duration::from_secs(30), Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(delivered.len(), 1);
    let message = delivered[0].message().unwrap();
    assert_eq!((&message.job_id, message.kind), (redriven, MessageKind::Redrive));
    let job = jobs.get(redriven).await.unwrap();
    assert_eq!(
        (job.status, job.attempts, job.dead_letter),
        (JobStatus::Queued, 0, None)
    );

    let out = aws_dlq(&env, &["purge", "--yes"]);
    assert!(out.contains(&format!("purged {purged}")), "{out}");
    assert_eq!(aws_dlq(&env, &["list", "--json"]).trim(), "[]");
    assert_eq!(jobs.get(purged).await.unwrap().status, JobStatus::Failed);
}
