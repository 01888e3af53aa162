//! The answers of `GET /status/{job_id}`, kept per job between polls. A client polls one job
//! many times between two changes of it. With its answer kept beside the store's change mark
//! as it was before the job was read ([`JobStore::change_mark`]), a poll while the mark has
//! not moved is answered with the bytes already encoded, and the store is not asked at all;
//! once it moved, the store is asked whether this job did ([`JobStore::get_changed`]: on
//! SQLite, the version column, not the record), and only a job that moved is read, viewed and
//! encoded again. A poll so never shows an older job than a read of the store would, within
//! the lag the store states for another process's writes.
//!
//! An answer whose result links are presigned is not kept: the links expire, and each poll
//! hands out fresh ones. The cache is bounded ([`KEPT_ANSWERS`], the least recently polled
//! dropped first), so memory stays flat whatever the number of jobs polled; each router (each
//! host process) keeps its own.
//!
//! [`JobStore::change_mark`]: drawings_core::ports::JobStore::change_mark
//! [`JobStore::get_changed`]: drawings_core::ports::JobStore::get_changed

use crate::error::ApiError;
use crate::extract::job_error;
use bytes::Bytes;
use drawings_core::status::{StatusView, retry_after, status_view};
use drawings_core::{Job, JobId, Ports, StoreError};
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How many answers are kept: 2,048 of about 1.5 KB each (written from the non-zero 1, so no
/// check is needed).
const KEPT_ANSWERS: NonZeroUsize = NonZeroUsize::MIN.saturating_add(2047);

/// The answer to a poll of one job at one version.
#[derive(Debug)]
pub(crate) struct StatusAnswer {
    /// The job version it shows.
    version: u64,
    /// The job's client (`input.client_name`), which the caller must be.
    pub(crate) owner: Option<String>,
    /// The status view, encoded.
    pub(crate) body: Bytes,
    /// Seconds before polling again, while the job is not finished.
    pub(crate) retry_after: Option<u32>,
}

/// The kept answers of one router.
#[derive(Debug)]
pub struct StatusCache {
    answers: Mutex<LruCache<JobId, Kept>>,
}

/// A kept answer, with the store's change mark as it was before the read it was checked on.
#[derive(Debug)]
struct Kept {
    answer: Arc<StatusAnswer>,
    mark: Option<u64>,
}

impl Default for StatusCache {
    fn default() -> Self {
        StatusCache {
            answers: Mutex::new(LruCache::new(KEPT_ANSWERS)),
        }
    }
}

impl StatusCache {
    /// The answer for job `id` as stored now: the kept one while the store's change mark has
    /// not moved since it was checked, or while the job is still at its version, else one made
    /// from the job read whole (and kept, unless its links expire). Whose job it is is for the
    /// caller to check, on [`StatusAnswer::owner`].
    pub(crate) async fn answer(
        &self,
        ports: &Ports,
        link_ttl: Duration,
        id: &JobId,
    ) -> Result<Arc<StatusAnswer>, ApiError> {
        // Read before the store is: a write after this moves the mark, a write before it is
        // in what the store answers.
        let mark = ports.jobs.change_mark();
        let kept = self.answers().get(id).map(|kept| (kept.answer.clone(), kept.mark));
        let job = match kept {
            Some((answer, kept_mark)) if mark.is_some() && kept_mark == mark => return Ok(answer),
            Some((answer, _)) => match ports.jobs.get_changed(id, answer.version).await {
                Ok(None) => {
                    // Still the job it shows, as of `mark`; unless another poll replaced it.
                    if let Some(kept) = self.answers().get_mut(id)
                        && Arc::ptr_eq(&kept.answer, &answer)
                    {
                        kept.mark = mark;
                    }
                    return Ok(answer);
                }
                Ok(Some(job)) => job,
                Err(e) => return Err(self.forget(id, e)),
            },
            None => ports.jobs.get(id).await.map_err(|e| self.forget(id, e))?,
        };
        let view = status_view(&job, ports.blobs.as_ref(), link_ttl).await?;
        let answer = Arc::new(encode(&job, &view)?);
        if !links_expire(&view) {
            self.answers().put(
                id.clone(),
                Kept {
                    answer: answer.clone(),
                    mark,
                },
            );
        }
        Ok(answer)
    }

    /// Drops the answer of a job the store could not read (gone: swept, expired) and says why.
    fn forget(&self, id: &JobId, e: StoreError) -> ApiError {
        self.answers().pop(id);
        job_error(e)
    }

    fn answers(&self) -> MutexGuard<'_, LruCache<JobId, Kept>> {
        // The map is whole after any panic that poisoned it: each call is one map operation.
        self.answers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn encode(job: &Job, view: &StatusView) -> Result<StatusAnswer, ApiError> {
    let body = serde_json::to_vec(view).map_err(|e| {
        tracing::error!(error = %e, job_id = %job.id, "The status view did not encode.");
        ApiError::internal()
    })?;
    Ok(StatusAnswer {
        version: job.version,
        owner: job.input.client_name.clone(),
        body: Bytes::from(body),
        retry_after: retry_after(job),
    })
}

/// Whether the view's result links are presigned URLs (absolute), not the API's own paths.
fn links_expire(view: &StatusView) -> bool {
    view.result
        .as_ref()
        .is_some_and(|links| !links.components.starts_with('/'))
}
