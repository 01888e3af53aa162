//! Behaviour of `FsBlobStore` beyond the port suite: key validation and atomic puts.

use bytes::Bytes;
use drawings_core::ErrorClass;
use drawings_core::ports::BlobStore;
use drawings_local::FsBlobStore;
use std::path::Path;
use std::sync::Arc;

fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn keys_that_could_escape_the_root_are_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path().join("blobs")).unwrap();
    let long = "a".repeat(1025);
    let bad = [
        "",
        "/etc/passwd",
        "../outside",
        "jobs/../../outside",
        "jobs//x",
        "jobs/x/",
        "./x",
        "a\\b",
        &long,
    ];
    for key in bad {
        let err = store
            .put(key, Bytes::from_static(b"x"), "text/plain")
            .await
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::Invalid, "put {key:?}");
        assert_eq!(
            store.get(key).await.unwrap_err().class(),
            ErrorClass::Invalid,
            "get {key:?}"
        );
    }
    assert!(!dir.path().join("outside").exists());
}

#[tokio::test]
async fn a_put_leaves_only_the_blob_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path()).unwrap();
    store
        .put("jobs/abc/pages/0.png", Bytes::from_static(b"png"), "image/png")
        .await
        .unwrap();
    store
        .put("jobs/abc/pages/0.png", Bytes::from_static(b"png2"), "image/png")
        .await
        .unwrap();
    assert_eq!(files_under(dir.path()), vec!["jobs/abc/pages/0.png".to_string()]);
}

#[tokio::test]
async fn a_folder_is_not_a_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::new(dir.path()).unwrap();
    store
        .put("jobs/abc/input.pdf", Bytes::from_static(b"%PDF"), "application/pdf")
        .await
        .unwrap();
    assert_eq!(store.head("jobs/abc").await.unwrap(), None);
    assert_eq!(store.get("jobs/abc").await.unwrap_err().class(), ErrorClass::NotFound);
    assert_eq!(store.head("jobs/abc/input.pdf/x").await.unwrap(), None);
    let err = store
        .put("jobs/abc/input.pdf/x", Bytes::from_static(b"x"), "text/plain")
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Invalid, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_see_a_partial_body() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FsBlobStore::new(dir.path()).unwrap());
    let a = Bytes::from(vec![b'a'; 2 * 1024 * 1024]);
    let b = Bytes::from(vec![b'b'; 3 * 1024 * 1024]);
    store.put("blob", a.clone(), "application/octet-stream").await.unwrap();
    let writer = {
        let (store, a, b) = (Arc::clone(&store), a.clone(), b.clone());
        tokio::spawn(async move {
            for n in 0..20 {
                let body = if n % 2 == 0 { b.clone() } else { a.clone() };
                store.put("blob", body, "application/octet-stream").await.unwrap();
            }
        })
    };
    while !writer.is_finished() {
        let got = store.get("blob").await.unwrap();
        assert!(
            got == a || got == b,
            "a reader saw {} bytes that are neither body",
            got.len()
        );
    }
    writer.await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn blobs_are_owner_only_files_in_owner_only_directories() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs");
    let store = FsBlobStore::new(&root).unwrap();
    store
        .put("jobs/j1/pages/0.png", Bytes::from_static(b"png"), "image/png")
        .await
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for d in ["", "jobs", "jobs/j1", "jobs/j1/pages"] {
        assert_eq!(mode(&root.join(d)), 0o700, "directory {d:?}");
    }
    assert_eq!(mode(&root.join("jobs/j1/pages/0.png")), 0o600);
}
