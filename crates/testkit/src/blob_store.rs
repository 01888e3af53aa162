//! Conformance suite for [`BlobStore`].
//!
//! Writes about 7 MB under one fresh prefix (`conformance/{random}/`) and deletes every key
//! it wrote before returning; a failing run may leave keys under that prefix. It never
//! touches keys outside it, so a shared bucket or directory is fine.

use crate::fixtures::unique;
use bytes::Bytes;
use drawings_core::ports::{BlobCopy, BlobMeta, BlobStore};
use drawings_core::{ErrorClass, StoreError};
use sha2::{Digest, Sha256};

/// Runs every check against `store`.
pub async fn blob_store_conformance(store: &dyn BlobStore) {
    let prefix = format!("conformance/{}", unique("blobs"));
    put_then_get_round_trips(store, &prefix).await;
    missing_keys_are_not_found(store, &prefix).await;
    overwrite_replaces_the_body(store, &prefix).await;
    nested_keys_work(store, &prefix).await;
    large_bodies_round_trip(store, &prefix).await;
    bounded_reads_stop_at_the_limit(store, &prefix).await;
    copies_stay_within_the_limit_and_report_what_they_wrote(store, &prefix).await;
    presigned_links_are_urls_or_none(store, &prefix).await;
}

fn class_of<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) -> ErrorClass {
    match result {
        Ok(v) => panic!("{what}: expected an error, got Ok({v:?})"),
        Err(e) => e.class(),
    }
}

async fn put_then_get_round_trips(store: &dyn BlobStore, prefix: &str) {
    let key = format!("{prefix}/plain.json");
    let body = Bytes::from_static(br#"{"hello":"world"}"#);
    store.put(&key, body.clone(), "application/json").await.expect("put");
    assert_eq!(
        store.get(&key).await.expect("get after put"),
        body,
        "get must return what put stored"
    );
    let meta = store.head(&key).await.expect("head after put");
    assert_eq!(
        meta,
        Some(BlobMeta {
            size: body.len() as u64
        }),
        "head must report the stored size"
    );
    store.delete(&key).await.expect("delete");
    assert_eq!(
        store.head(&key).await.expect("head after delete"),
        None,
        "a deleted blob must be gone"
    );
}

async fn missing_keys_are_not_found(store: &dyn BlobStore, prefix: &str) {
    let key = format!("{prefix}/never-written.bin");
    let class = class_of(store.get(&key).await, "get of a missing key");
    assert_eq!(class, ErrorClass::NotFound, "get of a missing key must be NotFound");
    assert_eq!(
        store.head(&key).await.expect("head of a missing key"),
        None,
        "head of a missing key must be None"
    );
    store.delete(&key).await.expect("delete of a missing key must succeed");
}

async fn overwrite_replaces_the_body(store: &dyn BlobStore, prefix: &str) {
    let key = format!("{prefix}/overwritten.txt");
    store
        .put(&key, Bytes::from_static(b"first, longer body"), "text/plain")
        .await
        .expect("first put");
    store
        .put(&key, Bytes::from_static(b"second"), "text/plain")
        .await
        .expect("second put");
    assert_eq!(
        store.get(&key).await.expect("get"),
        Bytes::from_static(b"second"),
        "a put must replace the body"
    );
    assert_eq!(
        store.head(&key).await.expect("head"),
        Some(BlobMeta { size: 6 }),
        "head must see the new size"
    );
    store.delete(&key).await.expect("delete");
}

async fn nested_keys_work(store: &dyn BlobStore, prefix: &str) {
    let keys = [
        format!("{prefix}/jobs/abc/pages/0.png"),
        format!("{prefix}/jobs/abc/pages/1.png"),
    ];
    for (n, key) in keys.iter().enumerate() {
        store
            .put(key, Bytes::from(vec![n as u8; 10]), "image/png")
            .await
            .expect("put nested key");
    }
    for (n, key) in keys.iter().enumerate() {
        assert_eq!(
            store.get(key).await.expect("get nested key"),
            Bytes::from(vec![n as u8; 10]),
            "{key}"
        );
    }
    store.delete(&keys[0]).await.expect("delete nested key");
    assert_eq!(
        store.head(&keys[0]).await.expect("head"),
        None,
        "the deleted sibling must be gone"
    );
    assert!(
        store.head(&keys[1]).await.expect("head").is_some(),
        "deleting a key must not touch its sibling"
    );
    store.delete(&keys[1]).await.expect("delete nested key");
}

async fn large_bodies_round_trip(store: &dyn BlobStore, prefix: &str) {
    let key = format!("{prefix}/large.pdf");
    // A pattern, not zeros, so a truncated or shifted body cannot pass.
    let body: Bytes = (0..5 * 1024 * 1024u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    store
        .put(&key, body.clone(), "application/pdf")
        .await
        .expect("put 5 MB");
    let got = store.get(&key).await.expect("get 5 MB");
    assert!(
        got == body,
        "a 5 MB body must round-trip unchanged (got {} bytes)",
        got.len()
    );
    store.delete(&key).await.expect("delete");
}

async fn bounded_reads_stop_at_the_limit(store: &dyn BlobStore, prefix: &str) {
    let key = format!("{prefix}/bounded.pdf");
    let body: Bytes = (0..1024 * 1024 + 10u32)
        .map(|i| (i % 241) as u8)
        .collect::<Vec<u8>>()
        .into();
    store
        .put(&key, body.clone(), "application/pdf")
        .await
        .expect("put 1 MB");
    for limit in [0, 1, 4, 1024 * 1024, body.len() as u64, body.len() as u64 + 1, u64::MAX] {
        let got = store.get_at_most(&key, limit).await.expect("get_at_most");
        let want = body.len().min(usize::try_from(limit).unwrap_or(usize::MAX));
        assert!(
            got == body.slice(..want),
            "get_at_most({limit}) must be the first {want} bytes (got {} bytes)",
            got.len()
        );
    }
    store.delete(&key).await.expect("delete");

    let empty = format!("{prefix}/empty.pdf");
    store
        .put(&empty, Bytes::new(), "application/pdf")
        .await
        .expect("put empty");
    for limit in [0, 5] {
        let got = store
            .get_at_most(&empty, limit)
            .await
            .expect("get_at_most of an empty blob");
        assert!(
            got.is_empty(),
            "get_at_most({limit}) of an empty blob: {} bytes",
            got.len()
        );
    }
    store.delete(&empty).await.expect("delete");

    let missing = format!("{prefix}/never-written-bounded.bin");
    for limit in [0, 5] {
        let class = class_of(store.get_at_most(&missing, limit).await, "get_at_most of a missing key");
        assert_eq!(
            class,
            ErrorClass::NotFound,
            "get_at_most({limit}) of a missing key must be NotFound"
        );
    }
}

async fn copies_stay_within_the_limit_and_report_what_they_wrote(store: &dyn BlobStore, prefix: &str) {
    let source = format!("{prefix}/uploads/source.pdf");
    let body: Bytes = (0..300 * 1024u32).map(|i| (i % 239) as u8).collect::<Vec<u8>>().into();
    let size = body.len() as u64;
    let sha256 = hex::encode(Sha256::digest(&body));
    store
        .put(&source, body.clone(), "application/pdf")
        .await
        .expect("put the source");

    // Into a nested key, over a blob already there: the copy replaces it.
    let target = format!("{prefix}/jobs/copied/input.pdf");
    store
        .put(&target, Bytes::from_static(b"an older, other body"), "application/pdf")
        .await
        .expect("put the old target");
    for limit in [size, size + 1, u64::MAX] {
        let copied = store
            .copy_at_most(&source, &target, limit, "application/pdf")
            .await
            .expect("copy_at_most within the limit");
        assert_eq!(
            copied,
            BlobCopy::Copied {
                size,
                sha256: sha256.clone()
            },
            "copy_at_most({limit}) must report the size and sha256 of the bytes it wrote"
        );
        let got = store.get(&target).await.expect("get the copy");
        assert!(
            got == body,
            "the copy must hold the source's bytes (got {} bytes)",
            got.len()
        );
    }
    let left = store.get(&source).await.expect("get the source after copying");
    assert!(left == body, "a copy must leave its source as it was");

    // One byte over: refused, nothing written, the source untouched.
    let refused = format!("{prefix}/jobs/refused/input.pdf");
    for limit in [0, 1, size - 1] {
        let outcome = store
            .copy_at_most(&source, &refused, limit, "application/pdf")
            .await
            .expect("copy_at_most over the limit");
        assert_eq!(outcome, BlobCopy::TooLarge, "copy_at_most({limit}) of {size} bytes");
        assert_eq!(
            store.head(&refused).await.expect("head"),
            None,
            "a refused copy must write nothing"
        );
    }

    // An empty blob copies within a limit of 0.
    let empty = format!("{prefix}/uploads/empty.pdf");
    store
        .put(&empty, Bytes::new(), "application/pdf")
        .await
        .expect("put empty");
    let empty_copy = format!("{prefix}/jobs/empty/input.pdf");
    let copied = store
        .copy_at_most(&empty, &empty_copy, 0, "application/pdf")
        .await
        .expect("copy an empty blob");
    assert_eq!(
        copied,
        BlobCopy::Copied {
            size: 0,
            sha256: hex::encode(Sha256::digest(b"")),
        }
    );
    assert_eq!(store.head(&empty_copy).await.expect("head"), Some(BlobMeta { size: 0 }));

    // A missing source: NotFound, and nothing at the target.
    let missing = format!("{prefix}/uploads/never-written.pdf");
    let lost = format!("{prefix}/jobs/lost/input.pdf");
    let class = class_of(
        store.copy_at_most(&missing, &lost, 1024, "application/pdf").await,
        "copy_at_most of a missing key",
    );
    assert_eq!(
        class,
        ErrorClass::NotFound,
        "copy_at_most of a missing key must be NotFound"
    );
    assert_eq!(store.head(&lost).await.expect("head"), None);

    for key in [&source, &target, &empty, &empty_copy] {
        store.delete(key).await.expect("delete");
    }
}

async fn presigned_links_are_urls_or_none(store: &dyn BlobStore, prefix: &str) {
    let key = format!("{prefix}/presigned.pdf");
    let ttl = std::time::Duration::from_secs(300);
    let links = [
        ("presign_get", store.presign_get(&key, ttl).await),
        ("presign_put", store.presign_put(&key, ttl).await),
    ];
    for (what, link) in links {
        if let Some(url) = link.unwrap_or_else(|e| panic!("{what} of a valid key and TTL: {e}")) {
            assert!(
                url.starts_with("https://") || url.starts_with("http://"),
                "{what} must be an absolute http(s) URL: {url}"
            );
        }
    }
}
