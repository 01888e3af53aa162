//! What a job costs besides the model: the compute time of the deliveries that worked on it
//! and the requests made for it to the blob store, the job store and the queue. The pipeline
//! measures them ([`crate::pipeline`]) and prices them with a dated table of AWS list prices
//! ([`CloudPrices`]); the record on the job ([`JobCost`]) keeps the measures and the prices'
//! result, so the status view and reports only add up.
//!
//! The embedded server has no per-job bill: its figures say what the same work would cost
//! on Lambda ([`ComputeBasis::AsIfLambda`]), at the processor's memory size.

use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

/// Requests made for one job, by kind.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestCounts {
    /// Deliveries handled (one Lambda invocation each: the processor's batch size is 1).
    pub invocations: u64,
    /// Blob writes (S3 PUT).
    pub blob_put: u64,
    /// Blob reads and existence checks (S3 GET and HEAD).
    pub blob_get: u64,
    /// Job-record reads (DynamoDB GetItem, Query).
    pub job_read: u64,
    /// Job-record writes (DynamoDB PutItem, UpdateItem, TransactWriteItems).
    pub job_write: u64,
    /// Read capacity units of those reads.
    pub read_units: u64,
    /// Write capacity units of those writes.
    pub write_units: u64,
    /// Queue requests (send, receive, delete, change visibility).
    pub queue: u64,
}

impl AddAssign for RequestCounts {
    fn add_assign(&mut self, rhs: RequestCounts) {
        self.invocations += rhs.invocations;
        self.blob_put += rhs.blob_put;
        self.blob_get += rhs.blob_get;
        self.job_read += rhs.job_read;
        self.job_write += rhs.job_write;
        self.read_units += rhs.read_units;
        self.write_units += rhs.write_units;
        self.queue += rhs.queue;
    }
}

/// Whose compute the figures describe.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeBasis {
    /// Measured on the embedded server, priced as if the processor were a Lambda function.
    #[default]
    AsIfLambda,
    /// Measured in the processor Lambda function.
    Lambda,
}

impl ComputeBasis {
    /// The name on the wire (`as_if_lambda`, `lambda`).
    pub fn as_str(self) -> &'static str {
        match self {
            ComputeBasis::AsIfLambda => "as_if_lambda",
            ComputeBasis::Lambda => "lambda",
        }
    }
}

/// AWS list prices (us-east-1, arm64), in the units the pricing pages use, with the date
/// they were read: the table is configuration (`DRAWINGS_AWS_PRICES`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudPrices {
    /// When these prices were read (`2026-11-29`).
    pub as_of: String,
    /// Lambda compute, USD per GB-second (arm64).
    pub lambda_gb_second: f64,
    /// Lambda requests, USD per million.
    pub lambda_requests_per_million: f64,
    /// S3 PUT, COPY, POST, LIST, USD per thousand.
    pub s3_put_per_thousand: f64,
    /// S3 GET and other reads, USD per thousand.
    pub s3_get_per_thousand: f64,
    /// DynamoDB on-demand writes, USD per million write request units.
    pub dynamodb_write_units_per_million: f64,
    /// DynamoDB on-demand reads, USD per million read request units.
    pub dynamodb_read_units_per_million: f64,
    /// SQS standard queue requests, USD per million.
    pub sqs_requests_per_million: f64,
}

impl Default for CloudPrices {
    fn default() -> Self {
        CloudPrices {
            as_of: "2026-11-29".into(),
            lambda_gb_second: 0.000_013_333_4,
            lambda_requests_per_million: 0.20,
            s3_put_per_thousand: 0.005,
            s3_get_per_thousand: 0.0004,
            dynamodb_write_units_per_million: 0.625,
            dynamodb_read_units_per_million: 0.125,
            sqs_requests_per_million: 0.40,
        }
    }
}

/// Why a price table was refused.
#[derive(Debug, thiserror::Error)]
pub enum PricesError {
    /// Not the expected JSON.
    #[error("not a price table: {0}")]
    Json(#[from] serde_json::Error),
    /// A price is negative or not a number.
    #[error("price {0} must be a finite number ≥ 0")]
    Invalid(&'static str),
}

impl CloudPrices {
    /// Reads a table from JSON (every field required).
    pub fn from_json(body: &[u8]) -> Result<CloudPrices, PricesError> {
        let prices: CloudPrices = serde_json::from_slice(body)?;
        for (name, value) in [
            ("lambda_gb_second", prices.lambda_gb_second),
            ("lambda_requests_per_million", prices.lambda_requests_per_million),
            ("s3_put_per_thousand", prices.s3_put_per_thousand),
            ("s3_get_per_thousand", prices.s3_get_per_thousand),
            (
                "dynamodb_write_units_per_million",
                prices.dynamodb_write_units_per_million,
            ),
            (
                "dynamodb_read_units_per_million",
                prices.dynamodb_read_units_per_million,
            ),
            ("sqs_requests_per_million", prices.sqs_requests_per_million),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(PricesError::Invalid(name));
            }
        }
        Ok(prices)
    }

    /// USD of `gb_seconds` of compute.
    pub fn compute_usd(&self, gb_seconds: f64) -> f64 {
        gb_seconds * self.lambda_gb_second
    }

    /// USD of these requests.
    pub fn requests_usd(&self, r: &RequestCounts) -> f64 {
        let per_million = |n: u64, price: f64| n as f64 * price / 1e6;
        per_million(r.invocations, self.lambda_requests_per_million)
            + per_million(r.blob_put, self.s3_put_per_thousand * 1000.0)
            + per_million(r.blob_get, self.s3_get_per_thousand * 1000.0)
            + per_million(r.write_units, self.dynamodb_write_units_per_million)
            + per_million(r.read_units, self.dynamodb_read_units_per_million)
            + per_million(r.queue, self.sqs_requests_per_million)
    }
}

/// How the processor's compute is priced.
#[derive(Debug, Clone, PartialEq)]
pub struct CostSettings {
    /// Memory of the function (Lambda: `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`; embedded: the
    /// processor's size, 3008 MB, or 0 to leave compute unpriced).
    pub memory_mb: u32,
    /// Where the compute ran.
    pub basis: ComputeBasis,
    /// The price table.
    pub prices: CloudPrices,
}

impl Default for CostSettings {
    fn default() -> Self {
        CostSettings {
            memory_mb: 3008,
            basis: ComputeBasis::AsIfLambda,
            prices: CloudPrices::default(),
        }
    }
}

/// What one delivery used, as measured by the pipeline.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Measured {
    /// Wall time.
    pub compute_seconds: f64,
    /// Requests.
    pub requests: RequestCounts,
}

/// Compute and requests used for a job so far, and their price. Kept on the job record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobCost {
    /// Wall time of every delivery that worked on the job, claim to last write.
    pub compute_seconds: f64,
    /// Those seconds times the memory in GB they ran (or are priced) at.
    pub gb_seconds: f64,
    /// Memory of the last delivery, MB.
    pub memory_mb: u32,
    /// Where the last delivery ran.
    pub basis: ComputeBasis,
    /// Requests made for the job (intake's included).
    pub requests: RequestCounts,
    /// `gb_seconds` priced.
    pub compute_usd: f64,
    /// `requests` priced.
    pub requests_usd: f64,
    /// Date of the price table last applied; none until a delivery priced the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

impl JobCost {
    /// Adds one delivery's use and prices the whole record again with `settings.prices`.
    pub fn add(&mut self, used: &Measured, settings: &CostSettings) {
        self.compute_seconds += used.compute_seconds;
        self.gb_seconds += used.compute_seconds * f64::from(settings.memory_mb) / 1024.0;
        self.memory_mb = settings.memory_mb;
        self.basis = settings.basis;
        self.requests += used.requests;
        self.compute_usd = settings.prices.compute_usd(self.gb_seconds);
        self.requests_usd = settings.prices.requests_usd(&self.requests);
        self.as_of = Some(settings.prices.as_of.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_priced_at_the_configured_memory_and_list_prices() {
        let settings = CostSettings::default();
        let mut cost = JobCost::default();
        let requests = RequestCounts {
            invocations: 1,
            blob_put: 1000,
            blob_get: 1000,
            write_units: 1_000_000,
            read_units: 1_000_000,
            queue: 1_000_000,
            ..RequestCounts::default()
        };
        cost.add(
            &Measured {
                compute_seconds: 10.0,
                requests,
            },
            &settings,
        );
        // 10 s × 2.9375 GB × $0.0000133334.
        assert!(
            (cost.compute_usd - 0.000_391_668_625).abs() < 1e-15,
            "{}",
            cost.compute_usd
        );
        let expected = 0.2e-6 + 0.005 + 0.0004 + 0.625 + 0.125 + 0.40;
        assert!((cost.requests_usd - expected).abs() < 1e-12, "{}", cost.requests_usd);
        assert_eq!(cost.as_of.as_deref(), Some("2026-11-29"));
    }

    #[test]
    fn a_price_table_needs_every_price_and_no_negative_one() {
        let good = serde_json::to_vec(&CloudPrices::default()).unwrap();
        assert_eq!(CloudPrices::from_json(&good).unwrap(), CloudPrices::default());
        assert!(CloudPrices::from_json(br#"{"as_of":"2026-01-01"}"#).is_err());
        let bad = CloudPrices {
            sqs_requests_per_million: -1.0,
            ..CloudPrices::default()
        };
        let bad = serde_json::to_vec(&bad).unwrap();
        assert!(matches!(
            CloudPrices::from_json(&bad),
            Err(PricesError::Invalid("sqs_requests_per_million"))
        ));
    }
}
