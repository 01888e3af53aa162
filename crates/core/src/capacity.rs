//! What a job record costs to read and write in DynamoDB, in capacity units. It mirrors the
//! item layout of `crates/aws/src/dynamo/item.rs`: the item is the job's JSON plus its key,
//! version, lease and index attributes, and each write is copied into every global secondary
//! index that projects it (`by_day` always, `by_client` with a client name, `dead_letters`
//! while dead-lettered). The embedded store is priced as if it were that table.

use crate::cost::RequestCounts;
use crate::job::Job;

/// Bytes a job item has on top of its JSON (key, version, lease and index attributes).
const ITEM_OVERHEAD_BYTES: usize = 256;

fn item_bytes(job: &Job) -> usize {
    serde_json::to_vec(job).map_or(4096, |b| b.len()) + ITEM_OVERHEAD_BYTES
}

/// Read units of one strongly consistent read of `job` (4 KB each).
pub fn read_units(job: &Job) -> u64 {
    item_bytes(job).div_ceil(4096) as u64
}

/// Write units of one write of `job`: 1 KB each, once for the table and once per index the
/// AWS table projects the item into (`by_day` always, `by_client` when the job has a client
/// name, `dead_letters` while it is dead-lettered).
pub fn write_units(job: &Job) -> u64 {
    let copies = 2 + u64::from(job.input.client_name.is_some()) + u64::from(job.dead_letter.is_some());
    item_bytes(job).div_ceil(1024) as u64 * copies
}

impl RequestCounts {
    /// What intake spends on a new job: the PDF's PUT, the record's create (a two-item
    /// transaction, at twice the units, when it carries an idempotency key) and the message.
    pub fn at_intake(job: &Job) -> RequestCounts {
        let units = write_units(job);
        RequestCounts {
            blob_put: 1,
            job_write: 1,
            write_units: if job.idempotency_key.is_some() {
                2 * (units + 1)
            } else {
                units
            },
            queue: 1,
            ..RequestCounts::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::test_job;

    #[test]
    fn write_units_count_every_index_copy_of_the_item() {
        let mut job = test_job();
        let plain = write_units(&job);
        job.input.client_name = Some("acme".into());
        assert_eq!(write_units(&job), plain / 2 * 3);
        assert_eq!(read_units(&job), 1);
    }
}
