//! Creates the resources of a stack on an emulator or a fresh account: used by tests and
//! local set-ups. Production resources come from the SAM template; these helpers create the
//! same shapes (a job table with TTL, a work queue redriving to a dead-letter queue, a
//! bucket, an alert topic) so the adapters meet what they meet in AWS.
//!
//! Names are the caller's: [`StackResources::create`] takes a suffix so that many stacks can
//! share one account or emulator. Every call fails with an [`AwsError`] naming the service's
//! answer; nothing here retries or cleans up after a partial failure.

use crate::config::AwsClients;
use crate::error::AwsError;
use crate::{INDEX_BY_CLIENT, INDEX_BY_DAY, INDEX_DEAD_LETTERS};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_types::error::operation::BuildError;

/// Receives a message gets before SQS moves it to the dead-letter queue (the SAM template's
/// `maxReceiveCount`).
pub const MAX_RECEIVES: u32 = 3;

/// The attribute DynamoDB expires job items by.
pub const TTL_ATTRIBUTE: &str = "expires_at";

fn invalid_request(err: BuildError) -> AwsError {
    AwsError::Sdk {
        summary: format!("invalid request: {err}"),
        source: Box::new(err),
    }
}

/// A job table as [`crate::DynamoJobStore`] expects it: hash key `job_id` (string), on-demand
/// billing, TTL on [`TTL_ATTRIBUTE`], and the listing indexes [`INDEX_BY_CLIENT`]
/// (`client_name`), [`INDEX_BY_DAY`] (`created_day`) and [`INDEX_DEAD_LETTERS`]
/// (`dead_letter`), each sorted by `created_at` (N) and projecting the whole item.
pub async fn create_job_table(dynamodb: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), AwsError> {
    let attribute = |name: &str, kind: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .map_err(invalid_request)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(invalid_request)
    };
    let mut create = dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("job_id", KeyType::Hash)?)
        .attribute_definitions(attribute("job_id", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("created_at", ScalarAttributeType::N)?);
    for (index, hash) in [
        (INDEX_BY_CLIENT, "client_name"),
        (INDEX_BY_DAY, "created_day"),
        (INDEX_DEAD_LETTERS, "dead_letter"),
    ] {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index)
            .key_schema(key(hash, KeyType::Hash)?)
            .key_schema(key("created_at", KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(invalid_request)?;
        create = create
            .attribute_definitions(attribute(hash, ScalarAttributeType::S)?)
            .global_secondary_indexes(gsi);
    }
    create.send().await.map_err(AwsError::sdk)?;
    dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()
                .map_err(invalid_request)?,
        )
        .send()
        .await
        .map_err(AwsError::sdk)?;
    Ok(())
}

/// A standard queue; with `redrive_to = Some((dlq_arn, max_receives))` SQS moves a message
/// received `max_receives` times to that queue. Returns the queue's URL and ARN.
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    redrive_to: Option<(&str, u32)>,
) -> Result<(String, String), AwsError> {
    let mut create = sqs.create_queue().queue_name(name);
    if let Some((dlq_arn, max_receives)) = redrive_to {
        let policy = serde_json::json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": max_receives.to_string(),
        });
        create = create.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let url = create
        .send()
        .await
        .map_err(AwsError::sdk)?
        .queue_url
        .ok_or(AwsError::MissingField {
            operation: "CreateQueue",
            field: "QueueUrl",
        })?;
    let arn = queue_arn(sqs, &url).await?;
    Ok((url, arn))
}

/// The ARN of the queue at `url`.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, AwsError> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(AwsError::sdk)?;
    attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or(AwsError::MissingField {
            operation: "GetQueueAttributes",
            field: "QueueArn",
        })
}

/// A bucket, in the client's region.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) -> Result<(), AwsError> {
    let mut create = s3.create_bucket().bucket(name);
    // us-east-1 is the one region that must not be named as a location constraint.
    if let Some(region) = s3.config().region().map(|r| r.as_ref()).filter(|r| *r != "us-east-1") {
        let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(region.into())
            .build();
        create = create.create_bucket_configuration(location);
    }
    create.send().await.map_err(AwsError::sdk)?;
    Ok(())
}

/// A topic; returns its ARN.
pub async fn create_topic(sns: &aws_sdk_sns::Client, name: &str) -> Result<String, AwsError> {
    sns.create_topic()
        .name(name)
        .send()
        .await
        .map_err(AwsError::sdk)?
        .topic_arn
        .ok_or(AwsError::MissingField {
            operation: "CreateTopic",
            field: "TopicArn",
        })
}

/// Subscribes a queue to a topic. The queue's policy is set to let the topic send to it,
/// which AWS requires (emulators deliver without it); this replaces any policy the queue
/// had. Deliveries arrive in SNS's JSON envelope (no raw delivery). Returns the
/// subscription's ARN.
pub async fn subscribe_queue(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    topic_arn: &str,
    queue_url: &str,
    queue_arn: &str,
) -> Result<String, AwsError> {
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowTopic",
            "Effect": "Allow",
            "Principal": { "Service": "sns.amazonaws.com" },
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": { "ArnEquals": { "aws:SourceArn": topic_arn } },
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(queue_url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .map_err(AwsError::sdk)?;
    sns.subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .return_subscription_arn(true)
        .send()
        .await
        .map_err(AwsError::sdk)?
        .subscription_arn
        .ok_or(AwsError::MissingField {
            operation: "Subscribe",
            field: "SubscriptionArn",
        })
}

/// Every resource one stack uses, as the functions' configuration names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResources {
    /// The job table.
    pub table: String,
    /// The work queue, redriving to the dead-letter queue after [`MAX_RECEIVES`] receives.
    pub queue_url: String,
    /// The work queue's ARN.
    pub queue_arn: String,
    /// The dead-letter queue.
    pub dlq_url: String,
    /// The dead-letter queue's ARN.
    pub dlq_arn: String,
    /// The bucket of PDFs and outputs.
    pub bucket: String,
    /// The alert topic.
    pub topic_arn: String,
}

impl StackResources {
    /// The resources as a deployment's settings name them.
    pub fn resources(&self) -> crate::AwsResources {
        crate::AwsResources {
            table: self.table.clone(),
            queue_url: self.queue_url.clone(),
            dlq_url: self.dlq_url.clone(),
            bucket: self.bucket.clone(),
            alert_topic_arn: self.topic_arn.clone(),
        }
    }

    /// Creates a stack's resources named `{prefix}-{role}-{suffix}` (roles: `jobs`, `queue`,
    /// `dlq`, `blobs`, `alerts`). Pass a fresh suffix (a UUID's 32 hex digits) for a
    /// stack of its own; keep both lowercase and the prefix short, since bucket names are
    /// at most 63 characters of `a-z0-9.-`.
    pub async fn create(clients: &AwsClients, prefix: &str, suffix: &str) -> Result<StackResources, AwsError> {
        let name = |role: &str| format!("{prefix}-{role}-{suffix}");
        let table = name("jobs");
        create_job_table(&clients.dynamodb, &table).await?;
        let (dlq_url, dlq_arn) = create_queue(&clients.sqs, &name("dlq"), None).await?;
        let (queue_url, queue_arn) = create_queue(&clients.sqs, &name("queue"), Some((&dlq_arn, MAX_RECEIVES))).await?;
        let bucket = name("blobs");
        create_bucket(&clients.s3, &bucket).await?;
        let topic_arn = create_topic(&clients.sns, &name("alerts")).await?;
        Ok(StackResources {
            table,
            queue_url,
            queue_arn,
            dlq_url,
            dlq_arn,
            bucket,
            topic_arn,
        })
    }
}
