//! `JobStore::list` on DynamoDB: a `Query` on the index that fits the filter (the sparse
//! `dead_letters` index, a client's `by_client` partition, or `by_day` partitions walked
//! back from today), newest first, paged until the limit. The remaining filters are applied
//! to each page with [`JobQuery::matches`].

use super::item::{self, INDEX_BY_CLIENT, INDEX_BY_DAY, INDEX_DEAD_LETTERS, Item, decode, n, s};
use super::{BACKEND, DynamoJobStore};
use crate::error::classify;
use chrono::{Duration, Utc};
use drawings_core::ports::JobQuery;
use drawings_core::{Job, StoreError};

/// How far back `by_day` is walked when the query names no start (the job TTL's default).
const DEFAULT_LOOKBACK_DAYS: i64 = 30;

impl DynamoJobStore {
    pub(super) async fn list_jobs(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        let since_ms = query.created_since.map(|t| t.timestamp_millis()).unwrap_or(0);
        let mut jobs = Vec::new();
        if query.dead_lettered {
            self.query_partition(INDEX_DEAD_LETTERS, item::DEAD_LETTER, "1", since_ms, query, &mut jobs)
                .await?;
        } else if let Some(client) = &query.client {
            self.query_partition(INDEX_BY_CLIENT, item::CLIENT_NAME, client, since_ms, query, &mut jobs)
                .await?;
        } else {
            let today = Utc::now();
            let since = query
                .created_since
                .unwrap_or(today - Duration::days(DEFAULT_LOOKBACK_DAYS));
            let mut day = today;
            while day.date_naive() >= since.date_naive() && !full(query, &jobs) {
                self.query_partition(
                    INDEX_BY_DAY,
                    item::CREATED_DAY,
                    &item::day(day),
                    since_ms,
                    query,
                    &mut jobs,
                )
                .await?;
                day -= Duration::days(1);
            }
        }
        if query.limit > 0 {
            jobs.truncate(query.limit);
        }
        Ok(jobs)
    }

    async fn query_partition(
        &self,
        index: &str,
        hash: &str,
        value: &str,
        since_ms: i64,
        query: &JobQuery,
        out: &mut Vec<Job>,
    ) -> Result<(), StoreError> {
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#h = :h AND #created >= :since")
                .expression_attribute_names("#h", hash)
                .expression_attribute_names("#created", item::CREATED_AT)
                .expression_attribute_values(":h", s(value))
                .expression_attribute_values(":since", n(since_ms))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify(BACKEND, e))?;
            for record in page.items() {
                let job = decode(record).map_err(|e| e.into_store(BACKEND))?;
                if query.matches(&job) {
                    out.push(job);
                }
            }
            match page.last_evaluated_key {
                Some(key) if !full(query, out) => start = Some(key),
                _ => return Ok(()),
            }
        }
    }
}

fn full(query: &JobQuery, jobs: &[Job]) -> bool {
    query.limit > 0 && jobs.len() >= query.limit
}
