//! Black-box tests of API keys on `drawings serve`: keys made by `drawings keys create` in the
//! data directory, two clients who cannot read, list or cancel each other's jobs, no key →
//! 401, revocation, no start on a public address without keys, `/metrics` for operator keys
//! only, and bad keys from one address turned away with 429 past a burst.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::{Server, fixture};

/// Runs `drawings keys ARGS --data-dir DIR`.
fn keys(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drawings"))
        .arg("keys")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DRAWINGS_API_KEYS_FILE")
        .output()
        .expect("run drawings keys")
}

/// `drawings keys create --client NAME`: the key it prints.
fn create_key(data_dir: &Path, client: &str) -> String {
    let out = keys(data_dir, &["create", "--client", client]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("drw_") && key.len() == 68, "{key:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be shown again"));
    key
}

fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[])
}

/// [`start`] with more environment variables.
fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
    let file = data_dir.join("api-keys.json");
    let mut env = env.to_vec();
    env.push(("DRAWINGS_API_KEYS_FILE", file.to_str().unwrap()));
    Server::start(data_dir, &env)
}

/// A request as `key` (none: no header); the status and JSON body.
async fn call(method: reqwest::Method, url: String, key: Option<&str>, body: Option<Vec<u8>>) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/pdf").body(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

fn listed(body: &Value) -> Vec<String> {
    body["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("no jobs in {body}"))
        .iter()
        .map(|j| j["job_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn two_clients_cannot_read_list_or_cancel_each_others_jobs_and_no_key_is_401() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let acme = create_key(dir.path(), "acme");
    let beta = create_key(dir.path(), "beta");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("api-keys.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let listing = keys(dir.path(), &["list"]);
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(listing.contains("acme") && listing.contains("beta"), "{listing}");
    assert!(!listing.contains(&acme[4..]) && !listing.contains(&beta[4..]));
    let stored = std::fs::read_to_string(dir.path().join("api-keys.json")).unwrap();
    assert!(!stored.contains(&acme[4..]), "the key itself was stored");

    let server = start(dir.path());
    let (status, health) = call(Method::GET, server.url("/health"), None, None).await;
    assert_eq!((status, health["auth"].as_str()), (200, Some("on")));
    let pdf = std::fs::read(fixture("single-sheet.pdf")).unwrap();
    for (method, path, body) in [
        (Method::POST, "/process-drawing", Some(pdf.clone())),
        (Method::GET, "/jobs", None),
        (Method::GET, "/status/0123456789abcdef0123456789abcdef", None),
    ] {
        let (status, body) = call(method, server.url(path), None, body).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    }

    let (status, accepted) = call(Method::POST, server.url("/process-drawing"), Some(&acme), Some(pdf)).await;
    assert_eq!(status, 202, "{accepted}");
    let job = accepted["job_id"].as_str().unwrap().to_owned();

    let (status, _) = call(Method::GET, server.url(&format!("/status/{job}")), Some(&acme), None).await;
    assert_eq!(status, 200);
    let (_, list) = call(Method::GET, server.url("/jobs"), Some(&acme), None).await;
    assert_eq!(listed(&list), vec![job.clone()]);

    for (method, path) in [
        (Method::GET, format!("/status/{job}")),
        (Method::GET, format!("/results/{job}/schedule.csv")),
        (Method::DELETE, format!("/jobs/{job}")),
    ] {
        let (status, body) = call(method, server.url(&path), Some(&beta), None).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND");
    }
    let (status, list) = call(Method::GET, server.url("/jobs"), Some(&beta), None).await;
    assert_eq!(status, 200);
    assert!(listed(&list).is_empty(), "{list}");
    let (_, view) = call(Method::GET, server.url(&format!("/status/{job}")), Some(&acme), None).await;
    assert_ne!(view["status"], "cancelled", "beta cancelled acme's job");

    // The CLI client sends DRAWINGS_API_KEY.
    for (key, ok) in [(&acme, true), (&beta, false)] {
        let out = Command::new(env!("CARGO_BIN_EXE_drawings"))
            .args(["status", &job, "--server", &server.base])
            .env("DRAWINGS_API_KEY", key)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert_eq!(out.status.success(), ok, "{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_after_a_restart_and_the_others_still_work() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let acme = create_key(dir.path(), "acme");
    let beta = create_key(dir.path(), "beta");
    let out = keys(dir.path(), &["revoke", "--client", "beta"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!keys(dir.path(), &["revoke", "--client", "beta"]).status.success());
    let listing = String::from_utf8(keys(dir.path(), &["list"]).stdout).unwrap();
    assert!(listing.contains("acme") && !listing.contains("beta"), "{listing}");

    let server = start(dir.path());
    let (status, _) = call(Method::GET, server.url("/jobs"), Some(&beta), None).await;
    assert_eq!(status, 401);
    let (status, _) = call(Method::GET, server.url("/jobs"), Some(&acme), None).await;
    assert_eq!(status, 200);
}

#[test]
fn serve_without_keys_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_drawings"))
        .args(["serve", "--addr", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("DRAWINGS_API_KEYS_FILE")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run drawings serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("drawings keys create"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "it started listening");
}

#[tokio::test]
async fn serve_without_keys_on_loopback_runs_open_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (status, health) = call(reqwest::Method::GET, server.url("/health"), None, None).await;
    assert_eq!((status, health["auth"].as_str()), (200, Some("off")));
    let (status, _) = call(reqwest::Method::GET, server.url("/jobs"), None, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn metrics_answer_an_operator_key_and_refuse_a_clients_key_with_403() {
    let dir = tempfile::tempdir().unwrap();
    let acme = create_key(dir.path(), "acme");
    let out = keys(dir.path(), &["create", "--client", "ops", "--operator"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let operator = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let listing = String::from_utf8(keys(dir.path(), &["list"]).stdout).unwrap();
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("ops\t") && l.contains("operator")),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("acme\t") && !l.contains("operator")),
        "{listing}"
    );

    let server = start(dir.path());
    let (status, body) = call(reqwest::Method::GET, server.url("/metrics"), Some(&acme), None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    let response = reqwest::Client::new()
        .get(server.url("/metrics"))
        .header("x-api-key", &operator)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("drawings_jobs_completed_total"));
    // An operator key is still its client's key, for that client's jobs only.
    let (status, list) = call(reqwest::Method::GET, server.url("/jobs"), Some(&operator), None).await;
    assert_eq!(status, 200, "{list}");
}

#[tokio::test]
async fn bad_keys_from_one_address_get_429_past_their_burst_and_a_valid_key_still_works() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let acme = create_key(dir.path(), "acme");
    let server = start_with(
        dir.path(),
        &[
            ("DRAWINGS_AUTH_FAILURE_BURST", "3"),
            ("DRAWINGS_AUTH_FAILURES_PER_MINUTE", "1"),
        ],
    );
    let bad = "drw_0000000000000000000000000000000000000000000000000000000000000000";
    for n in 0..3 {
        let (status, body) = call(Method::GET, server.url("/jobs"), Some(bad), None).await;
        assert_eq!(status, 401, "attempt {n}: {body}");
    }
    for key in [Some(bad), None] {
        let response = reqwest::Client::new()
            .get(server.url("/jobs"))
            .header("x-api-key", key.unwrap_or_default())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429, "{key:?}");
        let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "RATE_LIMITED", "{body}");
    }
    // A valid key is never refused for its address's failures: a tenant behind the same NAT
    // as a prober keeps working.
    let (status, _) = call(Method::GET, server.url("/jobs"), Some(&acme), None).await;
    assert_eq!(status, 200);
    let (status, _) = call(Method::GET, server.url("/health"), None, None).await;
    assert_eq!(status, 200);
}
