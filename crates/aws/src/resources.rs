//! The AWS resources one deployment uses, named by the settings every AWS host reads (the
//! three functions and the operators' `--backend aws` commands), and the port set over them.
//! One place assembles the adapters, so a function and an operator's CLI always talk to the
//! same table, queues, bucket and topic in the same way. The keys themselves are defined
//! with every other setting, in `drawings_settings::keys`.

use crate::{AwsClients, DynamoJobStore, S3BlobStore, SnsNotifier, SqsJobQueue};
use drawings_core::ports::{JobQueue, NoNotices, Ports};
use drawings_settings::{AwsNames, keys};
use std::sync::Arc;

/// The setting naming the DynamoDB table of jobs.
pub const TABLE: &str = keys::TABLE;
/// The setting naming the work queue's URL.
pub const QUEUE_URL: &str = keys::QUEUE_URL;
/// The setting naming the dead-letter queue's URL.
pub const DLQ_URL: &str = keys::DLQ_URL;
/// The setting naming the bucket of PDFs and outputs.
pub const BUCKET: &str = keys::BUCKET;
/// The setting naming the SNS topic of operator alerts.
pub const ALERT_TOPIC_ARN: &str = keys::ALERT_TOPIC_ARN;

/// A setting a deployment needs and does not have.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not set: it names one of the stack's AWS resources (see sam/template.yaml)")]
pub struct MissingResource(pub &'static str);

/// Every resource of one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    /// The job table.
    pub table: String,
    /// The work queue.
    pub queue_url: String,
    /// The dead-letter queue.
    pub dlq_url: String,
    /// The bucket of PDFs and outputs.
    pub bucket: String,
    /// The alert topic.
    pub alert_topic_arn: String,
}

impl AwsResources {
    /// The resources named by `get` (the environment, or any other lookup of settings).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<AwsResources, MissingResource> {
        let name = |key: &'static str| get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        AwsResources::from_names(&AwsNames {
            table: name(TABLE),
            queue_url: name(QUEUE_URL),
            dlq_url: name(DLQ_URL),
            bucket: name(BUCKET),
            alert_topic_arn: name(ALERT_TOPIC_ARN),
        })
    }

    /// The resources named in the settings (`drawings_settings::Settings::aws`); each one is
    /// required.
    pub fn from_names(names: &AwsNames) -> Result<AwsResources, MissingResource> {
        let required = |value: &Option<String>, key: &'static str| value.clone().ok_or(MissingResource(key));
        Ok(AwsResources {
            table: required(&names.table, TABLE)?,
            queue_url: required(&names.queue_url, QUEUE_URL)?,
            dlq_url: required(&names.dlq_url, DLQ_URL)?,
            bucket: required(&names.bucket, BUCKET)?,
            alert_topic_arn: required(&names.alert_topic_arn, ALERT_TOPIC_ARN)?,
        })
    }

    /// The settings that name these resources, as `(key, value)` pairs: what a host's
    /// environment holds (the template sets them; tests set them on emulated functions).
    pub fn settings(&self) -> [(&'static str, String); 5] {
        [
            (TABLE, self.table.clone()),
            (QUEUE_URL, self.queue_url.clone()),
            (DLQ_URL, self.dlq_url.clone()),
            (BUCKET, self.bucket.clone()),
            (ALERT_TOPIC_ARN, self.alert_topic_arn.clone()),
        ]
    }

    /// The port set over these resources, and the dead-letter queue. Completion notices are
    /// off ([`NoNotices`]) until the host adds its sender.
    pub fn ports(&self, clients: &AwsClients) -> (Ports, Arc<dyn JobQueue>) {
        let ports = Ports {
            jobs: Arc::new(DynamoJobStore::new(clients.dynamodb.clone(), &self.table)),
            queue: Arc::new(SqsJobQueue::new(clients.sqs.clone(), &self.queue_url)),
            blobs: Arc::new(S3BlobStore::new(clients.s3.clone(), &self.bucket)),
            alerts: Arc::new(SnsNotifier::new(clients.sns.clone(), &self.alert_topic_arn)),
            callbacks: Arc::new(NoNotices),
        };
        let dead_letters = Arc::new(SqsJobQueue::new(clients.sqs.clone(), &self.dlq_url));
        (ports, dead_letters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn resources_read_back_from_the_settings_they_write() {
        let resources = AwsResources {
            table: "t".into(),
            queue_url: "q".into(),
            dlq_url: "d".into(),
            bucket: "b".into(),
            alert_topic_arn: "a".into(),
        };
        let settings: HashMap<_, _> = resources.settings().into_iter().collect();
        let read = AwsResources::from_lookup(|k| settings.get(k).cloned()).unwrap();
        assert_eq!(read, resources);
    }

    #[test]
    fn a_missing_or_blank_resource_is_named() {
        let err = AwsResources::from_lookup(|k| (k != BUCKET).then(|| "x".to_owned())).unwrap_err();
        assert_eq!(err.0, BUCKET);
        let err = AwsResources::from_lookup(|k| Some(if k == TABLE { " " } else { "x" }.to_owned())).unwrap_err();
        assert_eq!(err.0, TABLE);
    }
}
