//! Test support: a moto server on 127.0.0.1 for the life of one test, and uniquely named AWS
//! resources on it (a table with TTL, a queue with its dead-letter queue, a bucket, a topic).
//!
//! Each test starts its own server, so tests run in parallel with nothing shared; every
//! resource name is still unique, so the helpers work on a shared server too. moto comes
//! from the repository's venv (`scripts/setup.sh` installs it); without it the tests fail
//! with that instruction instead of skipping, because CI runs the setup first.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use drawings_aws::AwsClients;
use drawings_testkit::unique;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How many receives the test queues allow before SQS moves a message to the DLQ.
pub const MAX_RECEIVES: u32 = 3;

/// A running `moto_server`, killed when dropped (also when the test panics).
pub struct Moto {
    child: Child,
    /// The server's output; kept only when the test fails.
    log: PathBuf,
    /// `http://127.0.0.1:{port}`.
    pub endpoint: String,
    /// Clients configured for this server.
    pub clients: AwsClients,
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Only this child, by its handle; wait so no zombie outlives the test.
        // Errors here mean the server is already gone, which is what we want anyway.
        self.child.kill().ok();
        self.child.wait().ok();
        if !std::thread::panicking() {
            std::fs::remove_file(&self.log).ok();
        }
    }
}

fn moto_binary() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = root.join(".venv/bin/moto_server");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/setup.sh from the repository root to install moto[server] in .venv",
        bin.display()
    );
    bin
}

/// A port that was free a moment ago. moto cannot be told to pick one itself (`-p 0` makes
/// it report port 0), so the test binds, reads the port and lets go of it.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

impl Moto {
    /// Starts a fresh server and waits until `/moto-api/` answers.
    pub async fn start() -> Moto {
        let bin = moto_binary();
        let http = reqwest::Client::new();
        let mut output = String::new();
        // Another process may grab the port between our probe and moto's bind: try again.
        for _ in 0..3 {
            let port = free_port();
            let log_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
            let log = std::fs::File::create(&log_path).expect("create the moto log file");
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone log handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
            let endpoint = format!("http://127.0.0.1:{port}");
            let mut moto = Moto {
                child,
                log: log_path,
                clients: AwsClients::for_endpoint(&endpoint).await,
                endpoint,
            };
            if moto.wait_ready(&http).await {
                return moto;
            }
            output = std::fs::read_to_string(&moto.log).unwrap_or_default();
        }
        panic!("moto_server did not start; its last output:\n{output}");
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let url = format!("{}/moto-api/", self.endpoint);
            if let Ok(resp) = http.get(&url).send().await
                && resp.status().is_success()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// A fresh job table: hash key `job_id` (S), on demand, TTL on `expires_at`.
    pub async fn table(&self) -> String {
        let name = unique("jobs");
        let ddb = &self.clients.dynamodb;
        ddb.create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("job_id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("job_id")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("create table");
        ddb.update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name("expires_at")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("enable TTL");
        name
    }

    /// A fresh SQS queue; returns its URL and ARN.
    pub async fn queue(&self, prefix: &str, redrive_to: Option<&str>) -> (String, String) {
        let sqs = &self.clients.sqs;
        let mut create = sqs.create_queue().queue_name(unique(prefix));
        if let Some(dlq_arn) = redrive_to {
            let policy = serde_json::json!({
                "deadLetterTargetArn": dlq_arn,
                "maxReceiveCount": MAX_RECEIVES.to_string(),
            });
            create = create.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let url = create.send().await.expect("create queue").queue_url.expect("queue url");
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes");
        let arn = attrs
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .expect("queue arn")
            .clone();
        (url, arn)
    }

    /// A main queue redriving to a dead-letter queue after [`MAX_RECEIVES`]; returns both URLs.
    pub async fn queue_pair(&self) -> (String, String) {
        let (dead_url, dead_arn) = self.queue("jobs-dlq", None).await;
        let (main_url, _) = self.queue("jobs", Some(&dead_arn)).await;
        (main_url, dead_url)
    }

    /// A fresh bucket.
    pub async fn bucket(&self) -> String {
        let name = unique("blobs");
        self.clients
            .s3
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("create bucket");
        name
    }

    /// A fresh SNS topic; returns its ARN.
    pub async fn topic(&self) -> String {
        self.clients
            .sns
            .create_topic()
            .name(unique("alerts"))
            .send()
            .await
            .expect("create topic")
            .topic_arn
            .expect("topic arn")
    }
}
