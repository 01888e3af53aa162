//! `provision`: a stack's resources come out in the shape the SAM template gives them (TTL on
//! the table, a redrive policy to the dead-letter queue), with every name unique.

use crate::support::Moto;
use aws_sdk_sqs::types::QueueAttributeName;
use drawings_aws::StackResources;
use drawings_aws::provision::{MAX_RECEIVES, TTL_ATTRIBUTE};
use drawings_testkit::unique;
use serde_json::Value;

#[tokio::test]
async fn a_provisioned_stack_has_ttl_redrive_a_bucket_and_a_topic() {
    let moto = Moto::start().await;
    let suffix = unique("s");
    let stack = StackResources::create(&moto.clients, "drawings", &suffix)
        .await
        .unwrap();
    assert!(stack.table.starts_with("drawings-jobs-") && stack.table.ends_with(&suffix));

    let ttl = moto
        .clients
        .dynamodb
        .describe_time_to_live()
        .table_name(&stack.table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().expect("TTL description");
    assert_eq!(ttl.attribute_name(), Some(TTL_ATTRIBUTE));

    let attrs = moto
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(&stack.queue_url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap();
    let policy = attrs.attributes().unwrap()[&QueueAttributeName::RedrivePolicy].clone();
    let policy: Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(policy["deadLetterTargetArn"], stack.dlq_arn.as_str());
    assert_eq!(
        policy["maxReceiveCount"].to_string().trim_matches('"'),
        MAX_RECEIVES.to_string()
    );

    moto.clients
        .s3
        .head_bucket()
        .bucket(&stack.bucket)
        .send()
        .await
        .unwrap();
    let topic = moto
        .clients
        .sns
        .get_topic_attributes()
        .topic_arn(&stack.topic_arn)
        .send()
        .await
        .unwrap();
    assert!(topic.attributes().is_some());

    // A second stack with another suffix does not collide with the first.
    let other = StackResources::create(&moto.clients, "drawings", &unique("s"))
        .await
        .unwrap();
    assert_ne!(other.queue_url, stack.queue_url);
}
