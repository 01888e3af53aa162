//! `drawings keys` run by many operators (or scripts) at once: each command is a locked
//! read-modify-write of the key file, so no create is lost and no revoke is undone by a create
//! that read the file before it.

use drawings_api::ApiKeys;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Starts `drawings keys ARGS --data-dir DIR` without waiting for it.
fn spawn_keys(data_dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_drawings"))
        .arg("keys")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DRAWINGS_API_KEYS_FILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drawings keys")
}

fn finish(child: Child) -> Output {
    let out = child.wait_with_output().expect("wait for drawings keys");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The key a finished `keys create` printed.
fn printed_key(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap().trim().to_owned()
}

fn stored(data_dir: &Path) -> ApiKeys {
    ApiKeys::from_json(&std::fs::read(data_dir.join("api-keys.json")).unwrap()).unwrap()
}

/// Creates for `clients`, all started before any is waited for; the keys they printed.
fn create_at_once(data_dir: &Path, clients: &[String]) -> Vec<String> {
    let children: Vec<Child> = clients
        .iter()
        .map(|client| spawn_keys(data_dir, &["create", "--client", client]))
        .collect();
    children.into_iter().map(|c| printed_key(&finish(c))).collect()
}

#[test]
fn twenty_concurrent_key_creates_all_survive() {
    let dir = tempfile::tempdir().unwrap();
    let clients: Vec<String> = (0..20).map(|i| format!("client-{i}")).collect();
    let keys = create_at_once(dir.path(), &clients);

    let file = stored(dir.path());
    assert_eq!(file.len(), 20, "lost creates: {:?}", file.records());
    for (client, key) in clients.iter().zip(&keys) {
        let record = file.authenticate(key);
        assert_eq!(
            record.map(|r| r.client.as_str()),
            Some(client.as_str()),
            "the key printed for {client} is not in the file"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("api-keys.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Every temporary file was renamed into place; only the file and its lock file remain.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["api-keys.json", "api-keys.json.lock"]);
}

#[test]
fn a_revoke_racing_creates_stays_revoked() {
    // Unlocked, the revoke was undone in about half of such trials and creates were lost in
    // nearly all: twenty trials make a pass by luck unlikely, and each takes milliseconds.
    let (mut undone, mut lost) = (Vec::new(), Vec::new());
    for trial in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        finish(spawn_keys(dir.path(), &["create", "--client", "leaver"]));

        let revoke = spawn_keys(dir.path(), &["revoke", "--client", "leaver"]);
        let others: Vec<String> = (0..8).map(|i| format!("stayer-{i}")).collect();
        let keys = create_at_once(dir.path(), &others);
        let revoked = finish(revoke);
        let said = String::from_utf8_lossy(&revoked.stderr);
        assert!(said.contains("Revoked 1 key(s)"), "trial {trial}: {said}");

        let file = stored(dir.path());
        if file.records().iter().any(|r| r.client == "leaver") {
            undone.push(trial);
        }
        if keys.iter().any(|key| file.authenticate(key).is_none()) {
            lost.push(trial);
        }
    }
    assert!(
        undone.is_empty() && lost.is_empty(),
        "the revoke said it was done, yet the key was back in trials {undone:?}; \
         creates were lost in trials {lost:?}"
    );
}
