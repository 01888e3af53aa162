//! Data at rest on the embedded server: after a job has run, nothing under the data directory
//! (the SQLite database with its WAL and SHM, the blobs: tenants' drawings and results) is
//! readable by another local user.

#![cfg(unix)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
use support::{Server, fixture, upload, wait_terminal};

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every directory and file under `dir`, `dir` included.
fn entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut next = 0;
    while next < out.len() {
        let path = out[next].clone();
        next += 1;
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                out.push(entry.unwrap().path());
            }
        }
    }
    out
}

#[tokio::test]
async fn after_a_job_the_database_and_blobs_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let pdf = std::fs::read(fixture("single-sheet.pdf")).unwrap();
    let (status, body, _) = upload(&server, pdf, None).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().unwrap().to_owned();
    let done = wait_terminal(&server, &job_id, Duration::from_secs(120)).await;
    assert_eq!(done["status"], "completed", "{done}");

    let db = data.join("drawings.sqlite3");
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", db.display());
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
    let all = entries(&data);
    let blobs: Vec<_> = all
        .iter()
        .filter(|p| p.starts_with(data.join("blobs")) && p.is_file())
        .collect();
    assert!(blobs.len() >= 3, "the job wrote its input and outputs: {all:?}");
    for path in &all {
        if path.is_dir() {
            assert_eq!(mode(path), 0o700, "directory {}", path.display());
        } else {
            assert_eq!(mode(path) & 0o077, 0, "file {} is {:o}", path.display(), mode(path));
        }
    }
}
