//! `DynamoJobStore` on moto: conformance, idempotent create, version conflicts, the item's
//! layout (TTL attribute) and error classes for a missing table.

use crate::support::Moto;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};
use drawings_aws::DynamoJobStore;
use drawings_core::ports::{Created, JobStore};
use drawings_core::{ErrorClass, JobId};
use drawings_testkit::{full_job, job_store_conformance, sample_job, sample_job_with_key, unique};

async fn store(moto: &Moto) -> DynamoJobStore {
    DynamoJobStore::new(moto.clients.dynamodb.clone(), moto.table().await)
}

#[tokio::test]
async fn dynamo_job_store_passes_conformance() {
    let moto = Moto::start().await;
    job_store_conformance(&store(&moto).await).await;
}

#[tokio::test]
async fn duplicate_create_returns_existing_and_stale_update_conflicts() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    let key = unique("idem");
    let original = sample_job_with_key(&key);
    assert_eq!(store.create(&original).await.unwrap(), Created::New);

    // The same key again, even under the same id, hands back the original.
    for replay in [sample_job_with_key(&key), original.clone()] {
        match store.create(&replay).await.unwrap() {
            Created::Existing(existing) => assert_eq!(*existing, original),
            Created::New => panic!("a replayed key must not create a job"),
        }
    }

    let winner = store.update(&original).await.unwrap();
    assert_eq!(winner.version, original.version + 1);
    let err = store.update(&original).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Conflict, "{err}");
    assert_eq!(store.get(&original.id).await.unwrap(), winner);
}

#[tokio::test]
async fn items_carry_the_ttl_attribute_and_top_level_fields() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    let job = full_job();
    store.create(&job).await.unwrap();
    let item = moto
        .clients
        .dynamodb
        .get_item()
        .table_name(store.table())
        .key("job_id", AttributeValue::S(job.id.to_string()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the job item");
    let n = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).cloned();
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    assert_eq!(n("expires_at"), Some(job.expires_at.timestamp().to_string()));
    assert_eq!(n("version"), Some(job.version.to_string()));
    assert_eq!(s("status").as_deref(), Some("processing"));
    assert_eq!(s("client_name").as_deref(), Some("Acme"));
    assert_eq!(s("lease_owner").as_deref(), Some("worker-a"));
    assert!(s("job").is_some_and(|j| j.len() < 4096), "the job JSON stays small");
}

#[tokio::test]
async fn leases_are_single_writes_that_know_unknown_ids() {
    let moto = Moto::start().await;
    let store = store(&moto).await;
    let now = Utc::now();
    let err = store
        .acquire_lease(&JobId::generate(), "w", now + Duration::seconds(30), now)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound, "{err}");

    let job = sample_job();
    store.create(&job).await.unwrap();
    let held = store
        .acquire_lease(&job.id, "w", now + Duration::seconds(30), now)
        .await
        .unwrap();
    assert_eq!(held.updated_at, now, "a lease write stamps updated_at");
    assert_eq!(held.version, job.version + 1);
    // A writer holding the pre-lease version has lost the race.
    let err = store.update(&job).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Conflict, "{err}");
    // The job as returned by the lease is the one to write next.
    let next = store.update(&held).await.unwrap();
    assert_eq!(next.lease, held.lease);
}

#[tokio::test]
async fn a_missing_table_is_a_permanent_error() {
    let moto = Moto::start().await;
    let store = DynamoJobStore::new(moto.clients.dynamodb.clone(), "no-such-table");
    let err = store.get(&JobId::generate()).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Permanent, "{err}");
}
