//! Template checks: queues, table and bucket.

use crate::support::*;

#[test]
fn job_queue_long_polls_and_moves_a_message_to_the_dlq_after_three_receives() {
    let queue = props("JobQueue");
    assert_eq!(queue["ReceiveMessageWaitTimeSeconds"], 20);
    assert_eq!(
        queue["RedrivePolicy"]["deadLetterTargetArn"],
        get_att("DeadLetterQueue", "Arn")
    );
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"], 3);
    assert_eq!(props("DeadLetterQueue")["MessageRetentionPeriod"], 1209600);
}

#[test]
fn queue_visibility_is_six_times_the_consumer_timeout_in_every_stage() {
    for s in STAGES {
        let processor = in_stage(&props("ProcessorFunction")["Timeout"], s);
        let visibility = in_stage(&props("JobQueue")["VisibilityTimeout"], s);
        assert!(
            visibility >= processor,
            "{s}: {visibility} s < processor timeout {processor} s"
        );
        assert!(
            visibility >= 6 * processor,
            "{s}: AWS recommends 6x the function timeout"
        );
        let dlq = in_stage(&props("DlqFunction")["Timeout"], s);
        let dlq_visibility = in_stage(&props("DeadLetterQueue")["VisibilityTimeout"], s);
        assert!(
            dlq_visibility >= 6 * dlq,
            "{s}: DLQ {dlq_visibility} s vs dlq timeout {dlq} s"
        );
    }
}

#[test]
fn jobs_table_is_on_demand_keyed_by_job_id_with_ttl_pitr_and_encryption() {
    let table = props("JobsTable");
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        table["KeySchema"],
        json!([{"AttributeName": "job_id", "KeyType": "HASH"}])
    );
    assert_eq!(
        table["AttributeDefinitions"],
        json!([
            {"AttributeName": "job_id", "AttributeType": "S"},
            {"AttributeName": "client_name", "AttributeType": "S"},
            {"AttributeName": "created_day", "AttributeType": "S"},
            {"AttributeName": "dead_letter", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "N"},
        ])
    );
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": "expires_at", "Enabled": true})
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(table["SSESpecification"]["SSEEnabled"], true);
}

#[test]
fn jobs_table_lists_through_three_indexes_sorted_by_creation_projecting_everything() {
    // The names and keys DynamoJobStore::list queries (crates/aws/src/dynamo/item.rs).
    let indexes = props("JobsTable")["GlobalSecondaryIndexes"]
        .as_array()
        .expect("the table declares its listing indexes");
    let found: BTreeMap<&str, &Value> = indexes.iter().map(|i| (i["IndexName"].as_str().unwrap(), i)).collect();
    assert_eq!(found.len(), 3, "{indexes:?}");
    for (name, hash) in [
        ("by_client", "client_name"),
        ("by_day", "created_day"),
        ("dead_letters", "dead_letter"),
    ] {
        let index = found.get(name).unwrap_or_else(|| panic!("no index {name}"));
        assert_eq!(
            index["KeySchema"],
            json!([
                {"AttributeName": hash, "KeyType": "HASH"},
                {"AttributeName": "created_at", "KeyType": "RANGE"},
            ]),
            "{name}"
        );
        assert_eq!(index["Projection"], json!({"ProjectionType": "ALL"}), "{name}");
        // On demand, like the table: no throughput of its own.
        assert!(index["ProvisionedThroughput"].is_null(), "{name}");
    }
}

#[test]
fn bucket_is_private_encrypted_tls_only_and_expires_job_files_after_the_ttl() {
    let bucket = props("BlobBucket");
    let block = &bucket["PublicAccessBlockConfiguration"];
    for key in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block[key], true, "{key}");
    }
    let sse = &bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
    assert!(
        ["AES256", "aws:kms"].contains(&sse["SSEAlgorithm"].as_str().unwrap()),
        "{sse}"
    );
    let rules = bucket["LifecycleConfiguration"]["Rules"].as_array().unwrap();
    assert!(
        rules.iter().any(|r| r["Status"] == "Enabled"
            && r["Prefix"] == "jobs/"
            && r["ExpirationInDays"] == reference("JobTtlDays")),
        "no rule expires jobs/ after JobTtlDays: {rules:?}"
    );
    assert!(
        rules.iter().any(|r| r["Status"] == "Enabled"
            && r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"].is_number()),
        "no rule aborts incomplete multipart uploads"
    );
    assert_eq!(template()["Parameters"]["JobTtlDays"]["Default"], 30);

    let policy = props("BlobBucketPolicy");
    assert_eq!(policy["Bucket"], reference("BlobBucket"));
    let denies_plain_http = as_list(&policy["PolicyDocument"]["Statement"])
        .iter()
        .any(|s| s["Effect"] == "Deny" && s["Condition"]["Bool"]["aws:SecureTransport"] == json!("false"));
    assert!(denies_plain_http, "the bucket policy must deny requests without TLS");
}

#[test]
fn bucket_lets_any_page_read_a_presigned_get_and_nothing_more() {
    // The web UI follows the API's 307 to a presigned GET; the URL itself is the credential.
    let rules = props("BlobBucket")["CorsConfiguration"]["CorsRules"]
        .as_array()
        .expect("a CORS rule for the web UI's redirects");
    assert_eq!(rules.len(), 1, "{rules:?}");
    let rule = &rules[0];
    assert_eq!(rule["AllowedMethods"], json!(["GET"]), "reads only");
    assert_eq!(rule["AllowedOrigins"], json!(["*"]));
    // The browser repeats the page's API-key header on the redirect, so it is preflighted.
    assert_eq!(rule["AllowedHeaders"], json!(["x-api-key"]));
    assert!(
        rule.get("ExposedHeaders").is_none(),
        "no header beyond the safelisted ones"
    );
}
