//! Test support: a moto server for the life of one test ([`MotoServer`] from testkit) with
//! clients for it, and uniquely named resources on it (`drawings_aws::provision`), so the
//! helpers also work on a shared server.

use drawings_aws::AwsClients;
use drawings_aws::provision;
use drawings_testkit::moto::MotoServer;
use drawings_testkit::unique;

pub use drawings_aws::provision::MAX_RECEIVES;
pub use drawings_testkit::moto::free_port;

/// A running moto server and clients configured for it.
pub struct Moto {
    /// `http://127.0.0.1:{port}`.
    pub endpoint: String,
    /// Clients configured for this server.
    pub clients: AwsClients,
    _server: MotoServer,
}

impl Moto {
    /// Starts a fresh server.
    pub async fn start() -> Moto {
        let server = MotoServer::start().await;
        Moto {
            endpoint: server.endpoint.clone(),
            clients: AwsClients::for_endpoint(&server.endpoint).await,
            _server: server,
        }
    }

    /// A fresh job table: hash key `job_id` (S), on demand, TTL on `expires_at`.
    pub async fn table(&self) -> String {
        let name = unique("jobs");
        provision::create_job_table(&self.clients.dynamodb, &name)
            .await
            .expect("create table");
        name
    }

    /// A fresh SQS queue; returns its URL and ARN.
    pub async fn queue(&self, prefix: &str, redrive_to: Option<&str>) -> (String, String) {
        let redrive_to = redrive_to.map(|arn| (arn, MAX_RECEIVES));
        provision::create_queue(&self.clients.sqs, &unique(prefix), redrive_to)
            .await
            .expect("create queue")
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
        provision::create_bucket(&self.clients.s3, &name)
            .await
            .expect("create bucket");
        name
    }

    /// A fresh SNS topic; returns its ARN.
    pub async fn topic(&self) -> String {
        provision::create_topic(&self.clients.sns, &unique("alerts"))
            .await
            .expect("create topic")
    }
}
