//! `drawings dlq` and `drawings report` print names and messages that came from a tenant (file,
//! client and project names) or a model (error messages): an escape sequence in one must not
//! reach the operator's terminal, where it could recolour, retitle or rewrite the screen.

mod support;

use chrono::Utc;
use drawings_core::ports::JobStore;
use drawings_core::{DeadLetterRecord, ErrorCode, Failure, JobError, JobStatus, Stage};
use drawings_local::{Database, SqliteJobStore};
use drawings_testkit::sample_job;
use std::path::Path;
use support::drawings_cli;

const ESC: u8 = 0x1b;

/// A dead-lettered, failed job whose every tenant- or model-supplied text holds escapes.
async fn hostile_dead_letter(data_dir: &Path) -> String {
    let db = Database::open(data_dir.join("drawings.sqlite3")).unwrap();
    let mut job = sample_job();
    let now = Utc::now();
    job.input.file_name = Some("plan\x1b[31m.pdf".into());
    job.input.client_name = Some("acme\x1b]0;pwned\x07".into());
    job.input.project_name = Some("tower\x1b[2J".into());
    let error = JobError {
        code: ErrorCode::RetriesExhausted,
        message: "model said \x1b[31mred\x1b[0m".into(),
        stage: Some(Stage::DrawingAnalysis),
        retryable: false,
    };
    job.failures = vec![
        Failure {
            at: now,
            attempt: 1,
            error: JobError {
                code: ErrorCode::ModelServerError,
                message: "upstream \x1b[1Aoverwrote a line".into(),
                ..error.clone()
            },
        },
        Failure {
            at: now,
            attempt: 2,
            error: error.clone(),
        },
    ];
    job.status = JobStatus::Failed;
    job.error = Some(error);
    job.dead_letter = Some(DeadLetterRecord {
        message_body: format!(r#"{{"job_id":"{}","kind":"start"}}"#, job.id),
        message_id: "m\x1b[31m1".into(),
        receive_count: 3,
        first_sent_at: now,
        last_failure_at: Some(now),
        dead_at: now,
    });
    SqliteJobStore::new(db).create(&job).await.unwrap();
    job.id.to_string()
}

fn stdout_of(data_dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = drawings_cli(data_dir, args, "");
    assert!(
        out.status.success(),
        "drawings {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stderr.contains(&ESC), "drawings {args:?} stderr holds an ESC byte");
    out.stdout
}

#[tokio::test]
async fn dlq_and_report_print_no_escape_sequence_from_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let id = hostile_dead_letter(dir.path()).await;
    for args in [
        &["dlq", "list"][..],
        &["dlq", "show", id.as_str()],
        &["dlq", "list", "--json"],
        &["report", "--since", "1d"],
        &["report", "--since", "1d", "--json"],
    ] {
        let out = stdout_of(dir.path(), args);
        let text = String::from_utf8_lossy(&out);
        assert!(!out.contains(&ESC), "drawings {args:?} printed an ESC byte:\n{text:?}");
        assert!(!out.contains(&0x07), "drawings {args:?} printed a BEL byte:\n{text:?}");
        assert!(
            text.contains("acme"),
            "drawings {args:?} still names the client:\n{text}"
        );
    }
    let shown = String::from_utf8(stdout_of(dir.path(), &["dlq", "show", &id])).unwrap();
    assert!(
        shown.contains("plan [31m.pdf"),
        "the file name, escapes blanked:\n{shown}"
    );
    assert!(
        shown.contains("model said  [31mred [0m"),
        "the cause, escapes blanked:\n{shown}"
    );
}
