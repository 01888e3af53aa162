//! Conformance suite for [`JobStore`].
//!
//! Creates a handful of job records with fresh random ids and idempotency keys (see
//! [`crate::fixtures`]) and never deletes them (the port has no delete): point it at a
//! table whose records expire (`expires_at` is 30 days out) or that is thrown away after
//! the run. It never reads or touches records it did not create, so a shared table is fine.

use crate::fixtures::{full_job, sample_job, sample_job_with_key, unique};
use chrono::{Duration, Utc};
use drawings_core::ports::{Created, JobQuery, JobStore};
use drawings_core::{DeadLetterRecord, ErrorClass, JobId, JobStatus, Lease, StoreError};

/// Runs every check against `store`.
pub async fn job_store_conformance(store: &dyn JobStore) {
    get_of_unknown_id_is_not_found(store).await;
    create_then_get_round_trips_every_field(store).await;
    create_with_taken_id_is_conflict(store).await;
    create_with_taken_idempotency_key_returns_the_original(store).await;
    update_with_current_version_bumps_it(store).await;
    update_with_stale_version_is_conflict(store).await;
    get_changed_reads_a_job_only_once_it_moved_past_the_version_seen(store).await;
    a_change_mark_moves_with_every_write_made_through_the_store(store).await;
    update_of_unknown_id_is_not_found(store).await;
    concurrent_updates_from_one_version_have_one_winner(store).await;
    leases_exclude_other_owners_until_they_expire(store).await;
    list_filters_by_client_time_and_dead_letter_newest_first(store).await;
}

fn class_of<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) -> ErrorClass {
    match result {
        Ok(v) => panic!("{what}: expected an error, got Ok({v:?})"),
        Err(e) => e.class(),
    }
}

async fn create_new(store: &dyn JobStore, job: &drawings_core::Job, what: &str) {
    match store.create(job).await {
        Ok(Created::New) => {}
        other => panic!("{what}: create of a fresh job must be Ok(Created::New), got {other:?}"),
    }
}

async fn get_of_unknown_id_is_not_found(store: &dyn JobStore) {
    let class = class_of(store.get(&JobId::generate()).await, "get of an unknown id");
    assert_eq!(class, ErrorClass::NotFound, "get of an unknown id must be NotFound");
}

async fn create_then_get_round_trips_every_field(store: &dyn JobStore) {
    let job = full_job();
    create_new(store, &job, "round trip").await;
    let got = store.get(&job.id).await.expect("get after create");
    assert_eq!(
        got, job,
        "get must return exactly what create stored (every field, expires_at included)"
    );
}

async fn create_with_taken_id_is_conflict(store: &dyn JobStore) {
    let job = sample_job();
    create_new(store, &job, "taken id").await;
    let mut other = job.clone();
    other.input.bytes += 1;
    let class = class_of(store.create(&other).await, "create with a taken id");
    assert_eq!(class, ErrorClass::Conflict, "create with a taken id must be Conflict");
    let stored = store.get(&job.id).await.expect("get after conflicting create");
    assert_eq!(stored, job, "a conflicting create must not overwrite the stored job");
}

async fn create_with_taken_idempotency_key_returns_the_original(store: &dyn JobStore) {
    let key = unique("idem");
    let original = sample_job_with_key(&key);
    create_new(store, &original, "idempotency key").await;
    let retry = sample_job_with_key(&key);
    match store.create(&retry).await {
        Ok(Created::Existing(existing)) => {
            assert_eq!(
                *existing, original,
                "Created::Existing must carry the original job unchanged"
            )
        }
        other => panic!("create with a taken idempotency key must be Ok(Created::Existing), got {other:?}"),
    }
    let class = class_of(store.get(&retry.id).await, "get of the job that lost on its key");
    assert_eq!(
        class,
        ErrorClass::NotFound,
        "a create that lost on its idempotency key must write nothing"
    );
    let stored = store.get(&original.id).await.expect("get of the original");
    assert_eq!(stored, original, "the original must not be overwritten by a replay");
}

async fn update_with_current_version_bumps_it(store: &dyn JobStore) {
    let job = sample_job();
    create_new(store, &job, "update").await;
    let mut next = job.clone();
    next.status = JobStatus::Processing;
    next.attempts = 1;
    next.updated_at = Utc::now();
    next.expires_at = job.expires_at + Duration::days(1);
    let stored = store.update(&next).await.expect("update with the current version");
    assert_eq!(stored.version, job.version + 1, "update must store version + 1");
    assert_eq!(
        stored,
        drawings_core::Job {
            version: job.version + 1,
            ..next
        },
        "update must return what it stored"
    );
    let got = store.get(&job.id).await.expect("get after update");
    assert_eq!(got, stored, "get must return what update stored (expires_at included)");

    let mut again = got.clone();
    again.attempts = 2;
    let stored = store
        .update(&again)
        .await
        .expect("second update with the returned version");
    assert_eq!(stored.version, job.version + 2, "each update bumps the version once");
}

async fn get_changed_reads_a_job_only_once_it_moved_past_the_version_seen(store: &dyn JobStore) {
    let job = sample_job();
    create_new(store, &job, "get_changed").await;
    let unchanged = store
        .get_changed(&job.id, job.version)
        .await
        .expect("get_changed of a fresh job");
    assert_eq!(
        unchanged, None,
        "a job still at the version seen must read as unchanged"
    );

    let mut next = job.clone();
    next.attempts = 3;
    let stored = store.update(&next).await.expect("update");
    let changed = store
        .get_changed(&job.id, job.version)
        .await
        .expect("get_changed after update");
    assert_eq!(
        changed.as_ref(),
        Some(&stored),
        "a job past the version seen must be read whole, as update stored it"
    );
    let again = store
        .get_changed(&job.id, stored.version)
        .await
        .expect("get_changed at the new version");
    assert_eq!(again, None, "the version update returned must read as unchanged");
    let behind = store
        .get_changed(&job.id, stored.version + 1)
        .await
        .expect("get_changed of a version ahead");
    assert_eq!(
        behind.as_ref(),
        Some(&stored),
        "any other version seen must read the job"
    );

    let class = class_of(
        store.get_changed(&JobId::generate(), 0).await,
        "get_changed of an unknown id",
    );
    assert_eq!(
        class,
        ErrorClass::NotFound,
        "get_changed of an unknown id must be NotFound"
    );
}

async fn a_change_mark_moves_with_every_write_made_through_the_store(store: &dyn JobStore) {
    // An adapter that cannot tell without a read has no mark, and promises nothing here.
    let Some(before) = store.change_mark() else {
        return;
    };
    let job = sample_job();
    create_new(store, &job, "change mark").await;
    let created = store.change_mark().expect("a store with a change mark keeps one");
    assert_ne!(created, before, "a create must move the change mark at once");
    store.update(&job).await.expect("update");
    let updated = store.change_mark().expect("a store with a change mark keeps one");
    assert_ne!(updated, created, "an update must move the change mark at once");
}

async fn update_with_stale_version_is_conflict(store: &dyn JobStore) {
    let job = sample_job();
    create_new(store, &job, "stale update").await;
    let winner = store.update(&job).await.expect("first update");
    let mut stale = job.clone();
    stale.attempts = 99;
    let class = class_of(store.update(&stale).await, "update with a stale version");
    assert_eq!(
        class,
        ErrorClass::Conflict,
        "update with a stale version must be Conflict"
    );
    let got = store.get(&job.id).await.expect("get after stale update");
    assert_eq!(got, winner, "a stale update must not change the stored job");
}

async fn update_of_unknown_id_is_not_found(store: &dyn JobStore) {
    let class = class_of(store.update(&sample_job()).await, "update of an unknown id");
    assert_eq!(class, ErrorClass::NotFound, "update of an unknown id must be NotFound");
}

async fn concurrent_updates_from_one_version_have_one_winner(store: &dyn JobStore) {
    let job = sample_job();
    create_new(store, &job, "concurrent updates").await;
    let mut a = job.clone();
    a.attempts = 1;
    a.lease = Some(Lease {
        owner: "a".into(),
        until: Utc::now() + Duration::seconds(60),
    });
    let mut b = job.clone();
    b.attempts = 2;
    b.lease = Some(Lease {
        owner: "b".into(),
        until: Utc::now() + Duration::seconds(60),
    });
    let (ra, rb) = tokio::join!(store.update(&a), store.update(&b));
    let winner = match (ra, rb) {
        (Ok(w), Err(e)) | (Err(e), Ok(w)) => {
            assert_eq!(
                e.class(),
                ErrorClass::Conflict,
                "the losing concurrent update must be Conflict"
            );
            w
        }
        (ra, rb) => {
            panic!("two updates from one version: exactly one must win, got {ra:?} and {rb:?}")
        }
    };
    let got = store.get(&job.id).await.expect("get after concurrent updates");
    assert_eq!(got, winner, "the stored job must be the winner's");
    assert_eq!(
        got.version,
        job.version + 1,
        "concurrent updates must bump the version once"
    );
}

async fn leases_exclude_other_owners_until_they_expire(store: &dyn JobStore) {
    let job = sample_job();
    create_new(store, &job, "leases").await;
    let now = Utc::now();
    let until = now + Duration::seconds(60);

    let held = store
        .acquire_lease(&job.id, "worker-a", until, now)
        .await
        .expect("acquire a free lease");
    let lease = held.lease.clone().expect("acquire_lease must set the lease");
    assert_eq!(
        lease,
        Lease {
            owner: "worker-a".into(),
            until
        },
        "the lease must name the owner and its expiry"
    );
    assert!(
        held.version > job.version,
        "acquiring a lease is a write: the version must move"
    );
    assert_eq!(
        store.get(&job.id).await.expect("get after lease").lease,
        Some(lease.clone()),
        "the lease must be stored"
    );

    let class = class_of(
        store
            .acquire_lease(&job.id, "worker-b", now + Duration::seconds(90), now)
            .await,
        "acquire of a lease another owner holds",
    );
    assert_eq!(
        class,
        ErrorClass::Conflict,
        "a lease held by another unexpired owner must be Conflict"
    );
    assert_eq!(
        store.get(&job.id).await.expect("get after refused lease").lease,
        Some(lease),
        "a refused lease must leave the holder's lease in place"
    );

    let renewed_until = until + Duration::seconds(60);
    let renewed = store
        .acquire_lease(&job.id, "worker-a", renewed_until, now + Duration::seconds(30))
        .await
        .expect("the owner renews its own lease");
    assert_eq!(
        renewed.lease.as_ref().map(|l| l.until),
        Some(renewed_until),
        "renewal must move the expiry"
    );

    let later = renewed_until + Duration::seconds(1);
    let taken = store
        .acquire_lease(&job.id, "worker-b", later + Duration::seconds(60), later)
        .await
        .expect("an expired lease of another owner can be taken");
    assert_eq!(
        taken.lease.map(|l| l.owner).as_deref(),
        Some("worker-b"),
        "the new owner must hold the lease"
    );
    assert_eq!(taken.expires_at, job.expires_at, "leases must not touch expires_at");
}

/// Lists a fresh client's jobs: three created a second apart, one of them dead-lettered.
async fn list_filters_by_client_time_and_dead_letter_newest_first(store: &dyn JobStore) {
    let client = unique("client");
    let start = Utc::now() - Duration::minutes(10);
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut job = sample_job();
        job.input.client_name = Some(client.clone());
        job.created_at = start + Duration::seconds(n);
        job.updated_at = job.created_at;
        if n == 1 {
            job.dead_letter = Some(DeadLetterRecord {
                message_body: format!(r#"{{"job_id":"{}","kind":"start"}}"#, job.id),
                message_id: unique("message"),
                receive_count: 3,
                first_sent_at: job.created_at,
                last_failure_at: None,
                dead_at: job.created_at,
            });
        }
        create_new(store, &job, "list").await;
        ids.push(job.id);
    }
    let ids_of = |jobs: Vec<drawings_core::Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let query = JobQuery {
        client: Some(client.clone()),
        ..JobQuery::default()
    };
    let all = ids_of(store.list(&query).await.expect("list a client's jobs"));
    assert_eq!(
        all,
        vec![ids[2].clone(), ids[1].clone(), ids[0].clone()],
        "list returns exactly the client's jobs, newest first"
    );
    let since = JobQuery {
        created_since: Some(start + Duration::seconds(1)),
        ..query.clone()
    };
    let recent = ids_of(store.list(&since).await.expect("list since"));
    assert_eq!(
        recent,
        vec![ids[2].clone(), ids[1].clone()],
        "created_since is inclusive"
    );
    let limited = JobQuery {
        limit: 1,
        ..query.clone()
    };
    assert_eq!(
        ids_of(store.list(&limited).await.expect("list with limit")),
        vec![ids[2].clone()]
    );
    let dead = JobQuery {
        dead_lettered: true,
        ..JobQuery::default()
    };
    let dead = ids_of(store.list(&dead).await.expect("list dead letters"));
    assert!(dead.contains(&ids[1]), "a dead-lettered job is listed as one");
    assert!(
        !dead.contains(&ids[0]) && !dead.contains(&ids[2]),
        "jobs without a dead-letter record are not listed as dead letters"
    );
}
